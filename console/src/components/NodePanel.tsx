// Everything about one node of an execution: what it ran, how each attempt went, what went
// in and came out, and the error with its traceback.
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { useClients } from "../api/clients";
import { executionPath, type ExecutionRef } from "../api/execution";
import { CacheStatus, type ExecutionError, type NodeExecution } from "../gen/graven/v1/execution_pb";
import { ErrorKind } from "../gen/graven/v1/execution_pb";
import { shortHash } from "../format/literals";
import { dateOf, elapsed, formatDuration, formatTime } from "../format/time";
import type { NodeSpec } from "../graph/nodeSpec";
import { entityPath } from "../pages/paths";
import { GateSignal } from "./GateSignal";
import { MapElements } from "./MapElements";
import { ProblemMessage } from "./Messages";
import { CacheBadge, NodePhaseBadge } from "./Status";
import { LiteralTable } from "./Values";

const ERROR_KINDS: Record<ErrorKind, string> = {
  [ErrorKind.UNSPECIFIED]: "",
  [ErrorKind.USER]: "user error",
  [ErrorKind.SYSTEM]: "system error",
  [ErrorKind.TIMEOUT]: "timeout",
  [ErrorKind.TERMINATED]: "terminated",
};

export function ErrorDetails({ error }: { error: ExecutionError }) {
  return (
    <div className="error-details" data-testid="error">
      <p style={{ margin: "4px 0" }}>
        <strong className="mono">{error.type || "Error"}</strong>
        {error.message && <>: {error.message}</>}{" "}
        {ERROR_KINDS[error.kind] && <span className="faint">({ERROR_KINDS[error.kind]})</span>}
      </p>
      {error.traceback && <pre className="traceback">{error.traceback}</pre>}
    </div>
  );
}

const KINDS: Record<NonNullable<NodeSpec["node"]["target"]["case"]>, string> = {
  taskNode: "task",
  branchNode: "branch",
  arrayNode: "map",
  workflowNode: "workflow",
  gateNode: "gate",
};

function kindName(spec: NodeSpec | null | undefined): string {
  const target = spec?.node.target;
  if (!target?.case) return "";
  if (spec?.element !== undefined) return "map element";
  if (target.case === "workflowNode") return target.value.reference.case === "launchPlanId" ? "launch plan" : "subworkflow";
  return KINDS[target.case];
}

