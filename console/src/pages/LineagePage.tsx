// Where a value came from and what it fed: the lineage graph of an artifact or of an
// execution, upstream, downstream or both, with links to the producing executions; a step
// that was a cache hit links to the execution whose outputs it reused.
import { useQuery } from "@tanstack/react-query";
import { Background, Controls, Handle, Position, ReactFlow, type Edge, type Node, type NodeProps } from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { memo, useMemo, useState, type FormEvent } from "react";
import { Link, useSearchParams } from "react-router";
import { useClients } from "../api/clients";
import { executionPath } from "../api/execution";
import { Empty, Loading, Problem, ProblemMessage } from "../components/Messages";
import { LineageDirection } from "../gen/graven/v1/lineage_service_pb";
import type { Artifact, LineageStep } from "../gen/graven/v1/lineage_pb";
import { shortHash, typeText } from "../format/literals";
import { dateOf, formatTime } from "../format/time";
import { layout } from "../graph/layout";
import { lineageGraph, type LineageNode } from "../graph/lineageGraph";
import { entityPath } from "./paths";

const DIRECTIONS: Record<string, LineageDirection> = {
  upstream: LineageDirection.UPSTREAM,
  downstream: LineageDirection.DOWNSTREAM,
  both: LineageDirection.BOTH,
};
const ARTIFACT_WIDTH = 170;
const STEP_WIDTH = 220;

type Subject = { case: "artifactHash"; value: string } | { case: "executionId"; value: { project: string; domain: string; name: string } };

// "sha256:…" (or bare hex) is an artifact; "project/domain/name" is an execution.
export function parseSubject(text: string): Subject | null {
  const value = text.trim();
  const execution = value.split("/");
  if (execution.length === 3 && execution.every(Boolean)) {
    return { case: "executionId", value: { project: execution[0], domain: execution[1], name: execution[2] } };
  }
  if (/^(sha256:)?[0-9a-f]{64}$/.test(value)) {
    return { case: "artifactHash", value: value.startsWith("sha256:") ? value : `sha256:${value}` };
  }
  return null;
}

type FlowData = { item: LineageNode; selected: boolean };
type FlowNode = Node<FlowData, "lineage">;

// A step reads best by its task's function name; the node id stays in the details.
function stepTitle(step: LineageStep): string {
  if (!step.id?.nodeId) return "workflow inputs";
  return step.taskId?.name ? (step.taskId.name.split(".").pop() ?? step.id.nodeId) : step.id.nodeId;
}

const LineageNodeView = memo(function LineageNodeView({ data }: NodeProps<FlowNode>) {
  const item = data.item;
  return (
    <div className={`lineage-node ${item.kind}${data.selected ? " selected" : ""}`} data-lineage={item.kind}>
      <Handle type="target" position={Position.Left} isConnectable={false} />
      {item.kind === "artifact" ? (
        <>
          <div className="title mono">{shortHash(item.artifact.hash)}</div>
          <div className="meta">{typeText(item.artifact.type)}</div>
        </>
      ) : (
        <>
          <div className="title">
            {stepTitle(item.step)}
            {item.step.cacheSource?.executionId?.name && <span className="cache hit">cache hit</span>}
          </div>
          <div className="meta mono">
            {item.step.id?.nodeId ? `${item.step.id.nodeId} · ` : ""}
            {item.step.id?.executionId?.name}
          </div>
        </>
      )}
      <Handle type="source" position={Position.Right} isConnectable={false} />
    </div>
  );
});
const NODE_TYPES = { lineage: LineageNodeView };

