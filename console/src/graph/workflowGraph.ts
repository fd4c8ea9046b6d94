// A workflow version as a graph: its nodes, each with what kind of step it is, and an edge
// wherever a node takes an upstream node's output (however deep in a list or map binding,
// in a branch's conditions or its case nodes' inputs) or an explicit ordering (`a >> b`).
// A subworkflow node carries its inner graph, built from the closure's sub workflows, with
// ids nested as the data plane reports them ("<node>/<inner>").
import type { Identifier } from "../gen/graven/v1/identifier_pb";
import type { BindingData, BooleanExpression, Node, Workflow, WorkflowTemplate } from "../gen/graven/v1/workflow_pb";
import { typeText } from "../format/literals";
import { formatDuration } from "../format/time";
import { conditionText } from "./conditions";

export type BranchCaseView = {
  // The case node's nested id ("<branch>/<case node>"), as its execution is reported.
  nodeId: string;
  // "n1.o0 > 0.5"; "else" for the else node.
  condition: string;
  label: string;
};

export type GateKind = "sleep" | "signal" | "approve";

export type NodeKind =
  | { type: "task" }
  | { type: "map"; mappedInputs: string[]; concurrency: number; minSuccessRatio: number }
  | { type: "branch"; cases: BranchCaseView[]; elseFail?: string }
  | { type: "subworkflow"; workflowId: Identifier; inner: WorkflowGraph | null }
  | { type: "launchplan"; launchPlanId: Identifier }
  | { type: "gate"; gate: GateKind; signalId: string; text: string };

export type GraphNode = {
  id: string;
  label: string;
  taskName: string;
  taskVersion: string;
  kind: NodeKind;
  // The workflow's failure node ("on-failure"), drawn apart from the graph.
  onFailure?: boolean;
};
export type GraphEdge = { id: string; source: string; target: string; label: string };
export type WorkflowGraph = { nodes: GraphNode[]; edges: GraphEdge[] };

export const idKey = (id: Pick<Identifier, "project" | "domain" | "name" | "version"> | undefined) =>
  id ? `${id.project}/${id.domain}/${id.name}@${id.version}` : "";

// Every workflow a closure inlines, at any depth, by versioned id.
export function subWorkflows(workflow: Workflow | undefined): Map<string, Workflow> {
  const found = new Map<string, Workflow>();
  const visit = (w: Workflow | undefined) => {
    for (const sub of w?.closure?.subWorkflows ?? []) {
      const key = idKey(sub.id);
      if (found.has(key)) continue;
      found.set(key, sub);
      visit(sub);
    }
  };
  visit(workflow);
  return found;
}

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

function conditionPromises(expression: BooleanExpression | undefined, found: [string, string][]): void {
  const e = expression?.expression;
  switch (e?.case) {
    case "comparison":
      promises(e.value.left, found);
      promises(e.value.right, found);
      break;
    case "unary":
      promises(e.value.operand, found);
      break;
    case "conjunction":
      conditionPromises(e.value.left, found);
      conditionPromises(e.value.right, found);
      break;
  }
}

// (source node, "output → input") for every value a node takes, nested case nodes included.
function nodeInputs(node: Node, found: [string, string, string][]): void {
  for (const input of node.inputs) {
    const refs: [string, string][] = [];
    promises(input.binding, refs);
    for (const [source, output] of refs) found.push([source, output, input.name]);
  }
  if (node.target.case === "branchNode") {
    const branch = node.target.value;
    for (const c of branch.cases) {
      const refs: [string, string][] = [];
      conditionPromises(c.condition, refs);
      for (const [source, output] of refs) found.push([source, output, "if"]);
      if (c.thenNode) nodeInputs(c.thenNode, found);
    }
    if (branch.otherwise.case === "elseNode") nodeInputs(branch.otherwise.value, found);
  }
}

const shortName = (id: Identifier | undefined) => id?.name ?? "";

function nodeLabel(node: Node): string {
  if (node.metadata?.name) return node.metadata.name;
  const target = node.target;
  switch (target.case) {
    case "taskNode":
    case "arrayNode":
      return shortName(target.value.taskId).split(".").pop() || node.id;
    case "workflowNode":
      return (
        shortName(target.value.reference.case ? target.value.reference.value : undefined).split(".").pop() || node.id
      );
    case "gateNode": {
      const c = target.value.condition;
      return c.case === "signal" || c.case === "approve" ? c.value.signalId : node.id;
    }
    default:
      return node.id;
  }
}

