import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { BrowserRouter } from "react-router";
import { browserTransport, ClientsProvider, createClients } from "./api/clients";
import { shouldRetry } from "./api/errors";
import { openSession, sessionStore } from "./api/session";
import { SessionProvider } from "./api/sessionContext";
import { App } from "./App";
import "./styles.css";

// Before the router reads the address: a login URL's token must leave it at once.
const session = openSession(window.location, window.history, sessionStore());

const queryClient = new QueryClient({
  defaultOptions: { queries: { staleTime: 2000, refetchOnWindowFocus: false, retry: shouldRetry } },
});

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <SessionProvider session={session}>
      <ClientsProvider clients={createClients(browserTransport(session))}>
        <QueryClientProvider client={queryClient}>
          <BrowserRouter>
            <App />
          </BrowserRouter>
        </QueryClientProvider>
      </ClientsProvider>
    </SessionProvider>
  </StrictMode>,
);
