// Positions for a graph, left to right in dependency order (dagre).
import dagre from "@dagrejs/dagre";
type Edge = { source: string; target: string };

export const NODE_WIDTH = 200;
export const NODE_HEIGHT = 56;

export type Positioned<N> = N & { x: number; y: number };

export function layout<N extends { id: string }>(
  nodes: N[],
  edges: Edge[],
  width: (node: N) => number = () => NODE_WIDTH,
): Positioned<N>[] {
  const graph = new dagre.graphlib.Graph();
  graph.setGraph({ rankdir: "LR", nodesep: 18, ranksep: 64, marginx: 8, marginy: 8 });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const node of nodes) graph.setNode(node.id, { width: width(node), height: NODE_HEIGHT });
  for (const edge of edges) graph.setEdge(edge.source, edge.target);
  dagre.layout(graph);
  return nodes.map((node) => {
    const { x, y } = graph.node(node.id);
    // dagre gives centres; React Flow wants top-left corners.
    return { ...node, x: x - width(node) / 2, y: y - NODE_HEIGHT / 2 };
  });
}
