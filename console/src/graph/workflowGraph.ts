// A workflow version as a graph: its task nodes, and an edge wherever a node's input takes
// an upstream node's output (however deep in a list or map binding) or an explicit ordering.
import type { BindingData, Workflow } from "../gen/graven/v1/workflow_pb";

export type GraphNode = { id: string; label: string; taskName: string; taskVersion: string };
export type GraphEdge = { id: string; source: string; target: string; label: string };
export type WorkflowGraph = { nodes: GraphNode[]; edges: GraphEdge[] };

function promises(binding: BindingData | undefined, found: [string, string][]): void {
  const value = binding?.value;
  switch (value?.case) {
    case "promise":
      found.push([value.value.nodeId, value.value.outputName]);
      break;
    case "collection":
      value.value.bindings.forEach((b) => promises(b, found));
      break;
    case "map":
      Object.values(value.value.bindings).forEach((b) => promises(b, found));
      break;
  }
}

export function workflowGraph(workflow: Workflow | undefined): WorkflowGraph {
  const template = workflow?.spec?.template;
  if (!template) return { nodes: [], edges: [] };
  const nodes = template.nodes.map((node) => {
    const task = node.target.case === "taskNode" ? node.target.value.taskId : undefined;
    return {
      id: node.id,
      label: node.metadata?.name || node.id,
      taskName: task?.name ?? "",
      taskVersion: task?.version ?? "",
    };
  });
  const known = new Set(nodes.map((n) => n.id));
  const labels = new Map<string, string[]>();
  for (const node of template.nodes) {
    for (const input of node.inputs) {
      const found: [string, string][] = [];
      promises(input.binding, found);
      for (const [source, output] of found) {
        const key = `${source}\u0000${node.id}`;
        labels.set(key, [...(labels.get(key) ?? []), `${output} → ${input.name}`]);
      }
    }
    for (const source of node.upstreamNodeIds) {
      const key = `${source}\u0000${node.id}`;
      if (!labels.has(key)) labels.set(key, []);
    }
  }
  const edges = [...labels.entries()]
    .map(([key, names]) => {
      const [source, target] = key.split("\u0000");
      return { id: key, source, target, label: names.join(", ") };
    })
    .filter((e) => known.has(e.source) && known.has(e.target));
  return { nodes, edges };
}
