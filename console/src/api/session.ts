// The console's credential: the bearer token every call carries, and whether the person must
// (again) give one. A plain object outside React, because the transport's interceptor reads it
// on every call and reports refusals to it; components follow it through useSession.
//
// The token lives in sessionStorage: it survives a reload of the tab (the URL no longer
// carries it once read) but not the tab itself, and no other tab or later visit finds it on
// disk, as it would in localStorage. A cookie would be sent by the browser on its own (and the
// control plane reads only the authorization header).

export const TOKEN_KEY = "graven.token";
export const TOKEN_PARAM = "token";

export type Prompt =
  | { reason: "missing" }
  | { reason: "rejected"; message: string }
  | { reason: "signed-out" };

export type SessionState = { token: string | null; prompt: Prompt | null };

export class Session {
  private state: SessionState;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly storage: Storage | null) {
    this.state = { token: this.read(), prompt: null };
  }

  token(): string | null {
    return this.state.token;
  }

  snapshot = (): SessionState => this.state;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  signIn(token: string): void {
    this.write(token);
    this.set({ token, prompt: null });
  }

  signOut(): void {
    this.write(null);
    this.set({ token: null, prompt: { reason: "signed-out" } });
  }

  // A call sent with ``sent`` came back UNAUTHENTICATED. Only a refusal of the token held now
  // counts: calls still in flight with a token the person has since replaced say nothing
  // about the new one. A refused token is forgotten, so a reload does not send it again.
  refused(sent: string | null, message: string): void {
    if (sent !== this.state.token || this.state.prompt !== null) return;
    this.write(null);
    this.set({ token: null, prompt: sent === null ? { reason: "missing" } : { reason: "rejected", message } });
  }

  private set(next: SessionState): void {
    this.state = next;
    for (const listener of this.listeners) listener();
  }

  private read(): string | null {
    try {
      return this.storage?.getItem(TOKEN_KEY) || null;
    } catch {
      return null;
    }
  }

  private write(token: string | null): void {
    try {
      if (token === null) this.storage?.removeItem(TOKEN_KEY);
      else this.storage?.setItem(TOKEN_KEY, token);
    } catch {
      // Storage may be off (some private windows): the token then lasts as long as the page.
    }
  }
}

// The token of a login URL (`/?token=…`, as `graven up` and `make demo` print it), taken out of
// the address at once with replaceState: the entry is rewritten, not added, so the token is in
// neither the history, a bookmark, nor a Referer of any later request.
export function takeTokenFromUrl(location: Location, history: History): string | null {
  const url = new URL(location.href);
  const token = url.searchParams.get(TOKEN_PARAM);
  if (token === null) return null;
  url.searchParams.delete(TOKEN_PARAM);
  history.replaceState(history.state, "", url.pathname + url.search + url.hash);
  return token.trim() || null;
}

export function sessionStore(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

// The session of this tab: a token in the address wins over the one stored (it is the newer).
export function openSession(location: Location, history: History, storage: Storage | null): Session {
  const session = new Session(storage);
  const fromUrl = takeTokenFromUrl(location, history);
  if (fromUrl !== null) session.signIn(fromUrl);
  return session;
}
