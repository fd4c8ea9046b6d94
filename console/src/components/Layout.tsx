import { useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent, type ReactNode } from "react";
import { NavLink, useLocation } from "react-router";
import { useSession } from "../api/sessionContext";
import { useScope } from "../scope";

// The lists (executions, workflows, tasks) show one project and domain at a time.
const SCOPED = ["/executions", "/workflows", "/tasks"];

function ScopePicker() {
  const [scope, setScope] = useScope();
  const [draft, setDraft] = useState(scope);
  const [shown, setShown] = useState(scope);
  if (shown.project !== scope.project || shown.domain !== scope.domain) {
    setShown(scope);
    setDraft(scope);
  }
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (draft.project && draft.domain) setScope(draft);
  };
  return (
    <form className="scope" onSubmit={submit}>
      <input
        aria-label="Project"
        value={draft.project}
        onChange={(e) => setDraft({ ...draft, project: e.target.value.trim() })}
        onBlur={submit}
      />
      <span>/</span>
      <input
        aria-label="Domain"
        value={draft.domain}
        onChange={(e) => setDraft({ ...draft, domain: e.target.value.trim() })}
        onBlur={submit}
      />
    </form>
  );
}

function SignOut() {
  const { session, state } = useSession();
  const queryClient = useQueryClient();
  if (state.token === null) return null;
  const signOut = () => {
    // What this token was shown stays with it.
    queryClient.clear();
    session.signOut();
  };
  return (
    <button className="sign-out" type="button" onClick={signOut}>
      Sign out
    </button>
  );
}

export function Layout({ children }: { children: ReactNode }) {
  const { pathname, search } = useLocation();
  const scoped = SCOPED.includes(pathname);
  // Keep the project and domain when moving between lists.
  const params = new URLSearchParams(search);
  const keep = ["project", "domain"]
    .filter((k) => params.get(k))
    .map((k) => `${k}=${encodeURIComponent(params.get(k)!)}`)
    .join("&");
  const to = (path: string) => (keep ? `${path}?${keep}` : path);
  return (
    <>
      <header className="topbar">
        <span className="brand">Graven</span>
        <nav className="nav">
          <NavLink to={to("/executions")}>Executions</NavLink>
          <NavLink to={to("/workflows")}>Workflows</NavLink>
          <NavLink to={to("/tasks")}>Tasks</NavLink>
          <NavLink to="/lineage">Lineage</NavLink>
        </nav>
        {scoped && <ScopePicker />}
        <SignOut />
      </header>
      <main>{children}</main>
    </>
  );
}
