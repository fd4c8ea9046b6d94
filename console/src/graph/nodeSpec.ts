// The spec (template node) behind a nested node execution id: "n2/n3" is case node n3 of
// branch n2, "n5/n1/n0" node n0 of the subworkflow behind node n1 of the subworkflow behind
// n5, "n4/17" element 17 of map n4 (whose spec is the map node's).
import type { Node, Workflow, WorkflowTemplate } from "../gen/graven/v1/workflow_pb";
import { idKey, subWorkflows } from "./workflowGraph";

export type NodeSpec = { node: Node; element?: number };

function caseNodes(node: Node): Node[] {
  if (node.target.case !== "branchNode") return [];
  const branch = node.target.value;
  const nodes = branch.cases.flatMap((c) => (c.thenNode ? [c.thenNode] : []));
  if (branch.otherwise.case === "elseNode") nodes.push(branch.otherwise.value);
  return nodes;
}

export function nodeSpecAt(workflow: Workflow | undefined, nestedId: string): NodeSpec | null {
  const template = workflow?.spec?.template;
  if (!template || !nestedId) return null;
  const subs = subWorkflows(workflow);
  const [first, ...rest] = nestedId.split("/");
  const top = (t: WorkflowTemplate, id: string) =>
    t.nodes.find((n) => n.id === id) ?? (t.failureNode?.id === id ? t.failureNode : undefined);
  let node = top(template, first);
  for (const segment of rest) {
    if (!node) return null;
    const target: Node["target"] = node.target;
    if (target.case === "arrayNode") {
      // Only an element index follows a map, and nothing follows an element.
      return /^\d+$/.test(segment) && segment === rest[rest.length - 1] ? { node, element: Number(segment) } : null;
    }
    if (target.case === "branchNode") {
      node = caseNodes(node).find((n) => n.id === segment);
    } else if (target.case === "workflowNode" && target.value.reference.case === "subWorkflowId") {
      const inner = subs.get(idKey(target.value.reference.value))?.spec?.template;
      node = inner ? top(inner, segment) : undefined;
    } else {
      return null;
    }
  }
  return node ? { node } : null;
}
