// The project and domain a list shows: from the URL (so a link shows the same thing), else
// the last one used here, else Graven's defaults.
import { useCallback } from "react";
import { useSearchParams } from "react-router";

export const DEFAULT_PROJECT = "default";
export const DEFAULT_DOMAIN = "development";
const REMEMBERED = "graven.scope";

export type Scope = { project: string; domain: string };

function remembered(): Scope {
  try {
    const saved = JSON.parse(localStorage.getItem(REMEMBERED) ?? "null") as Scope | null;
    if (saved?.project && saved?.domain) return saved;
  } catch {
    // An unreadable entry is as good as none.
  }
  return { project: DEFAULT_PROJECT, domain: DEFAULT_DOMAIN };
}

export function remember(scope: Scope): void {
  try {
    localStorage.setItem(REMEMBERED, JSON.stringify(scope));
  } catch {
    // Storage may be off (private windows); the URL still carries the scope.
  }
}

export function useScope(): [Scope, (scope: Scope) => void] {
  const [params, setParams] = useSearchParams();
  const fallback = remembered();
  const scope = {
    project: params.get("project") || fallback.project,
    domain: params.get("domain") || fallback.domain,
  };
  const setScope = useCallback(
    (next: Scope) => {
      remember(next);
      setParams((current) => {
        const updated = new URLSearchParams(current);
        updated.set("project", next.project);
        updated.set("domain", next.domain);
        return updated;
      });
    },
    [setParams],
  );
  return [scope, setScope];
}

export function scopeQuery(scope: Scope): string {
  return `project=${encodeURIComponent(scope.project)}&domain=${encodeURIComponent(scope.domain)}`;
}