export function LineagePage() {
  const clients = useClients();
  const [params, setParams] = useSearchParams();
  const subjectText = params.get("artifact") ?? params.get("execution") ?? "";
  const direction = params.get("direction") ?? "both";
  const depth = Number(params.get("depth") ?? "0") || 0;
  const [draft, setDraft] = useState(subjectText);
  const [selected, setSelected] = useState<string | null>(null);
  const subject = parseSubject(subjectText);

  const lineage = useQuery({
    queryKey: ["lineage", subjectText, direction, depth],
    queryFn: () =>
      clients.lineage.getLineage({ subject: subject!, direction: DIRECTIONS[direction] ?? LineageDirection.BOTH, depth }),
    enabled: subject !== null,
    retry: false,
  });
  const graph = useMemo(() => lineageGraph(lineage.data?.graph), [lineage.data]);
  const positioned = useMemo(
    () => layout(graph.nodes, graph.edges, (n) => (n.kind === "artifact" ? ARTIFACT_WIDTH : STEP_WIDTH)),
    [graph],
  );
  const nodes = useMemo<FlowNode[]>(
    () =>
      positioned.map((n) => ({
        id: n.id,
        type: "lineage",
        position: { x: n.x, y: n.y },
        draggable: false,
        data: { item: n, selected: n.id === selected },
      })),
    [positioned, selected],
  );
  const edges = useMemo<Edge[]>(
    () => graph.edges.map((e) => ({ id: e.id, source: e.source, target: e.target, label: e.label, labelStyle: { fontSize: 10, fill: "#5f6b78" }, style: { stroke: "#9aa5b1" } })),
    [graph],
  );
  const chosen = graph.nodes.find((n) => n.id === selected) ?? null;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const parsed = parseSubject(draft);
    const next = new URLSearchParams(params);
    next.delete("artifact");
    next.delete("execution");
    next.set(parsed?.case === "executionId" ? "execution" : "artifact", draft.trim());
    setParams(next);
    setSelected(null);
  };
  const setParam = (name: string, value: string) => {
    const next = new URLSearchParams(params);
    next.set(name, value);
    setParams(next);
  };

  return (
    <>
      <div className="page-head">
        <h1>Lineage</h1>
        <span className="sub">where a value came from, and what it fed</span>
      </div>
      <div className="card">
        <form className="filters" onSubmit={submit}>
          <label style={{ flex: 1 }}>
            Artifact hash or execution (project/domain/name)
            <input aria-label="Subject" value={draft} onChange={(e) => setDraft(e.target.value)} placeholder="sha256:… or demo/development/abc123" />
          </label>
          <label>
            Direction
            <select aria-label="Direction" value={direction} onChange={(e) => setParam("direction", e.target.value)}>
              <option value="upstream">Upstream</option>
              <option value="downstream">Downstream</option>
              <option value="both">Both</option>
            </select>
          </label>
          <label>
            Depth
            <select aria-label="Depth" value={String(depth)} onChange={(e) => setParam("depth", e.target.value)}>
              <option value="0">Unlimited</option>
              {[1, 2, 3, 5, 10].map((d) => (
                <option key={d} value={String(d)}>
                  {d}
                </option>
              ))}
            </select>
          </label>
          <button className="primary" type="submit">
            Show
          </button>
        </form>
      </div>
      {!subjectText ? (
        <Empty>Give an artifact hash (from an input or output of a node) or an execution.</Empty>
      ) : subject === null ? (
        <Problem title="Not an artifact or an execution">
          <span className="mono">{subjectText}</span> is neither an artifact hash (sha256:…) nor an execution
          (project/domain/name).
        </Problem>
      ) : lineage.error ? (
        <ProblemMessage error={lineage.error} />
      ) : lineage.isLoading ? (
        <Loading what="the lineage" />
      ) : graph.nodes.length === 0 ? (
        <Empty>No lineage recorded for this {subject.case === "artifactHash" ? "artifact" : "execution"}.</Empty>
      ) : (
        <div className={`detail${chosen ? "" : " no-panel"}`}>
          <div className="graph tall" data-testid="lineage-graph">
            <ReactFlow
              nodes={nodes}
              edges={edges}
              nodeTypes={NODE_TYPES}
              onNodeClick={(_, n) => setSelected(n.id)}
              fitView
              fitViewOptions={{ padding: 0.15, maxZoom: 1.1 }}
              minZoom={0.05}
              nodesDraggable={false}
              nodesConnectable={false}
            >
              <Background gap={20} color="#eef0f3" />
              <Controls showInteractive={false} />
            </ReactFlow>
          </div>
          {chosen && (
            <aside className="panel" data-testid="lineage-panel">
              <div className="panel-head">
                <h2>{chosen.kind === "artifact" ? "Artifact" : stepTitle(chosen.step)}</h2>
                <button className="close" onClick={() => setSelected(null)} aria-label="Close">
                  ✕
                </button>
              </div>
              {chosen.kind === "artifact" ? <ArtifactDetails artifact={chosen.artifact} /> : <StepDetails step={chosen.step} />}
            </aside>
          )}
        </div>
      )}
    </>
  );
}

