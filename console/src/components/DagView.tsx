// A workflow's graph, laid out left to right; with node states (an execution) each node is
// coloured by its phase and marked with its cache status. Each kind of step draws what a
// person needs of it: a branch its cases (the one taken highlighted, the skipped greyed), a
// map its elements by phase, a subworkflow a toggle that expands it in place, a launch plan
// a link to the child execution it started, a gate what it waits for.
import {
  Background,
  Controls,
  Handle,
  Position,
  ReactFlow,
  type Edge,
  type Node,
  type NodeProps,
  useReactFlow,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { memo, useCallback, useEffect, useMemo, useRef, useState, type MouseEvent, type RefObject } from "react";
import { Link } from "react-router";
import { executionPath } from "../api/execution";
import { CacheStatus, NodePhase } from "../gen/graven/v1/execution_pb";
import { cacheStatusName, nodePhaseName, nodePhaseTone } from "../format/phases";
import { enclosing, nestedLayout } from "../graph/nestedLayout";
import type { NodeState } from "../graph/nodeTree";
import type { GraphNode, WorkflowGraph } from "../graph/workflowGraph";

export type { NodeState };

type DagNodeData = {
  node: GraphNode;
  state?: NodeState;
  states?: Map<string, NodeState>;
  selected: string | null | undefined;
  expanded: boolean;
  onSelect?: (nodeId: string) => void;
  onToggle: (nodeId: string) => void;
};
type DagNode = Node<DagNodeData, "step" | "branch" | "frame">;

// Clicks on a control inside a node are for the control, not for selecting the node.
const own = (handler: () => void) => (event: MouseEvent) => {
  event.stopPropagation();
  handler();
};

function kindText(node: GraphNode): string {
  switch (node.kind.type) {
    case "map":
      return `map · ${node.taskName}`;
    case "subworkflow":
      return `subworkflow · ${node.kind.workflowId.name}`;
    case "launchplan":
      return `launch plan · ${node.kind.launchPlanId.name}`;
    case "gate":
      return node.kind.text;
    case "branch":
      return "branch";
    default:
      return node.taskName;
  }
}

function stateText(node: GraphNode, state: NodeState): string {
  // A gate that runs is waiting for its signal, its approval or its timer.
  if (node.kind.type === "gate" && state.phase === NodePhase.RUNNING) return "waiting";
  return nodePhaseName(state.phase);
}

function toneClasses(data: DagNodeData, base: string): string {
  const tone = data.state ? nodePhaseTone(data.state.phase) : "muted";
  return [base, data.state ? `tone-${tone}` : "", data.node.id === data.selected ? "selected" : "", data.node.onFailure ? "on-failure" : ""].join(" ");
}

function ElementCounts({ state }: { state: NodeState }) {
  if (!state.elements?.length) return <span>no elements yet</span>;
  return (
    <span className="counts" data-testid="map-counts">
      {state.elements.map((c) => (
        <span key={c.phase} className={`count tone-${nodePhaseTone(c.phase)}`} title={`${c.count} ${nodePhaseName(c.phase).toLowerCase()}`}>
          {c.count} {nodePhaseName(c.phase).toLowerCase()}
        </span>
      ))}
    </span>
  );
}

const StepView = memo(function StepView({ id, data }: NodeProps<DagNode>) {
  const { node, state } = data;
  const cache = state ? cacheStatusName(state.cacheStatus) : "";
  return (
    <div
      className={toneClasses(data, `dag-node kind-${node.kind.type}`)}
      data-node={id}
      data-kind={node.kind.type}
      data-phase={state ? nodePhaseName(state.phase) : undefined}
      title={node.taskName || kindText(node)}
    >
      <Handle type="target" position={Position.Left} isConnectable={false} />
      <div className="title">
        {node.onFailure && <span className="tag">on failure</span>}
        {node.kind.type === "map" && <span className="tag">map</span>}
        {node.label}
        {node.kind.type === "subworkflow" && node.kind.inner && (
          <button className="toggle nodrag" onClick={own(() => data.onToggle(id))} aria-label={`Expand ${node.label}`} title="Expand">
            ＋
          </button>
        )}
      </div>
      <div className="meta">
        {state ? <span>{stateText(node, state)}</span> : <span>{kindText(node)}</span>}
        {state && node.kind.type !== "task" && node.kind.type !== "map" && <span className="faint">{kindText(node)}</span>}
        {cache && <span className={`cache ${state?.cacheStatus === CacheStatus.HIT ? "hit" : ""}`}>{cache}</span>}
        {node.kind.type === "launchplan" && state?.childExecution && (
          <Link className="nodrag" to={executionPath(state.childExecution)} onClick={(e) => e.stopPropagation()} data-testid="child-link">
            {state.childExecution.name} →
          </Link>
        )}
      </div>
      {node.kind.type === "map" && (
        <div className="meta">{state ? <ElementCounts state={state} /> : <span>over {node.kind.mappedInputs.join(", ")}</span>}</div>
      )}
      <Handle type="source" position={Position.Right} isConnectable={false} />
    </div>
  );
});

const BranchView = memo(function BranchView({ id, data }: NodeProps<DagNode>) {
  const { node, state, states } = data;
  if (node.kind.type !== "branch") return null;
  return (
    <div className={toneClasses(data, "dag-node branch")} data-node={id} data-kind="branch" data-phase={state ? nodePhaseName(state.phase) : undefined}>
      <Handle type="target" position={Position.Left} isConnectable={false} />
      <div className="title">
        <span className="tag">branch</span>
        {node.label}
      </div>
      <ol className="cases">
        {node.kind.cases.map((c) => {
          const caseState = states?.get(c.nodeId);
          // Taken: the case node ran (whatever its outcome); skipped: recorded as not run.
          const status = !caseState ? "" : caseState.phase === NodePhase.SKIPPED ? "skipped" : "taken";
          return (
            <li
              key={c.nodeId}
              className={`case nodrag ${status} ${c.nodeId === data.selected ? "selected" : ""}`}
              data-case={c.nodeId}
              data-status={status || undefined}
              title={caseState ? `${c.nodeId}: ${nodePhaseName(caseState.phase)}` : c.nodeId}
              onClick={own(() => data.onSelect?.(c.nodeId))}
            >
              <span className="cond mono">{c.condition === "else" ? "else" : `if ${c.condition}`}</span>
              <span className="then">→ {c.label}</span>
            </li>
          );
        })}
        {node.kind.elseFail !== undefined && (
          <li className="case fail">
            <span className="cond mono">else</span>
            <span className="then">fail: {node.kind.elseFail}</span>
          </li>
        )}
      </ol>
      <Handle type="source" position={Position.Right} isConnectable={false} />
    </div>
  );
});

const FrameView = memo(function FrameView({ id, data }: NodeProps<DagNode>) {
  const { node, state } = data;
  return (
    <div className={toneClasses(data, "dag-frame")} data-node={id} data-kind="subworkflow" data-phase={state ? nodePhaseName(state.phase) : undefined}>
      <Handle type="target" position={Position.Left} isConnectable={false} />
      <div className="title">
        <span className="tag">subworkflow</span>
        {node.label}
        {state && <span className="faint">{nodePhaseName(state.phase)}</span>}
        <button className="toggle nodrag" onClick={own(() => data.onToggle(id))} aria-label={`Collapse ${node.label}`} title="Collapse">
          −
        </button>
      </div>
      <Handle type="source" position={Position.Right} isConnectable={false} />
    </div>
  );
});

const NODE_TYPES = { step: StepView, branch: BranchView, frame: FrameView };
const FIT = { padding: 0.15, maxZoom: 1.1 };

// The frame narrows when the node panel opens beside it: the graph is fitted to it again.
function FitOnResize({ frame }: { frame: RefObject<HTMLDivElement | null> }) {
  const flow = useReactFlow();
  useEffect(() => {
    const element = frame.current;
    if (!element) return;
    let width = element.clientWidth;
    const observer = new ResizeObserver(() => {
      if (element.clientWidth === width) return;
      width = element.clientWidth;
      void flow.fitView(FIT);
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, [flow, frame]);
  return null;
}
// Graphs this small fit a shorter frame.
const SHORT = 8;

export function DagView({
  graph,
  states,
  selected,
  onSelect,
  tall,
}: {
  graph: WorkflowGraph;
  states?: Map<string, NodeState>;
  selected?: string | null;
  onSelect?: (nodeId: string) => void;
  tall?: boolean;
}) {
  // A node selected inside a collapsed subworkflow (a link, the execution's error) opens the
  // subworkflows around it; collapsing them again is the person's choice.
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(() => new Set(selected ? enclosing(selected) : []));
  const [shown, setShown] = useState(selected);
  if (selected !== shown) {
    setShown(selected);
    if (selected) setExpanded((current) => new Set([...current, ...enclosing(selected)]));
  }
  const frame = useRef<HTMLDivElement>(null);
  const toggle = useCallback(
    (nodeId: string) =>
      setExpanded((current) => {
        const next = new Set(current);
        if (next.has(nodeId)) next.delete(nodeId);
        else next.add(nodeId);
        return next;
      }),
    [],
  );
  // Layout depends on the shape only; phases change colours, not positions.
  const placed = useMemo(() => nestedLayout(graph, expanded), [graph, expanded]);
  const nodes = useMemo<DagNode[]>(
    () =>
      placed.boxes.map((b) => ({
        id: b.id,
        type: b.expanded ? "frame" : b.node.kind.type === "branch" ? "branch" : "step",
        position: { x: b.x, y: b.y },
        ...(b.parentId ? { parentId: b.parentId } : {}),
        style: { width: b.width, height: b.height },
        draggable: false,
        connectable: false,
        data: {
          node: b.node,
          state: states?.get(b.id),
          states,
          selected,
          expanded: b.expanded,
          onSelect,
          onToggle: toggle,
        },
      })),
    [placed, states, selected, onSelect, toggle],
  );
  const edges = useMemo<Edge[]>(
    () =>
      placed.edges.map((e) => ({
        id: e.id,
        source: e.source,
        target: e.target,
        style: { stroke: "#9aa5b1" },
        focusable: false,
        ...(placed.edges.length <= 60 && e.label ? { label: e.label, labelStyle: { fontSize: 10, fill: "#5f6b78" } } : {}),
      })),
    [placed],
  );
  return (
    <div className={`graph${tall ? " tall" : graph.nodes.length <= SHORT ? " short" : ""}`} data-testid="dag" ref={frame}>
      <ReactFlow
        // A new shape is fitted to the frame again: remounting re-applies fitView.
        key={[...expanded].sort().join(",")}
        nodes={nodes}
        edges={edges}
        nodeTypes={NODE_TYPES}
        onNodeClick={(_, node) => onSelect?.(node.id)}
        fitView
        fitViewOptions={FIT}
        minZoom={0.05}
        onlyRenderVisibleElements={nodes.length > 150}
        nodesDraggable={false}
        nodesConnectable={false}
      >
        <Background gap={20} color="#eef0f3" />
        <Controls showInteractive={false} />
        <FitOnResize frame={frame} />
      </ReactFlow>
    </div>
  );
}
