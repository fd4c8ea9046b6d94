// The console's clients for the control plane's Connect API, given to every component
// through a context so tests can hand in an in-memory transport.
import { createClient, type Client, type Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { authInterceptor } from "./authInterceptor";
import type { Session } from "./session";
import { createContext, useContext, type ReactNode } from "react";
import { CacheService } from "../gen/graven/v1/cache_service_pb";
import { ExecutionService } from "../gen/graven/v1/execution_service_pb";
import { LineageService } from "../gen/graven/v1/lineage_service_pb";
import { RegistryService } from "../gen/graven/v1/registry_service_pb";
import { SignalService } from "../gen/graven/v1/signal_service_pb";

export type Clients = {
  registry: Client<typeof RegistryService>;
  executions: Client<typeof ExecutionService>;
  lineage: Client<typeof LineageService>;
  cache: Client<typeof CacheService>;
  signals: Client<typeof SignalService>;
};

export function createClients(transport: Transport): Clients {
  return {
    registry: createClient(RegistryService, transport),
    executions: createClient(ExecutionService, transport),
    lineage: createClient(LineageService, transport),
    cache: createClient(CacheService, transport),
    signals: createClient(SignalService, transport),
  };
}

// The console is served by the control plane it talks to: same origin, binary protobuf; the
// one transport, so every call goes through the session's interceptor.
export function browserTransport(session: Session): Transport {
  return createConnectTransport({
    baseUrl: window.location.origin,
    useBinaryFormat: true,
    interceptors: [authInterceptor(session)],
  });
}

const ClientsContext = createContext<Clients | null>(null);

export function ClientsProvider({ clients, children }: { clients: Clients; children: ReactNode }) {
  return <ClientsContext.Provider value={clients}>{children}</ClientsContext.Provider>;
}

export function useClients(): Clients {
  const clients = useContext(ClientsContext);
  if (clients === null) throw new Error("useClients outside ClientsProvider");
  return clients;
}
