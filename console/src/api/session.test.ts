import { afterEach, describe, expect, it } from "vitest";
import { openSession, Session, takeTokenFromUrl, TOKEN_KEY } from "./session";

function visit(path: string) {
  window.history.replaceState(null, "", path);
}

afterEach(() => visit("/"));

describe("a login URL", () => {
  it.each([
    ["/?token=s3cret", "/", "s3cret"],
    ["/executions?project=demo&token=s3cret&domain=development", "/executions?project=demo&domain=development", "s3cret"],
    ["/lineage?token=a%2Bb%3D%3D#node", "/lineage#node", "a+b=="],
    ["/?token=", "/", null],
    ["/?token=%20%20", "/", null],
  ])("%s leaves the address as %s and gives the token", (path, cleaned, token) => {
    visit(path);
    const entries = window.history.length;
    expect(takeTokenFromUrl(window.location, window.history)).toBe(token);
    expect(window.location.pathname + window.location.search + window.location.hash).toBe(cleaned);
    // Rewritten in place: no history entry holds the token.
    expect(window.history.length).toBe(entries);
  });

  it("leaves an address without a token as it was", () => {
    visit("/executions?project=demo");
    expect(takeTokenFromUrl(window.location, window.history)).toBeNull();
    expect(window.location.search).toBe("?project=demo");
  });

  it("signs the tab in, over a token stored before", () => {
    sessionStorage.setItem(TOKEN_KEY, "older");
    visit("/?token=newer");
    const session = openSession(window.location, window.history, sessionStorage);
    expect(session.token()).toBe("newer");
    expect(sessionStorage.getItem(TOKEN_KEY)).toBe("newer");
    expect(window.location.search).toBe("");
  });

  it("is not needed after a reload: the tab's storage keeps the token", () => {
    sessionStorage.setItem(TOKEN_KEY, "kept");
    visit("/executions");
    expect(openSession(window.location, window.history, sessionStorage).token()).toBe("kept");
  });
});

describe("the session", () => {
  it("asks for a token when a call without one is refused", () => {
    const session = new Session(sessionStorage);
    session.refused(null, "missing token");
    expect(session.snapshot()).toEqual({ token: null, prompt: { reason: "missing" } });
  });

  it("forgets a refused token and says why", () => {
    const session = new Session(sessionStorage);
    session.signIn("wrong");
    session.refused("wrong", "token is not valid");
    expect(session.snapshot()).toEqual({ token: null, prompt: { reason: "rejected", message: "token is not valid" } });
    expect(sessionStorage.getItem(TOKEN_KEY)).toBeNull();
  });

  it("ignores the refusal of a token it no longer holds", () => {
    const session = new Session(sessionStorage);
    session.signIn("old");
    session.signIn("new");
    session.refused("old", "expired");
    expect(session.snapshot()).toEqual({ token: "new", prompt: null });
    expect(sessionStorage.getItem(TOKEN_KEY)).toBe("new");
  });

  it("keeps the first reason when several calls are refused", () => {
    const session = new Session(sessionStorage);
    session.signIn("wrong");
    session.refused("wrong", "first");
    session.refused(null, "second");
    expect(session.snapshot().prompt).toEqual({ reason: "rejected", message: "first" });
  });

  it("signs out: the token leaves the tab's storage", () => {
    const session = new Session(sessionStorage);
    session.signIn("s3cret");
    let changes = 0;
    const stop = session.subscribe(() => changes++);
    session.signOut();
    stop();
    expect(changes).toBe(1);
    expect(session.snapshot()).toEqual({ token: null, prompt: { reason: "signed-out" } });
    expect(sessionStorage.getItem(TOKEN_KEY)).toBeNull();
  });

  it("works without storage, for the life of the page", () => {
    const session = new Session(null);
    session.signIn("s3cret");
    expect(session.token()).toBe("s3cret");
  });
});
