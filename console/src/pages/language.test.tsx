import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { NodePhase } from "../gen/graven/v1/execution_pb";
import { ExecutionService } from "../gen/graven/v1/execution_service_pb";
import { RegistryService } from "../gen/graven/v1/registry_service_pb";
import { SignalSchema, type Signal } from "../gen/graven/v1/signal_pb";
import { SignalService } from "../gen/graven/v1/signal_service_pb";
import { SimpleType } from "../gen/graven/v1/types_pb";
import { node, T0 } from "../test/fixtures";
import { childExecution, language, languageExecution, languageRun } from "../test/languageFixtures";
import { renderApp } from "../test/render";

const scope = { project: "demo", domain: "development" };

function waiting(signalId: string, nodeId: string, type: SimpleType): Signal {
  return create(SignalSchema, {
    id: { executionId: { ...scope, name: "e1" }, signalId },
    nodeId,
    type: { type: { case: "simple", value: type } },
    createdAt: timestampFromMs(T0),
  });
}

// The control plane as far as these pages use it; SetSignal keeps what it was given, or
// refuses with ``refusal``.
function stack(signals: Map<string, Signal>, refusal?: string) {
  const sets: { signalId: string; value: unknown; setBy: string }[] = [];
  const routes = (router: ConnectRouter) => {
    router.service(ExecutionService, {
      getExecution: (request) => ({ execution: request.id?.name === "e1-n8" ? childExecution() : languageExecution() }),
      listNodeExecutions: (request) => ({
        nodeExecutions: request.executionId?.name === "e1" ? [...languageRun(), node("n9", NodePhase.RUNNING, { finishedAt: undefined })] : [],
      }),
      getExecutionData: () => ({}),
      getNodeExecutionData: () => ({}),
    });
    router.service(RegistryService, { getWorkflow: () => ({ workflow: language() }) });
    router.service(SignalService, {
      getSignal(request) {
        const signal = signals.get(request.id!.signalId);
        if (!signal) throw new ConnectError(`no signal ${request.id!.signalId}`, Code.NotFound);
        return { signal };
      },
      setSignal(request) {
        if (refusal) throw new ConnectError(refusal, Code.InvalidArgument);
        const signalId = request.id!.signalId;
        sets.push({ signalId, value: request.value, setBy: request.setBy });
        const set = create(SignalSchema, { ...signals.get(signalId)!, value: request.value, setBy: request.setBy, setAt: timestampFromMs(T0 + 5000) });
        signals.set(signalId, set);
        return { signal: set };
      },
    });
  };
  return { routes, sets };
}

async function graphNode(id: string): Promise<Element> {
  const graph = await screen.findByTestId("dag");
  await waitFor(() => expect(graph.querySelector(`[data-node="${id}"]`)).not.toBeNull());
  return graph.querySelector(`[data-node="${id}"]`)!;
}