export function NodePanel({
  execution,
  node,
  spec,
  nested,
  onSelect,
  onClose,
  now,
}: {
  execution: ExecutionRef;
  node: NodeExecution;
  // The template node behind it, when the workflow is loaded.
  spec?: NodeSpec | null;
  // The node executions nested directly in this one (a map's elements, a branch's cases).
  nested: NodeExecution[];
  onSelect: (nodeId: string) => void;
  onClose: () => void;
  now: number;
}) {
  const clients = useClients();
  const nodeId = node.id!.nodeId;
  const data = useQuery({
    // The phase is in the key: outputs appear when the node succeeds.
    queryKey: ["node-data", execution.project, execution.domain, execution.name, nodeId, node.phase],
    queryFn: () => clients.executions.getNodeExecutionData({ id: { executionId: execution, nodeId } }),
    retry: false,
  });
  const started = dateOf(node.startedAt);
  const finished = dateOf(node.finishedAt);
  const target = spec?.node.target;
  const specTask = target?.case === "taskNode" || target?.case === "arrayNode" ? target.value.taskId : undefined;
  const task = node.taskId?.name ? node.taskId : specTask;
  const source = node.sourceExecutionId;
  const child = node.childExecutionId;
  const gate = target?.case === "gateNode" ? target.value.condition : undefined;
  const reference = target?.case === "workflowNode" ? target.value.reference : undefined;
  const subWorkflow = reference?.case === "subWorkflowId" ? reference.value : undefined;
  const launchPlan = reference?.case === "launchPlanId" ? reference.value : undefined;
  return (
    <aside className="panel" data-testid="node-panel">
      <div className="panel-head">
        <h2 className="mono">{nodeId}</h2>
        {kindName(spec) && <span className="faint">{kindName(spec)}</span>}
        <NodePhaseBadge phase={node.phase} />
        <CacheBadge status={node.cacheStatus} />
        <button className="close" onClick={onClose} aria-label="Close">
          ✕
        </button>
      </div>
      <dl className="facts">
        {node.parentNodeId && (
          <>
            <dt>Part of</dt>
            <dd>
              <button className="link" onClick={() => onSelect(node.parentNodeId)}>
                {node.parentNodeId}
              </button>
            </dd>
          </>
        )}
        {child?.name && (
          <>
            <dt>Child execution</dt>
            <dd>
              <Link to={executionPath(child)} data-testid="child-execution">
                {child.name}
              </Link>
            </dd>
          </>
        )}
        {task?.name ? (
          <>
            <dt>Task</dt>
            <dd>
              <Link to={entityPath("tasks", task, task.version)}>
                {task.name}@{task.version}
              </Link>
            </dd>
          </>
        ) : subWorkflow ? (
          <>
            <dt>Workflow</dt>
            <dd>
              <Link to={entityPath("workflows", subWorkflow, subWorkflow.version)}>
                {subWorkflow.name}@{subWorkflow.version}
              </Link>
            </dd>
          </>
        ) : launchPlan ? (
          <>
            <dt>Launch plan</dt>
            <dd className="mono">
              {launchPlan.name}@{launchPlan.version}
            </dd>
          </>
        ) : null}
        <dt>Started</dt>
        <dd>{formatTime(started)}</dd>
        <dt>Finished</dt>
        <dd>{formatTime(finished)}</dd>
        <dt>Duration</dt>
        <dd>{formatDuration(elapsed(started, finished))}</dd>
        {node.cacheKey && (
          <>
            <dt>Cache key</dt>
            <dd className="hash" title={node.cacheKey}>
              {shortHash(node.cacheKey)}
            </dd>
          </>
        )}
        {source?.name && (
          <>
            <dt>{node.cacheStatus === CacheStatus.HIT ? "Cached from" : "Outputs from"}</dt>
            <dd>
              <Link to={`${executionPath(source)}?node=${encodeURIComponent(nodeId)}`}>{source.name}</Link>
            </dd>
          </>
        )}
      </dl>

      {node.cacheStatus !== CacheStatus.UNSPECIFIED && node.cacheStatus !== CacheStatus.DISABLED && (
        <CacheExplanation execution={execution} nodeId={nodeId} />
      )}

      {target?.case === "arrayNode" && spec?.element === undefined && (
        <>
          <h3>Elements</h3>
          <MapElements elements={nested} onSelect={onSelect} now={now} />
        </>
      )}

      {(target?.case === "branchNode" || subWorkflow) && nested.length > 0 && (
        <>
          <h3>{subWorkflow ? "Nodes" : "Cases"}</h3>
          <ul className="case-list">
            {nested.map((c) => (
              <li key={c.id!.nodeId}>
                <button className="link" onClick={() => onSelect(c.id!.nodeId)}>
                  {c.id!.nodeId}
                </button>{" "}
                <NodePhaseBadge phase={c.phase} />
              </li>
            ))}
          </ul>
        </>
      )}

      {gate?.case === "sleep" && (
        <p className="muted">Sleeps {formatDuration(Number(gate.value.seconds) * 1000 + gate.value.nanos / 1e6)}.</p>
      )}
      {(gate?.case === "signal" || gate?.case === "approve") && (
        <>
          <h3>{gate.case === "approve" ? "Approval" : "Input"}</h3>
          <GateSignal
            execution={execution}
            signalId={gate.value.signalId}
            approve={gate.case === "approve"}
            type={gate.case === "signal" ? gate.value.type : undefined}
            phase={node.phase}
          />
        </>
      )}

      {node.error && (
        <>
          <h3>Error</h3>
          <ErrorDetails error={node.error} />
        </>
      )}

      <h3>Attempts</h3>
      {node.attempts.length === 0 ? (
        <p className="faint">No attempt ran{node.cacheStatus === CacheStatus.HIT ? " (cache hit)" : ""}.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>#</th>
              <th>Phase</th>
              <th>Started</th>
              <th>Duration</th>
            </tr>
          </thead>
          <tbody>
            {node.attempts.map((a) => (
              <tr key={a.attempt}>
                <td className="num">{a.attempt}</td>
                <td>
                  <NodePhaseBadge phase={a.phase} />
                  {a.error && a.error.message && <div className="faint">{a.error.type}: {a.error.message}</div>}
                </td>
                <td>{formatTime(dateOf(a.startedAt))}</td>
                <td className="num">{formatDuration(elapsed(dateOf(a.startedAt), dateOf(a.finishedAt)))}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      {data.error ? (
        <ProblemMessage error={data.error} />
      ) : (
        <>
          <h3>Inputs</h3>
          <LiteralTable values={data.data?.inputs} empty={data.isLoading ? "Loading…" : "No inputs recorded."} />
          <h3>Outputs</h3>
          <LiteralTable
            values={data.data?.outputs}
            empty={data.isLoading ? "Loading…" : node.finishedAt ? "No outputs." : "No outputs yet."}
          />
        </>
      )}
    </aside>
  );
}

// Why the node hit or missed the cache: which key component changed, and the entry it
// reused or came nearest to.
function CacheExplanation({ execution, nodeId }: { execution: ExecutionRef; nodeId: string }) {
  const clients = useClients();
  const [asked, setAsked] = useState(false);
  const explain = useQuery({
    queryKey: ["explain", execution.project, execution.domain, execution.name, nodeId],
    queryFn: () => clients.cache.explainCache({ nodeExecutionId: { executionId: execution, nodeId } }),
    enabled: asked,
    retry: false,
  });
  if (!asked) {
    return (
      <p>
        <button onClick={() => setAsked(true)}>Why this cache result?</button>
      </p>
    );
  }
  if (explain.isLoading) return <p className="faint">Asking the cache…</p>;
  if (explain.error) return <ProblemMessage error={explain.error} />;
  const answer = explain.data!;
  const source = answer.entry?.source;
  return (
    <div className="notice" data-testid="cache-explanation">
      <p style={{ margin: 0 }}>{answer.reason}</p>
      {answer.changed.length > 0 && (
        <p style={{ margin: "4px 0 0" }}>
          Changed: <span className="mono">{answer.changed.join(", ")}</span>
        </p>
      )}
      {source?.executionId?.name && (
        <p style={{ margin: "4px 0 0" }}>
          Entry from{" "}
          <Link to={`${executionPath(source.executionId)}?node=${encodeURIComponent(source.nodeId)}`}>
            {source.executionId.name} · {source.nodeId}
          </Link>
        </p>
      )}
    </div>
  );
}
