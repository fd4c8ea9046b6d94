import { Code, ConnectError, type ConnectRouter, type HandlerContext } from "@connectrpc/connect";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { Session, TOKEN_KEY } from "../api/session";
import { ExecutionService } from "../gen/graven/v1/execution_service_pb";
import { RegistryService } from "../gen/graven/v1/registry_service_pb";
import { ExecutionPhase, NodePhase, execution, node, pipeline } from "../test/fixtures";
import { renderApp } from "../test/render";

const LIST = "/executions?project=demo&domain=development";

// What an authenticating control plane answers: the list for its one token, UNAUTHENTICATED
// for none or any other (the messages are the server's, shown as they are).
function checkToken(accepted: string, seen: (string | null)[], context: HandlerContext): void {
  const header = context.requestHeader.get("authorization");
  seen.push(header);
  if (header === null) throw new ConnectError("missing bearer token", Code.Unauthenticated);
  if (header !== `Bearer ${accepted}`) throw new ConnectError("token is not valid: unknown, expired or revoked", Code.Unauthenticated);
}

function plane(accepted: string, seen: (string | null)[]) {
  return (router: ConnectRouter) =>
    router.service(ExecutionService, {
      listExecutions(_request, context) {
        checkToken(accepted, seen, context);
        return { executions: [execution("e1", ExecutionPhase.SUCCEEDED)] };
      },
    });
}

function signedIn(token: string): Session {
  const session = new Session(sessionStorage);
  session.signIn(token);
  return session;
}

async function paste(token: string) {
  await userEvent.type(screen.getByLabelText("Token"), token);
  await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
}

describe("signing in", () => {
  it("sends the tab's token as a bearer header on every call", async () => {
    const seen: (string | null)[] = [];
    renderApp(LIST, plane("s3cret", seen), signedIn("s3cret"));
    expect(within(await screen.findByTestId("executions")).getByText("e1")).toBeTruthy();
    expect(seen.length).toBeGreaterThan(0);
    expect(new Set(seen)).toEqual(new Set(["Bearer s3cret"]));
  });

  it("sends no header without a token, then asks for one; a pasted token is stored and the page asked again", async () => {
    const seen: (string | null)[] = [];
    renderApp(LIST, plane("s3cret", seen));
    expect(await screen.findByRole("heading", { name: "Sign in" })).toBeTruthy();
    expect(screen.getByText("This control plane needs a token.")).toBeTruthy();
    expect(seen).toEqual([null]);
    expect(screen.getByRole("button", { name: "Sign in" }).hasAttribute("disabled")).toBe(true);
    await paste("  s3cret  ");
    expect(within(await screen.findByTestId("executions")).getByText("e1")).toBeTruthy();
    expect(seen.at(-1)).toBe("Bearer s3cret");
    expect(sessionStorage.getItem(TOKEN_KEY)).toBe("s3cret");
    expect(screen.getByRole("button", { name: "Sign out" })).toBeTruthy();
  });

  it("shows a wrong token's refusal on the sign-in page and forgets it", async () => {
    const seen: (string | null)[] = [];
    renderApp(LIST, plane("s3cret", seen), signedIn("wrong"));
    expect(await screen.findByText("The token was refused")).toBeTruthy();
    expect(screen.getByText("token is not valid: unknown, expired or revoked")).toBeTruthy();
    expect(sessionStorage.getItem(TOKEN_KEY)).toBeNull();
    await paste("also-wrong");
    await waitFor(() => expect(seen.at(-1)).toBe("Bearer also-wrong"));
    expect(await screen.findByText("The token was refused")).toBeTruthy();
    await userEvent.clear(screen.getByLabelText("Token"));
    await paste("s3cret");
    expect(within(await screen.findByTestId("executions")).getByText("e1")).toBeTruthy();
  });

  it("signs out: the token leaves the tab and nothing is asked without it", async () => {
    const seen: (string | null)[] = [];
    renderApp(LIST, plane("s3cret", seen), signedIn("s3cret"));
    await screen.findByTestId("executions");
    const calls = seen.length;
    await userEvent.click(screen.getByRole("button", { name: "Sign out" }));
    expect(await screen.findByText("You signed out. This tab no longer holds a token.")).toBeTruthy();
    expect(screen.queryByTestId("executions")).toBeNull();
    expect(sessionStorage.getItem(TOKEN_KEY)).toBeNull();
    expect(seen.length).toBe(calls);
  });

  it("asks for a token when a live execution's stream is refused", async () => {
    const running = execution("e1", ExecutionPhase.RUNNING);
    renderApp(
      "/executions/demo/development/e1",
      (router) => {
        router.service(ExecutionService, {
          getExecution: () => ({ execution: running }),
          listNodeExecutions: () => ({ nodeExecutions: [node("extract", NodePhase.RUNNING)] }),
          getExecutionData: () => ({}),
          // eslint-disable-next-line require-yield
          async *watchExecution() {
            throw new ConnectError("token expired", Code.Unauthenticated);
          },
        });
        router.service(RegistryService, { getWorkflow: () => ({ workflow: pipeline() }), listVersions: () => ({ versions: [] }) });
      },
      signedIn("s3cret"),
    );
    expect(await screen.findByText("The token was refused")).toBeTruthy();
    expect(screen.getByText("token expired")).toBeTruthy();
  });
});

describe("a token that does not cover a project", () => {
  it("says which project it cannot see", async () => {
    renderApp(
      "/executions?project=secret&domain=development",
      (router) =>
        router.service(ExecutionService, {
          listExecutions() {
            throw new ConnectError("token 'alice' has no role in secret/development", Code.PermissionDenied);
          },
        }),
      signedIn("s3cret"),
    );
    expect(await screen.findByRole("heading", { name: "Your token cannot see project secret" })).toBeTruthy();
    expect(screen.getByText("token 'alice' has no role in secret/development")).toBeTruthy();
    expect(screen.getByRole("button", { name: "Sign out" })).toBeTruthy();
  });

  it("names the execution's project when an action is refused", async () => {
    renderApp(
      "/executions/demo/development/e1",
      (router) => {
        router.service(ExecutionService, {
          getExecution: () => ({ execution: execution("e1", ExecutionPhase.FAILED) }),
          listNodeExecutions: () => ({ nodeExecutions: [node("extract", NodePhase.FAILED)] }),
          getExecutionData: () => ({}),
          recoverExecution() {
            throw new ConnectError("role viewer in demo/development cannot recover executions", Code.PermissionDenied);
          },
        });
        router.service(RegistryService, { getWorkflow: () => ({ workflow: pipeline() }), listVersions: () => ({ versions: [] }) });
      },
      signedIn("s3cret"),
    );
    await userEvent.click(await screen.findByRole("button", { name: "Recover" }));
    expect(await screen.findByRole("heading", { name: "Your token cannot do this in project demo" })).toBeTruthy();
    expect(screen.getByText(/cannot recover executions/)).toBeTruthy();
  });
});
