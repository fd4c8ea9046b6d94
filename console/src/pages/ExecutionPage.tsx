import { useQuery } from "@tanstack/react-query";
import { useEffect, useMemo, useState } from "react";
import { Link, useParams, useSearchParams } from "react-router";
import { isNotFound } from "../api/errors";
import { useClients } from "../api/clients";
import { executionPath, useLiveExecution, type ExecutionRef } from "../api/execution";
import { DagView } from "../components/DagView";
import { ExecutionActions } from "../components/ExecutionActions";
import { Gantt } from "../components/Gantt";
import { Loading, Problem, ProblemMessage } from "../components/Messages";
import { ErrorDetails, NodePanel } from "../components/NodePanel";
import { ExecutionPhaseBadge } from "../components/Status";
import { LiteralTable } from "../components/Values";
import { ExecutionMode } from "../gen/graven/v1/execution_pb";
import { isTerminal } from "../format/phases";
import { dateOf, elapsed, formatDuration, formatTime } from "../format/time";
import { nodeSpecAt } from "../graph/nodeSpec";
import { nodeStates, nodeTree } from "../graph/nodeTree";
import { workflowGraph } from "../graph/workflowGraph";
import { entityPath } from "./paths";

const MODES: Record<ExecutionMode, string> = {
  [ExecutionMode.UNSPECIFIED]: "",
  [ExecutionMode.MANUAL]: "launched",
  [ExecutionMode.RELAUNCH]: "relaunch of",
  [ExecutionMode.RECOVER]: "recovery of",
  [ExecutionMode.CHILD]: "started by",
};

// Ticks once a second while something runs, so durations and the timeline move.
function useNow(running: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [running]);
  return now;
}

