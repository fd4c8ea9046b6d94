// Every page says what it is waiting for, what went wrong, or that there is nothing: never
// a blank page.
import type { ReactNode } from "react";
import { describeError } from "../api/errors";

export function ProblemMessage({ error, hint }: { error: unknown; hint?: ReactNode }) {
  const problem = describeError(error);
  return (
    <div className="problem" role="alert">
      <h2>{problem.title}</h2>
      <p>{problem.detail}</p>
      {hint && <p className="muted">{hint}</p>}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return <div className="loading">Loading {what}…</div>;
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>;
}

export function Problem({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div className="problem" role="alert">
      <h2>{title}</h2>
      <p>{children}</p>
    </div>
  );
}
