import { cleanup } from "@testing-library/react";
import { afterEach } from "vitest";

// jsdom lays nothing out; React Flow only needs these to exist.
class ResizeObserverStub {
  observe() {}
  unobserve() {}
  disconnect() {}
}
globalThis.ResizeObserver ??= ResizeObserverStub as unknown as typeof ResizeObserver;

afterEach(() => {
  cleanup();
  localStorage.clear();
});