describe("the workflow language on the execution page", () => {
  it("highlights the case a branch took and greys the skipped one", async () => {
    renderApp("/executions/demo/development/e1", stack(new Map()).routes);
    const branch = await graphNode("n3");
    const taken = branch.querySelector('[data-case="n3/n4"]')!;
    const skipped = branch.querySelector('[data-case="n3/n5"]')!;
    expect(taken.getAttribute("data-status")).toBe("taken");
    expect(taken.textContent).toContain("if n2.o0 > 0.5");
    expect(skipped.getAttribute("data-status")).toBe("skipped");
    expect(skipped.textContent).toContain("else");
    // A case opens its own node's panel. (Clicks inside the graph are plain clicks: jsdom's
    // mouse-downs have no view for React Flow's pan handler.)
    fireEvent.click(taken);
    const panel = await screen.findByTestId("node-panel");
    expect(within(panel).getByRole("heading", { name: "n3/n4" })).toBeTruthy();
    expect(within(panel).getByRole("button", { name: "n3" })).toBeTruthy();
  });

  it("counts a map's elements by phase and lists them, each opening its own panel", async () => {
    renderApp("/executions/demo/development/e1?node=n1", stack(new Map()).routes);
    const map = await graphNode("n1");
    expect(within(map as HTMLElement).getByTestId("map-counts").textContent).toBe("2 succeeded1 failed");
    const elements = await screen.findByTestId("map-elements");
    const rows = elements.querySelectorAll("tbody tr");
    expect([...rows].map((r) => r.getAttribute("data-element"))).toEqual(["0", "2", "10"]);
    // Filter by a phase, then open the failed element.
    await userEvent.click(within(elements).getByRole("button", { name: "1 failed" }));
    expect(elements.querySelectorAll("tbody tr")).toHaveLength(1);
    await userEvent.click(elements.querySelector('tr[data-element="2"]')!);
    const panel = await screen.findByTestId("node-panel");
    expect(within(panel).getByRole("heading", { name: "n1/2" })).toBeTruthy();
    expect(within(panel).getByText("map element")).toBeTruthy();
  });

  it("expands a subworkflow in place and collapses it again", async () => {
    renderApp("/executions/demo/development/e1", stack(new Map()).routes);
    const graph = await screen.findByTestId("dag");
    await graphNode("n6");
    expect(graph.querySelector('[data-node="n6/n0"]')).toBeNull();
    // React Flow hides nodes from the accessibility tree until it measures them, which jsdom
    // never does: the toggles are found by their labels.
    fireEvent.click(graph.querySelector('button[aria-label="Expand train"]')!);
    await graphNode("n6/n1");
    expect(graph.querySelector('[data-node="n6/n1"]')!.getAttribute("data-phase")).toBe("Succeeded");
    fireEvent.click(graph.querySelector('button[aria-label="Collapse train"]')!);
    await waitFor(() => expect(graph.querySelector('[data-node="n6/n0"]')).toBeNull());
  });

  it("opens the subworkflow around a selected inner node", async () => {
    renderApp("/executions/demo/development/e1?node=n6/n1", stack(new Map()).routes);
    const inner = await graphNode("n6/n1");
    expect(inner.className).toContain("selected");
    const panel = await screen.findByTestId("node-panel");
    expect(within(panel).getByRole("heading", { name: "n6/n1" })).toBeTruthy();
    expect(within(panel).getByRole("button", { name: "n6" })).toBeTruthy();
  });

  it("links a launch plan node to its child execution, and the child back to it", async () => {
    renderApp("/executions/demo/development/e1", stack(new Map()).routes);
    const plan = await graphNode("n8");
    const link = within(plan as HTMLElement).getByTestId("child-link");
    expect(link.getAttribute("href")).toBe("/executions/demo/development/e1-n8");
    fireEvent.click(link);
    const parent = await screen.findByTestId("parent-execution");
    expect(parent.querySelector("a")!.getAttribute("href")).toBe("/executions/demo/development/e1?node=n8");
    expect(parent.textContent).toContain("e1 · n8");
  });

  it("approves a gate from its button, and shows who set it", async () => {
    const { routes, sets } = stack(new Map([["publish", waiting("publish", "n7", SimpleType.BOOLEAN)]]));
    renderApp("/executions/demo/development/e1?node=n7", routes);
    const gate = await screen.findByTestId("gate");
    const who = await within(gate).findByLabelText("Set by");
    await userEvent.clear(who);
    await userEvent.type(who, "ada");
    await userEvent.click(within(gate).getByRole("button", { name: "Approve" }));
    expect(await within(gate).findByText("approved")).toBeTruthy();
    expect(within(gate).getByTestId("signal-set-by").textContent).toBe("ada");
    expect(sets).toHaveLength(1);
    expect(sets[0]).toMatchObject({ signalId: "publish", setBy: "ada", value: { value: { case: "primitive", value: { value: { case: "boolean", value: true } } } } });
    // Set: the form is gone.
    expect(within(gate).queryByRole("button", { name: "Approve" })).toBeNull();
  });

  it("shows the server's refusal of a wrong-typed input next to the field, and keeps waiting", async () => {
    const refusal = "value: the signal threshold takes a float, got a str";
    renderApp("/executions/demo/development/e1?node=n9", stack(new Map([["threshold", waiting("threshold", "n9", SimpleType.FLOAT)]]), refusal).routes);
    const gate = await screen.findByTestId("gate");
    const field = await within(gate).findByLabelText("Value");
    await userEvent.type(field, "high");
    await userEvent.click(within(gate).getByRole("button", { name: "Set" }));
    expect((await within(gate).findByTestId("signal-error")).textContent).toBe(refusal);
    expect(field.getAttribute("aria-invalid")).toBe("true");
    expect(within(gate).getByRole("button", { name: "Set" })).toBeTruthy();
  });

  it("says a gate has not started when its signal does not exist yet", async () => {
    renderApp("/executions/demo/development/e1?node=n7", stack(new Map()).routes);
    const gate = await screen.findByTestId("gate");
    expect(await within(gate).findByText("No gate waits for this signal.")).toBeTruthy();
  });
});