function gateKind(node: Node): NodeKind {
  if (node.target.case !== "gateNode") throw new Error("not a gate");
  const c = node.target.value.condition;
  switch (c.case) {
    case "sleep": {
      const ms = Number(c.value.seconds) * 1000 + c.value.nanos / 1e6;
      return { type: "gate", gate: "sleep", signalId: "", text: `sleep ${formatDuration(ms)}` };
    }
    case "signal":
      return { type: "gate", gate: "signal", signalId: c.value.signalId, text: `input: ${typeText(c.value.type)}` };
    case "approve":
      return { type: "gate", gate: "approve", signalId: c.value.signalId, text: "approval" };
    default:
      return { type: "gate", gate: "sleep", signalId: "", text: "gate" };
  }
}

function kindOf(node: Node, nestedId: string, subs: Map<string, Workflow>, depth: number): NodeKind {
  const target = node.target;
  switch (target.case) {
    case "arrayNode":
      return {
        type: "map",
        mappedInputs: target.value.mappedInputs,
        concurrency: target.value.concurrency,
        minSuccessRatio: target.value.minSuccessRatio ?? 1,
      };
    case "branchNode": {
      const branch = target.value;
      const cases: BranchCaseView[] = branch.cases.map((c) => ({
        nodeId: `${nestedId}/${c.thenNode?.id ?? ""}`,
        condition: conditionText(c.condition),
        label: c.thenNode ? nodeLabel(c.thenNode) : "?",
      }));
      if (branch.otherwise.case === "elseNode") {
        const other = branch.otherwise.value;
        cases.push({ nodeId: `${nestedId}/${other.id}`, condition: "else", label: nodeLabel(other) });
      }
      return branch.otherwise.case === "elseFail" ? { type: "branch", cases, elseFail: branch.otherwise.value } : { type: "branch", cases };
    }
    case "workflowNode": {
      const ref = target.value.reference;
      if (ref.case === "launchPlanId") return { type: "launchplan", launchPlanId: ref.value };
      const sub = ref.case === "subWorkflowId" ? subs.get(idKey(ref.value)) : undefined;
      // Registration refuses recursion; the depth bound keeps a malformed closure drawable.
      const inner = sub?.spec?.template && depth < 16 ? templateGraph(sub.spec.template, `${nestedId}/`, subs, depth + 1) : null;
      return { type: "subworkflow", workflowId: ref.value!, inner };
    }
    case "gateNode":
      return gateKind(node);
    default:
      return { type: "task" };
  }
}

function graphNode(node: Node, prefix: string, subs: Map<string, Workflow>, depth: number): GraphNode {
  const nestedId = `${prefix}${node.id}`;
  const task = node.target.case === "taskNode" || node.target.case === "arrayNode" ? node.target.value.taskId : undefined;
  return {
    id: nestedId,
    label: nodeLabel(node),
    taskName: task?.name ?? "",
    taskVersion: task?.version ?? "",
    kind: kindOf(node, nestedId, subs, depth),
  };
}

function templateGraph(template: WorkflowTemplate, prefix: string, subs: Map<string, Workflow>, depth: number): WorkflowGraph {
  const nodes = template.nodes.map((node) => graphNode(node, prefix, subs, depth));
  const known = new Set(nodes.map((n) => n.id));
  const labels = new Map<string, string[]>();
  const add = (source: string, target: string, label?: string) => {
    const key = `${prefix}${source}\u0000${prefix}${target}`;
    const names = labels.get(key) ?? [];
    if (label && !names.includes(label)) names.push(label);
    labels.set(key, names);
  };
  for (const node of template.nodes) {
    const found: [string, string, string][] = [];
    nodeInputs(node, found);
    for (const [source, output, input] of found) add(source, node.id, `${output} → ${input}`);
    for (const source of node.upstreamNodeIds) add(source, node.id);
  }
  const edges = [...labels.entries()]
    .map(([key, names]) => {
      const [source, target] = key.split("\u0000");
      return { id: key, source, target, label: names.join(", ") };
    })
    .filter((e) => known.has(e.source) && known.has(e.target) && e.source !== e.target);
  if (template.failureNode && !prefix) {
    nodes.push({ ...graphNode(template.failureNode, prefix, subs, depth), onFailure: true });
  }
  return { nodes, edges };
}

export function workflowGraph(workflow: Workflow | undefined): WorkflowGraph {
  const template = workflow?.spec?.template;
  if (!template) return { nodes: [], edges: [] };
  return templateGraph(template, "", subWorkflows(workflow), 0);
}
