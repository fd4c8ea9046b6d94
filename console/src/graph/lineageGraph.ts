// A lineage graph for drawing: artifacts and steps as nodes; an edge from each artifact a
// step consumed to the step, and from the step to each artifact it produced.
import type { Artifact, LineageGraph, LineageStep } from "../gen/graven/v1/lineage_pb";

export type LineageNode =
  | { id: string; kind: "artifact"; artifact: Artifact }
  | { id: string; kind: "step"; step: LineageStep };
export type LineageEdge = { id: string; source: string; target: string; label: string };

export function stepKey(step: LineageStep): string {
  const e = step.id?.executionId;
  return `step:${e?.project}/${e?.domain}/${e?.name}/${step.id?.nodeId ?? ""}`;
}

export function lineageGraph(graph: LineageGraph | undefined): { nodes: LineageNode[]; edges: LineageEdge[] } {
  if (!graph) return { nodes: [], edges: [] };
  const artifacts = new Map(graph.artifacts.map((a) => [a.hash, a]));
  const nodes: LineageNode[] = graph.artifacts.map((a) => ({ id: a.hash, kind: "artifact", artifact: a }));
  const edges: LineageEdge[] = [];
  for (const step of graph.steps) {
    const id = stepKey(step);
    nodes.push({ id, kind: "step", step });
    for (const [name, hash] of Object.entries(step.inputs)) {
      if (artifacts.has(hash)) edges.push({ id: `${hash}>${id}>${name}`, source: hash, target: id, label: name });
    }
    for (const [name, hash] of Object.entries(step.outputs)) {
      if (artifacts.has(hash)) edges.push({ id: `${id}>${hash}>${name}`, source: id, target: hash, label: name });
    }
  }
  return { nodes, edges };
}
