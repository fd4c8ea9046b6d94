// Nested node executions as a tree. The data plane reports every node, nested or not, with
// its full nested id ("n2/n3", "n4/17", "n5/n1/n0") and its parent's full id ("" at the
// top); this groups them under their parents and sums up what the graph shows per node.
import type { ExecutionIdentifier } from "../gen/graven/v1/identifier_pb";
import { CacheStatus, NodePhase, type NodeExecution } from "../gen/graven/v1/execution_pb";

export type NodeTree = {
  byId: Map<string, NodeExecution>;
  // Direct children by parent id; "" holds the top level. Map elements in index order,
  // the others in the order reported (the workflow's topological order).
  children: Map<string, NodeExecution[]>;
};

export const nodeIdOf = (node: NodeExecution) => node.id?.nodeId ?? "";

// The last segment of a nested id: a map element's index, a case or inner node's own id.
export const leafOf = (nestedId: string) => nestedId.slice(nestedId.lastIndexOf("/") + 1);

const INDEX = /^\d+$/;

function byElementIndex(a: NodeExecution, b: NodeExecution): number {
  const [x, y] = [leafOf(nodeIdOf(a)), leafOf(nodeIdOf(b))];
  if (INDEX.test(x) && INDEX.test(y)) return Number(x) - Number(y);
  return 0; // stable: keeps the reported order
}

export function nodeTree(nodes: NodeExecution[]): NodeTree {
  const byId = new Map<string, NodeExecution>();
  const children = new Map<string, NodeExecution[]>();
  for (const node of nodes) {
    byId.set(nodeIdOf(node), node);
    const siblings = children.get(node.parentNodeId);
    if (siblings) siblings.push(node);
    else children.set(node.parentNodeId, [node]);
  }
  for (const siblings of children.values()) siblings.sort(byElementIndex);
  return { byId, children };
}

export type PhaseCount = { phase: NodePhase; count: number };

// The order counts are shown in: where the work is, then how it ended.
const PHASE_ORDER = [
  NodePhase.RUNNING,
  NodePhase.RETRYING,
  NodePhase.QUEUED,
  NodePhase.SUCCEEDED,
  NodePhase.RECOVERED,
  NodePhase.FAILED,
  NodePhase.TIMED_OUT,
  NodePhase.TERMINATED,
  NodePhase.SKIPPED,
  NodePhase.UNSPECIFIED,
];

export function phaseCounts(nodes: NodeExecution[]): PhaseCount[] {
  const counts = new Map<NodePhase, number>();
  for (const node of nodes) counts.set(node.phase, (counts.get(node.phase) ?? 0) + 1);
  return PHASE_ORDER.filter((p) => counts.has(p)).map((phase) => ({ phase, count: counts.get(phase)! }));
}

// What the graph shows of one node execution.
export type NodeState = {
  phase: NodePhase;
  cacheStatus: CacheStatus;
  childExecution?: ExecutionIdentifier;
  // A map's elements by phase (empty until the map has expanded into elements).
  elements?: PhaseCount[];
};

export function nodeStates(tree: NodeTree): Map<string, NodeState> {
  const states = new Map<string, NodeState>();
  for (const [id, node] of tree.byId) {
    const kids = tree.children.get(id);
    states.set(id, {
      phase: node.phase,
      cacheStatus: node.cacheStatus,
      childExecution: node.childExecutionId?.name ? node.childExecutionId : undefined,
      elements: kids && kids.every((k) => INDEX.test(leafOf(nodeIdOf(k)))) ? phaseCounts(kids) : undefined,
    });
  }
  return states;
}
