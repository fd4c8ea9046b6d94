// Positions for a workflow graph whose subworkflow nodes may be expanded in place: an
// expanded node becomes a frame around its own inner graph, laid out first (inside out), so
// the outer layout sees it as one larger box. Positions of nested boxes are relative to
// their frame, as React Flow wants them; frames come before what they hold.
import dagre from "@dagrejs/dagre";
import type { GraphEdge, GraphNode, WorkflowGraph } from "./workflowGraph";
import { NODE_HEIGHT, NODE_WIDTH } from "./layout";

export const BRANCH_WIDTH = 250;
export const CASE_ROW = 20;
export const MAP_HEIGHT = 72;
export const FRAME_PAD = 16;
export const FRAME_HEAD = 34;
const MARGIN = 8;
const FAILURE_GAP = 28;

// The nodes a nested id is inside of, outermost first: "n6/n1/n0" → "n6", "n6/n1". Those
// that are subworkflows must be expanded for the node to be seen.
export function enclosing(nestedId: string): string[] {
  const parts = nestedId.split("/");
  return parts.slice(1).map((_, i) => parts.slice(0, i + 1).join("/"));
}

export type Box = {
  id: string;
  node: GraphNode;
  x: number;
  y: number;
  width: number;
  height: number;
  parentId?: string;
  expanded: boolean;
};

export type NestedLayout = { boxes: Box[]; edges: GraphEdge[]; width: number; height: number };

function collapsedSize(node: GraphNode): [number, number] {
  switch (node.kind.type) {
    case "branch": {
      const rows = node.kind.cases.length + (node.kind.elseFail !== undefined ? 1 : 0);
      return [BRANCH_WIDTH, 30 + CASE_ROW * Math.max(rows, 1)];
    }
    case "map":
      return [NODE_WIDTH, MAP_HEIGHT];
    default:
      return [NODE_WIDTH, NODE_HEIGHT];
  }
}

export function nestedLayout(graph: WorkflowGraph, expanded: ReadonlySet<string>): NestedLayout {
  const framed = new Map<string, NestedLayout>();
  const size = (node: GraphNode): [number, number] => {
    if (node.kind.type === "subworkflow" && node.kind.inner && !node.onFailure && expanded.has(node.id)) {
      const inner = nestedLayout(node.kind.inner, expanded);
      framed.set(node.id, inner);
      return [Math.max(inner.width + 2 * FRAME_PAD, NODE_WIDTH), inner.height + FRAME_HEAD + FRAME_PAD];
    }
    return collapsedSize(node);
  };
  const main = graph.nodes.filter((n) => !n.onFailure);
  const sizes = new Map(graph.nodes.map((n) => [n.id, size(n)]));

  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "LR", nodesep: 18, ranksep: 64, marginx: MARGIN, marginy: MARGIN });
  g.setDefaultEdgeLabel(() => ({}));
  for (const node of main) {
    const [width, height] = sizes.get(node.id)!;
    g.setNode(node.id, { width, height });
  }
  for (const edge of graph.edges) g.setEdge(edge.source, edge.target);
  dagre.layout(g);

  const boxes: Box[] = [];
  const inner: Box[] = [];
  const edges = [...graph.edges];
  let width = 0;
  let height = 0;
  for (const node of main) {
    const [w, h] = sizes.get(node.id)!;
    // dagre gives centres; React Flow wants top-left corners.
    const { x, y } = g.node(node.id);
    const box = { id: node.id, node, x: x - w / 2, y: y - h / 2, width: w, height: h, expanded: framed.has(node.id) };
    boxes.push(box);
    width = Math.max(width, box.x + w + MARGIN);
    height = Math.max(height, box.y + h + MARGIN);
    const frame = framed.get(node.id);
    if (frame) {
      for (const b of frame.boxes) {
        // Only the frame's own children move by its padding; theirs are relative to them.
        const own = b.parentId === undefined;
        inner.push({
          ...b,
          parentId: own ? node.id : b.parentId,
          x: own ? b.x + FRAME_PAD : b.x,
          y: own ? b.y + FRAME_HEAD : b.y,
        });
      }
      edges.push(...frame.edges);
    }
  }
  // The failure node runs after the graph, not as part of it: drawn beneath, apart.
  for (const node of graph.nodes.filter((n) => n.onFailure)) {
    const [w, h] = sizes.get(node.id)!;
    boxes.push({ id: node.id, node, x: MARGIN, y: height + FAILURE_GAP, width: w, height: h, expanded: false });
    height += FAILURE_GAP + h + MARGIN;
    width = Math.max(width, MARGIN + w + MARGIN);
  }
  return { boxes: [...boxes, ...inner], edges, width, height };
}
