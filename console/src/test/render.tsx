// Renders a page against an in-memory Connect server: the same generated clients and the
// same protocol as in the browser, with the services a test implements.
import type { ConnectRouter } from "@connectrpc/connect";
import { createRouterTransport } from "@connectrpc/connect";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { ClientsProvider, createClients } from "../api/clients";
import { App } from "../App";

export function renderApp(route: string, routes: (router: ConnectRouter) => void) {
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const clients = createClients(createRouterTransport(routes));
  return render(
    <ClientsProvider clients={clients}>
      <QueryClientProvider client={queryClient}>
        <MemoryRouter initialEntries={[route]}>
          <App />
        </MemoryRouter>
      </QueryClientProvider>
    </ClientsProvider>,
  );
}
