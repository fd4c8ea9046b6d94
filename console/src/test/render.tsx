// Renders a page against an in-memory Connect server: the same generated clients and the
// same protocol and interceptor as in the browser, with the services a test implements.
import type { ConnectRouter } from "@connectrpc/connect";
import { createRouterTransport } from "@connectrpc/connect";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { authInterceptor } from "../api/authInterceptor";
import { ClientsProvider, createClients } from "../api/clients";
import { Session } from "../api/session";
import { SessionProvider } from "../api/sessionContext";
import { App } from "../App";

export function renderApp(
  route: string,
  routes: (router: ConnectRouter) => void,
  session: Session = new Session(sessionStorage),
) {
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const transport = createRouterTransport(routes, { transport: { interceptors: [authInterceptor(session)] } });
  const clients = createClients(transport);
  return render(
    <SessionProvider session={session}>
      <ClientsProvider clients={clients}>
        <QueryClientProvider client={queryClient}>
          <MemoryRouter initialEntries={[route]}>
            <App />
          </MemoryRouter>
        </QueryClientProvider>
      </ClientsProvider>
    </SessionProvider>,
  );
}
