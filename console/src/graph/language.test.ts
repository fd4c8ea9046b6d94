import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { NodePhase } from "../gen/graven/v1/execution_pb";
import {
  BooleanExpressionSchema,
  ComparisonOperator,
  LogicalOperator,
  UnaryOperator,
  type BooleanExpression,
} from "../gen/graven/v1/workflow_pb";
import { node } from "../test/fixtures";
import { language, languageRun, promise } from "../test/languageFixtures";
import { conditionText } from "./conditions";
import { enclosing, FRAME_HEAD, FRAME_PAD, nestedLayout } from "./nestedLayout";
import { nodeSpecAt } from "./nodeSpec";
import { nodeStates, nodeTree, phaseCounts } from "./nodeTree";
import { workflowGraph } from "./workflowGraph";

const compare = (operator: ComparisonOperator, left: string, right: number) =>
  create(BooleanExpressionSchema, {
    expression: {
      case: "comparison",
      value: {
        operator,
        left: { ...promise(left.split(".")[0], left.split(".")[1]) },
        right: { value: { case: "literal", value: { value: { case: "primitive", value: { value: { case: "floatValue", value: right } } } } } },
      },
    },
  });
const join = (operator: LogicalOperator, left: BooleanExpression, right: BooleanExpression) =>
  create(BooleanExpressionSchema, { expression: { case: "conjunction", value: { operator, left, right } } });

describe("conditionText", () => {
  it("spells a comparison as the SDK does", () => {
    expect(conditionText(compare(ComparisonOperator.GT, "n1.o0", 0.5))).toBe("n1.o0 > 0.5");
    expect(conditionText(compare(ComparisonOperator.LE, "n1.o0", 2))).toBe("n1.o0 <= 2.0");
  });

  it("puts an | inside an & in parentheses, and nothing else", () => {
    const a = compare(ComparisonOperator.EQ, "n1.o0", 1);
    const b = compare(ComparisonOperator.NE, "n2.o0", 2);
    const c = compare(ComparisonOperator.LT, "n3.o0", 3);
    expect(conditionText(join(LogicalOperator.AND, join(LogicalOperator.OR, a, b), c))).toBe(
      "(n1.o0 == 1.0 | n2.o0 != 2.0) & n3.o0 < 3.0",
    );
    expect(conditionText(join(LogicalOperator.OR, join(LogicalOperator.AND, a, b), c))).toBe(
      "n1.o0 == 1.0 & n2.o0 != 2.0 | n3.o0 < 3.0",
    );
  });

  it("writes unary tests and attribute paths on inputs", () => {
    const unary = create(BooleanExpressionSchema, {
      expression: {
        case: "unary",
        value: {
          operator: UnaryOperator.IS_NONE,
          operand: {
            value: { case: "workflowInput", value: "report" },
            attrPath: [{ value: { case: "name", value: "stats" } }, { value: { case: "index", value: 0 } }, { value: { case: "name", value: "a key" } }],
          },
        },
      },
    });
    expect(conditionText(unary)).toBe("report.stats[0]['a key'].is_none()");
  });
});

describe("nodeTree", () => {
  it("groups nested node executions under their parents, map elements by index", () => {
    const tree = nodeTree(languageRun());
    expect(tree.children.get("")!.map((n) => n.id!.nodeId)).toEqual(["n0", "n1", "n2", "n3", "n6", "n7", "n8"]);
    expect(tree.children.get("n1")!.map((n) => n.id!.nodeId)).toEqual(["n1/0", "n1/2", "n1/10"]);
    expect(tree.children.get("n3")!.map((n) => n.id!.nodeId)).toEqual(["n3/n4", "n3/n5"]);
    expect(tree.byId.get("n6/n1")!.phase).toBe(NodePhase.SUCCEEDED);
  });

  it("counts a map's elements by phase, running first", () => {
    const nodes = [NodePhase.SUCCEEDED, NodePhase.FAILED, NodePhase.RUNNING, NodePhase.SUCCEEDED].map((p, i) => node(`m/${i}`, p));
    expect(phaseCounts(nodes)).toEqual([
      { phase: NodePhase.RUNNING, count: 1 },
      { phase: NodePhase.SUCCEEDED, count: 2 },
      { phase: NodePhase.FAILED, count: 1 },
    ]);
  });

  it("gives element counts to maps only, and child executions to launch plan nodes", () => {
    const states = nodeStates(nodeTree(languageRun()));
    expect(states.get("n1")!.elements).toEqual([
      { phase: NodePhase.SUCCEEDED, count: 2 },
      { phase: NodePhase.FAILED, count: 1 },
    ]);
    expect(states.get("n3")!.elements).toBeUndefined();
    expect(states.get("n6")!.elements).toBeUndefined();
    expect(states.get("n8")!.childExecution?.name).toBe("e1-n8");
    expect(states.get("n0")!.childExecution).toBeUndefined();
  });
});

