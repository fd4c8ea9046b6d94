import { Code, ConnectError } from "@connectrpc/connect";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { ExecutionService } from "../gen/graven/v1/execution_service_pb";
import { RegistryService } from "../gen/graven/v1/registry_service_pb";
import { ErrorKind } from "../gen/graven/v1/execution_pb";
import { ExecutionPhase, NodePhase, execution, intLiteral, node, pipeline } from "../test/fixtures";
import { renderApp } from "../test/render";

describe("executions list", () => {
  it("shows the page the server returned, with the filters it was asked for", async () => {
    const asked: unknown[] = [];
    renderApp("/executions?project=demo&domain=development&phase=failed", (router) =>
      router.service(ExecutionService, {
        listExecutions(request) {
          asked.push({ project: request.project, phases: request.phases });
          return { executions: [execution("e1", ExecutionPhase.FAILED)], nextPageToken: "" };
        },
      }),
    );
    const table = await screen.findByTestId("executions");
    expect(within(table).getByText("e1")).toBeTruthy();
    expect(within(table).getByText("Failed")).toBeTruthy();
    expect(asked[0]).toEqual({ project: "demo", phases: [ExecutionPhase.FAILED] });
  });

  it("says so when a filter matches nothing", async () => {
    renderApp("/executions?project=demo&domain=development&workflow=nothing", (router) =>
      router.service(ExecutionService, { listExecutions: () => ({ executions: [] }) }),
    );
    expect(await screen.findByText("No execution matches these filters.")).toBeTruthy();
  });

  it("shows the server's reason for a bad filter", async () => {
    renderApp("/executions?project=Bad!&domain=development", (router) =>
      router.service(ExecutionService, {
        listExecutions() {
          throw new ConnectError("project: project 'Bad!' must match [a-z0-9][a-z0-9-]{0,62}", Code.InvalidArgument);
        },
      }),
    );
    expect(await screen.findByText("Invalid request")).toBeTruthy();
    expect(screen.getByText(/must match/)).toBeTruthy();
  });
});

describe("execution detail", () => {
  const failing = execution("e1", ExecutionPhase.FAILED);
  const nodes = [
    node("extract", NodePhase.SUCCEEDED),
    node("clean_a", NodePhase.FAILED, {
      error: { kind: ErrorKind.USER, type: "ValueError", message: "bad row 7", traceback: 'Traceback (most recent call last):\n  File "clean.py", line 3\nValueError: bad row 7' },
    }),
    node("clean_b", NodePhase.SUCCEEDED),
    node("join", NodePhase.SKIPPED, { startedAt: undefined, finishedAt: undefined }),
  ];
  const services = (relaunchError?: ConnectError) => (router: Parameters<Parameters<typeof renderApp>[1]>[0]) => {
    router.service(ExecutionService, {
      getExecution: () => ({ execution: failing }),
      listNodeExecutions: () => ({ nodeExecutions: nodes }),
      getExecutionData: () => ({ inputs: { literals: { n: intLiteral(3) } } }),
      getNodeExecutionData: () => ({ inputs: { literals: { rows: intLiteral(7) } } }),
      relaunchExecution() {
        throw relaunchError;
      },
    });
    router.service(RegistryService, {
      getWorkflow: () => ({ workflow: pipeline() }),
      listVersions: () => ({ versions: [] }),
    });
  };

  it("draws the graph coloured by phase and opens a node's panel with its traceback", async () => {
    renderApp("/executions/demo/development/e1", services());
    const graph = await screen.findByTestId("dag");
    await waitFor(() => expect(graph.querySelector('[data-node="clean_a"]')).not.toBeNull());
    expect(graph.querySelector('[data-node="clean_a"]')!.getAttribute("data-phase")).toBe("Failed");
    expect(graph.querySelector('[data-node="join"]')!.getAttribute("data-phase")).toBe("Skipped");
    await userEvent.click(screen.getByTitle("clean_a"));
    const panel = await screen.findByTestId("node-panel");
    expect(within(panel).getByText(/Traceback \(most recent call last\)/)).toBeTruthy();
    expect(await within(panel).findByText("rows")).toBeTruthy();
  });

  it("says which execution does not exist", async () => {
    renderApp("/executions/demo/development/nope", (router) =>
      router.service(ExecutionService, {
        getExecution() {
          throw new ConnectError("execution demo/development/nope does not exist", Code.NotFound);
        },
      }),
    );
    expect(await screen.findByText("Not found")).toBeTruthy();
    expect(screen.getByText("execution demo/development/nope does not exist")).toBeTruthy();
  });

  it("shows why a relaunch was refused", async () => {
    const refusal = new ConnectError("inputs: n is an int, version v2 wants a str", Code.InvalidArgument);
    renderApp("/executions/demo/development/e1", services(refusal));
    await userEvent.click(await screen.findByRole("button", { name: /Relaunch/ }));
    await userEvent.click(screen.getByRole("menuitem", { name: "Latest version" }));
    expect(await screen.findByText("inputs: n is an int, version v2 wants a str")).toBeTruthy();
  });
});

describe("versions", () => {
  it("compares two versions side by side", async () => {
    renderApp("/tasks/demo/development/wf.clean?a=v1&b=v2", (router) =>
      router.service(RegistryService, {
        listVersions: () => ({
          versions: ["v2", "v1"].map((version) => ({ id: { project: "demo", domain: "development", name: "wf.clean", version }, digest: `sha256:${version}` })),
        }),
        diffVersions: (request) => ({
          differences: [{ path: "template.metadata.retries", valueA: request.versionA === "v1" ? "1" : "?", valueB: "3" }],
        }),
        getTask: (request) => ({ task: { id: request.id, spec: { template: { code: { module: "wf", function: "clean" } } } } }),
      }),
    );
    const diff = await screen.findByTestId("diff");
    expect(await within(diff).findByText("template.metadata.retries")).toBeTruthy();
    expect(within(diff).getByText("1")).toBeTruthy();
    expect(within(diff).getByText("3")).toBeTruthy();
  });

  it("says when no such entity is registered", async () => {
    renderApp("/workflows/demo/development/missing", (router) =>
      router.service(RegistryService, { listVersions: () => ({ versions: [] }) }),
    );
    expect(await screen.findByText(/No workflow named/)).toBeTruthy();
  });
});

it("answers an unknown address with a message", async () => {
  renderApp("/no/such/page", () => {});
  expect(await screen.findByText("No such page")).toBeTruthy();
});
