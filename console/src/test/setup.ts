import { cleanup, configure } from "@testing-library/react";
import { afterEach } from "vitest";

// jsdom lays nothing out; React Flow only needs these to exist.
class ResizeObserverStub {
  observe() {}
  unobserve() {}
  disconnect() {}
}
globalThis.ResizeObserver ??= ResizeObserverStub as unknown as typeof ResizeObserver;

// findBy*/waitFor give up after this long: a bound for a machine busy with other test runs
// (a page renders within milliseconds when it is not), never a wait of its own.
configure({ asyncUtilTimeout: 5000 });

afterEach(() => {
  cleanup();
  localStorage.clear();
  sessionStorage.clear();
});