describe("workflowGraph for the language", () => {
  const graph = workflowGraph(language());
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));

  it("knows each node's kind", () => {
    expect(graph.nodes.map((n) => [n.id, n.kind.type])).toEqual([
      ["n0", "task"],
      ["n1", "map"],
      ["n2", "task"],
      ["n3", "branch"],
      ["n6", "subworkflow"],
      ["n7", "gate"],
      ["n8", "launchplan"],
      ["n9", "gate"],
      ["n10", "gate"],
      ["on-failure", "task"],
    ]);
    expect(byId.get("on-failure")!.onFailure).toBe(true);
    expect(byId.get("n3")!.kind).toEqual({
      type: "branch",
      cases: [
        { nodeId: "n3/n4", condition: "n2.o0 > 0.5", label: "promote" },
        { nodeId: "n3/n5", condition: "else", label: "retrain" },
      ],
    });
    expect(byId.get("n10")!.kind).toMatchObject({ gate: "sleep", text: "sleep 30.0 s" });
    expect(byId.get("n9")!.kind).toMatchObject({ gate: "signal", signalId: "threshold", text: "input: float" });
  });

  it("draws edges into a branch from its conditions and its case nodes, and ordering edges", () => {
    const edges = graph.edges.map((e) => `${e.source}->${e.target}`);
    expect(edges).toContain("n2->n3");
    expect(graph.edges.find((e) => e.target === "n3")!.label).toBe("o0 → if, o0 → score");
    expect(edges).toContain("n9->n10");
    expect(edges).toContain("n7->n10");
    expect(edges.filter((e) => e.includes("on-failure"))).toEqual([]);
  });

  it("nests a subworkflow's graph under its node's id", () => {
    const kind = byId.get("n6")!.kind;
    if (kind.type !== "subworkflow") throw new Error(kind.type);
    expect(kind.inner!.nodes.map((n) => n.id)).toEqual(["n6/n0", "n6/n1"]);
    expect(kind.inner!.edges.map((e) => `${e.source}->${e.target}`)).toEqual(["n6/n0->n6/n1"]);
  });
});

describe("nestedLayout", () => {
  const graph = workflowGraph(language());

  it("lays a collapsed subworkflow out as one node", () => {
    const { boxes } = nestedLayout(graph, new Set());
    expect(boxes.map((b) => b.id)).not.toContain("n6/n0");
    expect(boxes.find((b) => b.id === "n6")!.expanded).toBe(false);
  });

  it("frames an expanded subworkflow around its inner graph, parents before children", () => {
    const collapsed = nestedLayout(graph, new Set()).boxes.find((b) => b.id === "n6")!;
    const { boxes, edges } = nestedLayout(graph, new Set(["n6"]));
    const frame = boxes.find((b) => b.id === "n6")!;
    const inner = boxes.filter((b) => b.parentId === "n6");
    expect(frame.expanded).toBe(true);
    expect(inner.map((b) => b.id)).toEqual(["n6/n0", "n6/n1"]);
    expect(boxes.findIndex((b) => b.id === "n6")).toBeLessThan(boxes.findIndex((b) => b.id === "n6/n0"));
    expect(frame.width).toBeGreaterThan(collapsed.width);
    for (const b of inner) {
      // Relative to the frame, inside it, below its header.
      expect(b.x).toBeGreaterThanOrEqual(FRAME_PAD);
      expect(b.y).toBeGreaterThanOrEqual(FRAME_HEAD);
      expect(b.x + b.width).toBeLessThanOrEqual(frame.width - FRAME_PAD + 1);
      expect(b.y + b.height).toBeLessThanOrEqual(frame.height);
    }
    const [fit, evaluate] = inner;
    expect(evaluate.x).toBeGreaterThan(fit.x + fit.width);
    expect(edges.map((e) => `${e.source}->${e.target}`)).toContain("n6/n0->n6/n1");
    // The rest of the graph makes room: the approval is right of the frame.
    const approve = boxes.find((b) => b.id === "n7")!;
    expect(approve.x).toBeGreaterThanOrEqual(frame.x + frame.width);
  });

  it("names the nodes a nested node is inside of, outermost first", () => {
    expect(enclosing("n6/n1/n0")).toEqual(["n6", "n6/n1"]);
    expect(enclosing("n6")).toEqual([]);
  });

  it("draws the failure node beneath the graph", () => {
    const { boxes } = nestedLayout(graph, new Set());
    const failure = boxes.find((b) => b.id === "on-failure")!;
    const others = boxes.filter((b) => b.id !== "on-failure");
    expect(failure.y).toBeGreaterThan(Math.max(...others.map((b) => b.y + b.height)));
  });

  it("gives a branch a row per case", () => {
    const { boxes } = nestedLayout(graph, new Set());
    const branch = boxes.find((b) => b.id === "n3")!;
    const task = boxes.find((b) => b.id === "n2")!;
    expect(branch.height).toBeGreaterThan(task.height);
  });
});

describe("nodeSpecAt", () => {
  const workflow = language();
  it.each([
    ["n3/n5", "n5", undefined],
    ["n6/n1", "n1", undefined],
    ["n1/17", "n1", 17],
    ["on-failure", "on-failure", undefined],
  ])("finds the spec behind %s", (nested, id, element) => {
    const spec = nodeSpecAt(workflow, nested)!;
    expect(spec.node.id).toBe(id);
    expect(spec.element).toBe(element);
  });

  it.each(["n99", "n1/x", "n1/1/2", "n0/n1", "n3/n9"])("finds nothing behind %s", (nested) => {
    expect(nodeSpecAt(workflow, nested)).toBeNull();
  });

  it("tells a subworkflow's inner task from the top-level node of that id", () => {
    const inner = nodeSpecAt(workflow, "n6/n1")!.node;
    expect(inner.target.case === "taskNode" && inner.target.value.taskId?.name).toBe("ml.evaluate");
  });
});
