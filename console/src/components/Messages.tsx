// Every page says what it is waiting for, what went wrong, or that there is nothing: never
// a blank page.
import type { ReactNode } from "react";
import { useParams, useSearchParams } from "react-router";
import { describeError, isPermissionDenied } from "../api/errors";

// A token that is valid but whose role or projects do not cover what was asked: say which
// project (the page's, or the one a list was asked for) and how to get a token that does.
function Refused({ detail, project, acting }: { detail: string; project: string | null; acting: boolean }) {
  const where = project ? `project ${project}` : "this";
  return (
    <div className="problem" role="alert">
      <h2>{acting ? `Your token cannot do this in ${where}` : `Your token cannot see ${where}`}</h2>
      <p>{detail}</p>
      <p className="muted">
        Sign out and sign in with a token that covers it, or ask an admin for one:{" "}
        <code>graven tokens create NAME --role {acting ? "launcher" : "viewer"} --project {project ?? "PROJECT"}</code>.
      </p>
    </div>
  );
}

export function ProblemMessage({
  error,
  hint,
  project,
  acting = false,
}: {
  error: unknown;
  hint?: ReactNode;
  project?: string;
  acting?: boolean;
}) {
  const params = useParams();
  const [search] = useSearchParams();
  const problem = describeError(error);
  if (isPermissionDenied(error)) {
    const shown = project ?? params.project ?? search.get("project");
    return <Refused detail={problem.detail} project={shown} acting={acting} />;
  }
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
