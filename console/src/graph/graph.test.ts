import { describe, expect, it } from "vitest";
import { NodePhase, node, pipeline, T0 } from "../test/fixtures";
import { layout, NODE_WIDTH } from "./layout";
import { timeline } from "./timeline";
import { workflowGraph } from "./workflowGraph";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";

describe("workflowGraph", () => {
  it("draws an edge for every promise, inside lists too, and for ordering edges", () => {
    const graph = workflowGraph(pipeline());
    expect(graph.nodes.map((n) => n.id)).toEqual(["extract", "clean_a", "clean_b", "join"]);
    const edges = graph.edges.map((e) => `${e.source}->${e.target}`).sort();
    expect(edges).toEqual(["clean_a->join", "clean_b->join", "extract->clean_a", "extract->clean_b", "extract->join"]);
    expect(graph.edges.find((e) => e.source === "clean_a")?.label).toBe("o0 → parts");
  });

  it("is empty without a workflow", () => {
    expect(workflowGraph(undefined)).toEqual({ nodes: [], edges: [] });
  });
});

describe("layout", () => {
  it("puts every node right of its upstream nodes", () => {
    const graph = workflowGraph(pipeline());
    const x = new Map(layout(graph.nodes, graph.edges).map((n) => [n.id, n.x]));
    for (const edge of graph.edges) {
      expect(x.get(edge.target)!).toBeGreaterThanOrEqual(x.get(edge.source)! + NODE_WIDTH);
    }
  });
});

describe("timeline", () => {
  it("places each attempt as a fraction of the whole span", () => {
    const first = node("a", NodePhase.SUCCEEDED, {
      attempts: [
        { attempt: 1, phase: NodePhase.FAILED, startedAt: timestampFromMs(T0), finishedAt: timestampFromMs(T0 + 1000) },
        { attempt: 2, phase: NodePhase.SUCCEEDED, startedAt: timestampFromMs(T0 + 2000), finishedAt: timestampFromMs(T0 + 3000) },
      ],
    });
    const running = node("b", NodePhase.RUNNING, { startedAt: timestampFromMs(T0 + 3000), finishedAt: undefined });
    const t = timeline([first, running], T0 + 4000)!;
    expect(t.end - t.start).toBe(4000);
    expect(t.rows[0].bars.map((b) => [b.left, b.width])).toEqual([
      [0, 0.25],
      [0.5, 0.25],
    ]);
    // A running node's bar reaches now.
    expect(t.rows[1].bars[0].left + t.rows[1].bars[0].width).toBe(1);
  });

  it("has nothing to show before a node starts", () => {
    expect(timeline([node("a", NodePhase.QUEUED, { startedAt: undefined, finishedAt: undefined })], T0)).toBeNull();
  });
});
