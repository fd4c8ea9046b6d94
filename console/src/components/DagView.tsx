// A workflow's graph, laid out left to right; with node states (an execution) each node is
// coloured by its phase and marked with its cache status.
import {
  Background,
  Controls,
  Handle,
  Position,
  ReactFlow,
  type Edge,
  type Node,
  type NodeProps,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { memo, useMemo } from "react";
import { CacheStatus, NodePhase } from "../gen/graven/v1/execution_pb";
import { cacheStatusName, nodePhaseName, nodePhaseTone } from "../format/phases";
import { layout } from "../graph/layout";
import type { WorkflowGraph } from "../graph/workflowGraph";

export type NodeState = { phase: NodePhase; cacheStatus: CacheStatus };

type DagNodeData = {
  label: string;
  taskName: string;
  state?: NodeState;
  selected: boolean;
};
type DagNode = Node<DagNodeData, "task">;

const DagNodeView = memo(function DagNodeView({ id, data }: NodeProps<DagNode>) {
  const tone = data.state ? nodePhaseTone(data.state.phase) : "muted";
  const cache = data.state ? cacheStatusName(data.state.cacheStatus) : "";
  const classes = ["dag-node", data.state ? `tone-${tone}` : "", data.selected ? "selected" : ""];
  return (
    <div
      className={classes.join(" ")}
      data-node={id}
      data-phase={data.state ? nodePhaseName(data.state.phase) : undefined}
      title={data.taskName}
    >
      <Handle type="target" position={Position.Left} isConnectable={false} />
      <div className="title">{data.label}</div>
      <div className="meta">
        {data.state ? <span>{nodePhaseName(data.state.phase)}</span> : <span>{data.taskName}</span>}
        {cache && (
          <span className={`cache ${data.state?.cacheStatus === CacheStatus.HIT ? "hit" : ""}`}>
            {cache}
          </span>
        )}
      </div>
      <Handle type="source" position={Position.Right} isConnectable={false} />
    </div>
  );
});

const NODE_TYPES = { task: DagNodeView };
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
  // Layout depends on the shape only; phases change colours, not positions.
  const positioned = useMemo(() => layout(graph.nodes, graph.edges), [graph]);
  const nodes = useMemo<DagNode[]>(
    () =>
      positioned.map((n) => ({
        id: n.id,
        type: "task",
        position: { x: n.x, y: n.y },
        draggable: false,
        connectable: false,
        data: {
          label: n.label,
          taskName: n.taskName,
          state: states?.get(n.id),
          selected: n.id === selected,
        },
      })),
    [positioned, states, selected],
  );
  const edges = useMemo<Edge[]>(
    () =>
      graph.edges.map((e) => ({
        id: e.id,
        source: e.source,
        target: e.target,
        style: { stroke: "#9aa5b1" },
        focusable: false,
        ...(graph.edges.length <= 60 && e.label ? { label: e.label, labelStyle: { fontSize: 10, fill: "#5f6b78" } } : {}),
      })),
    [graph],
  );
  return (
    <div className={`graph${tall ? " tall" : graph.nodes.length <= SHORT ? " short" : ""}`} data-testid="dag">
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={NODE_TYPES}
        onNodeClick={(_, node) => onSelect?.(node.id)}
        fitView
        fitViewOptions={{ padding: 0.15, maxZoom: 1.1 }}
        minZoom={0.05}
        onlyRenderVisibleElements={nodes.length > 150}
        nodesDraggable={false}
        nodesConnectable={false}
      >
        <Background gap={20} color="#eef0f3" />
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}