export function ExecutionPage() {
  const { project = "", domain = "", name = "" } = useParams();
  const ref: ExecutionRef = useMemo(() => ({ project, domain, name }), [project, domain, name]);
  const clients = useClients();
  const [params, setParams] = useSearchParams();
  const selected = params.get("node");
  const live = useLiveExecution(ref);
  const execution = live.data?.execution;
  const workflowId = execution?.spec?.workflowId;
  const workflow = useQuery({
    queryKey: ["workflow", workflowId?.project, workflowId?.domain, workflowId?.name, workflowId?.version],
    queryFn: () => clients.registry.getWorkflow({ id: workflowId }),
    enabled: workflowId !== undefined,
    staleTime: Infinity, // a registered version never changes
  });
  const phase = execution?.closure?.phase;
  const data = useQuery({
    queryKey: ["execution-data", project, domain, name, phase],
    queryFn: () => clients.executions.getExecutionData({ id: ref }),
    enabled: execution !== undefined,
    retry: false,
  });
  const graph = useMemo(() => workflowGraph(workflow.data?.workflow), [workflow.data]);
  const nodes = useMemo(() => live.data?.nodes ?? [], [live.data]);
  const labels = useMemo(() => new Map(graph.nodes.map((n) => [n.id, n.label])), [graph]);
  const tree = useMemo(() => nodeTree(nodes), [nodes]);
  const states = useMemo(() => nodeStates(tree), [tree]);
  // The timeline shows the top level; a map's elements have their own, in its panel.
  const topLevel = useMemo(() => tree.children.get("") ?? [], [tree]);
  const now = useNow(phase !== undefined && !isTerminal(phase));
  const select = (nodeId: string | null) =>
    setParams((current) => {
      const next = new URLSearchParams(current);
      if (nodeId) next.set("node", nodeId);
      else next.delete("node");
      return next;
    });

  if (live.isLoading) return <Loading what={`execution ${name}`} />;
  if (live.error || !execution) {
    return (
      <>
        <ProblemMessage
          error={live.error}
          hint={
            isNotFound(live.error) ? (
              <>
                There is no execution <span className="mono">{`${project}/${domain}/${name}`}</span>.{" "}
                <Link to={`/executions?project=${project}&domain=${domain}`}>See the executions of {project}/{domain}</Link>.
              </>
            ) : undefined
          }
        />
      </>
    );
  }

  const closure = execution.closure!;
  const spec = execution.spec!;
  const started = dateOf(closure.startedAt);
  const finished = dateOf(closure.finishedAt);
  const selectedNode = selected ? tree.byId.get(selected) : undefined;
  const parent = spec.parentNodeExecution;

  return (
    <>
      <div className="page-head">
        <div>
          <div className="sub">
            <Link to={`/executions?project=${project}&domain=${domain}`}>Executions</Link> / {project}/{domain}
          </div>
          <div style={{ display: "flex", gap: 10, alignItems: "center" }}>
            <h1 className="mono">{name}</h1>
            <ExecutionPhaseBadge phase={closure.phase} />
            {live.live && <span className="faint">live</span>}
          </div>
        </div>
        <div className="spacer" />
        <ExecutionActions execution={execution} />
      </div>

      <div className="card">
        <dl className="facts">
          <dt>Workflow</dt>
          <dd>
            <Link to={entityPath("workflows", spec.workflowId!, spec.workflowId!.version)}>
              {spec.workflowId!.name}
            </Link>{" "}
            <span className="mono muted">@{spec.workflowId!.version}</span>
          </dd>
          {parent?.executionId?.name && (
            <>
              <dt>Parent</dt>
              <dd data-testid="parent-execution">
                {MODES[spec.mode] || MODES[ExecutionMode.CHILD]}{" "}
                <Link to={`${executionPath(parent.executionId)}?node=${encodeURIComponent(parent.nodeId)}`}>
                  {parent.executionId.name} · {parent.nodeId}
                </Link>
              </dd>
            </>
          )}
          {spec.sourceExecutionId?.name && (
            <>
              <dt>Origin</dt>
              <dd>
                {MODES[spec.mode]}{" "}
                <Link to={executionPath(spec.sourceExecutionId)}>{spec.sourceExecutionId.name}</Link>
              </dd>
            </>
          )}
          <dt>Created</dt>
          <dd>{formatTime(dateOf(closure.createdAt))}</dd>
          <dt>Started</dt>
          <dd>{formatTime(started)}</dd>
          <dt>Duration</dt>
          <dd>{formatDuration(elapsed(started, finished, now))}</dd>
        </dl>
        {closure.error && (
          <>
            <h3>
              Error
              {closure.error.nodeId && (
                <>
                  {" "}in node{" "}
                  <button className="link" onClick={() => select(closure.error!.nodeId)}>
                    {closure.error.nodeId}
                  </button>
                </>
              )}
            </h3>
            <ErrorDetails error={closure.error} />
          </>
        )}
      </div>

      <div className={`detail${selectedNode ? "" : " no-panel"}`}>
        <div>
          {workflow.error ? (
            <ProblemMessage error={workflow.error} />
          ) : workflow.isLoading ? (
            <Loading what="the graph" />
          ) : (
            <DagView graph={graph} states={states} selected={selected} onSelect={select} />
          )}
          <div className="card" style={{ marginTop: 16 }}>
            <h2>Timeline</h2>
            <Gantt nodes={topLevel} labels={labels} onSelect={select} now={now} />
          </div>
          <div className="grid2">
            <div className="card">
              <h2>Inputs</h2>
              {data.error ? <ProblemMessage error={data.error} /> : <LiteralTable values={data.data?.inputs} empty="No inputs." />}
            </div>
            <div className="card">
              <h2>Outputs</h2>
              {data.error ? (
                <ProblemMessage error={data.error} />
              ) : (
                <LiteralTable values={data.data?.outputs} empty={isTerminal(closure.phase) ? "No outputs." : "Not finished yet."} />
              )}
            </div>
          </div>
        </div>
        {selectedNode && (
          <NodePanel
            execution={ref}
            node={selectedNode}
            spec={nodeSpecAt(workflow.data?.workflow, selected!)}
            nested={tree.children.get(selected!) ?? []}
            onSelect={select}
            onClose={() => select(null)}
            now={now}
          />
        )}
      </div>
      {selected && !selectedNode && nodes.length > 0 && (
        <Problem title="No such node">
          This execution has no node <span className="mono">{selected}</span>.
        </Problem>
      )}
    </>
  );
}
