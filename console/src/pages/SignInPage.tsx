// Shown instead of the console when the control plane wants a token it does not have (none,
// or one it refused): paste one, and the pages ask again with it.
import { useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import type { Prompt } from "../api/session";
import { useSession } from "../api/sessionContext";

function Reason({ prompt }: { prompt: Prompt }) {
  switch (prompt.reason) {
    case "missing":
      return <p>This control plane needs a token.</p>;
    case "signed-out":
      return <p>You signed out. This tab no longer holds a token.</p>;
    case "rejected":
      return (
        <div className="problem" role="alert">
          <h2>The token was refused</h2>
          <p>{prompt.message || "It is not valid: wrong, expired or revoked."}</p>
        </div>
      );
  }
}

export function SignInPage({ prompt }: { prompt: Prompt }) {
  const { session } = useSession();
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState("");
  const token = draft.trim();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!token) return;
    // Answers given to another token (or to none) must not show under this one.
    queryClient.clear();
    session.signIn(token);
  };
  return (
    <>
      <header className="topbar">
        <span className="brand">Graven</span>
      </header>
      <main className="sign-in">
        <div className="card">
          <h1>Sign in</h1>
          <Reason prompt={prompt} />
          <form onSubmit={submit}>
            <label htmlFor="token">Token</label>
            <div className="sign-in-row">
              <input
                id="token"
                type="password"
                autoComplete="off"
                spellCheck={false}
                value={draft}
                onChange={(e) => setDraft(e.target.value)}
                placeholder="Paste a token"
              />
              <button className="primary" type="submit" disabled={!token}>
                Sign in
              </button>
            </div>
          </form>
          <p className="muted">
            Open the console URL printed by <code>graven up</code> or <code>make demo</code> (it signs this tab
            in), paste the contents of <code>&lt;home&gt;/token</code>, or ask an admin for one:{" "}
            <code>graven tokens create NAME --role viewer --project PROJECT</code>.
          </p>
        </div>
      </main>
    </>
  );
}
