// The session as React sees it: components re-render when the token or the prompt changes.
import { createContext, useContext, useSyncExternalStore, type ReactNode } from "react";
import type { Session, SessionState } from "./session";

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ session, children }: { session: Session; children: ReactNode }) {
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

export function useSession(): { session: Session; state: SessionState } {
  const session = useContext(SessionContext);
  if (session === null) throw new Error("useSession outside SessionProvider");
  const state = useSyncExternalStore(session.subscribe, session.snapshot);
  return { session, state };
}