function ArtifactDetails({ artifact }: { artifact: Artifact }) {
  return (
    <>
      <dl className="facts">
        <dt>Hash</dt>
        <dd className="hash">{artifact.hash}</dd>
        <dt>Type</dt>
        <dd className="mono">{typeText(artifact.type)}</dd>
        <dt>Size</dt>
        <dd>{artifact.size.toString()} bytes</dd>
        <dt>First seen</dt>
        <dd>{formatTime(dateOf(artifact.createdAt))}</dd>
      </dl>
      <p>
        <Link to={`/lineage?artifact=${encodeURIComponent(artifact.hash)}&direction=both`}>Center the graph here</Link>
      </p>
      <h3>Produced by</h3>
      <table>
        <tbody>
          {artifact.records.map((r, i) => (
            <tr key={i}>
              <td>
                <Link to={`${executionPath(r.executionId)}${r.nodeId ? `?node=${encodeURIComponent(r.nodeId)}` : ""}`}>
                  {r.executionId?.name}
                </Link>
                <div className="faint">{r.nodeId ? `${r.nodeId}.${r.name}` : `input ${r.name}`}</div>
              </td>
              <td>
                {r.cacheSource?.executionId?.name ? (
                  <Link className="cache hit" to={`${executionPath(r.cacheSource.executionId)}?node=${encodeURIComponent(r.cacheSource.nodeId)}`}>
                    cache hit from {r.cacheSource.executionId.name}
                  </Link>
                ) : (
                  <span className="faint">{formatTime(dateOf(r.createdAt))}</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function StepDetails({ step }: { step: LineageStep }) {
  const execution = step.id?.executionId;
  const source = step.cacheSource;
  return (
    <>
      <dl className="facts">
        <dt>Execution</dt>
        <dd>
          <Link to={`${executionPath(execution)}${step.id?.nodeId ? `?node=${encodeURIComponent(step.id.nodeId)}` : ""}`}>
            {execution?.name}
          </Link>
        </dd>
        {step.taskId?.name && (
          <>
            <dt>Task</dt>
            <dd>
              <Link to={entityPath("tasks", step.taskId, step.taskId.version)}>
                {step.taskId.name}@{step.taskId.version}
              </Link>
            </dd>
          </>
        )}
        {step.codeDigest && (
          <>
            <dt>Code digest</dt>
            <dd className="hash">{shortHash(step.codeDigest)}</dd>
          </>
        )}
        {source?.executionId?.name && (
          <>
            <dt>Cache hit from</dt>
            <dd>
              <Link className="cache hit" to={`${executionPath(source.executionId)}?node=${encodeURIComponent(source.nodeId)}`}>
                {source.executionId.name} · {source.nodeId}
              </Link>
            </dd>
          </>
        )}
      </dl>
      <h3>Consumed</h3>
      <HashList values={step.inputs} />
      <h3>Produced</h3>
      <HashList values={step.outputs} />
    </>
  );
}

function HashList({ values }: { values: { [name: string]: string } }) {
  const entries = Object.entries(values).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return <p className="faint">Nothing.</p>;
  return (
    <dl className="facts">
      {entries.map(([name, hash]) => (
        <div key={name} style={{ display: "contents" }}>
          <dt className="mono">{name}</dt>
          <dd>
            <Link className="hash" to={`/lineage?artifact=${encodeURIComponent(hash)}&direction=both`} title={hash}>
              {shortHash(hash)}
            </Link>
          </dd>
        </div>
      ))}
    </dl>
  );
}
