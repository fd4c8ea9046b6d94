// One execution and its nodes, kept live: the WatchExecution stream (server streaming over
// Connect) writes each change into the query cache; if the stream breaks, the query polls.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import type { Execution, NodeExecution } from "../gen/graven/v1/execution_pb";
import type { ExecutionIdentifier } from "../gen/graven/v1/identifier_pb";
import { isTerminal } from "../format/phases";
import { useClients, type Clients } from "./clients";

export type ExecutionRef = { project: string; domain: string; name: string };
export type LiveExecution = { execution: Execution; nodes: NodeExecution[] };

const POLL_MS = 2000;
const NODE_PAGE = 1000;

export const executionKey = (ref: ExecutionRef) => ["execution", ref.project, ref.domain, ref.name];

export function executionPath(id: ExecutionIdentifier | ExecutionRef | undefined): string {
  if (!id) return "/executions";
  return `/executions/${id.project}/${id.domain}/${id.name}`;
}

async function load(clients: Clients, ref: ExecutionRef): Promise<LiveExecution> {
  const { execution } = await clients.executions.getExecution({ id: ref });
  const nodes: NodeExecution[] = [];
  let pageToken = "";
  do {
    const page = await clients.executions.listNodeExecutions({ executionId: ref, pageSize: NODE_PAGE, pageToken });
    nodes.push(...page.nodeExecutions);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return { execution: execution!, nodes };
}

// The nodes of ``current`` with those of ``changed`` put in their place (same order).
export function mergeNodes(current: NodeExecution[], changed: NodeExecution[]): NodeExecution[] {
  if (changed.length === 0) return current;
  const byId = new Map(changed.map((n) => [n.id?.nodeId, n]));
  const merged = current.map((n) => byId.get(n.id?.nodeId) ?? n);
  const known = new Set(current.map((n) => n.id?.nodeId));
  return [...merged, ...changed.filter((n) => !known.has(n.id?.nodeId))];
}

export function useLiveExecution(ref: ExecutionRef) {
  const clients = useClients();
  const queryClient = useQueryClient();
  const key = executionKey(ref);
  const [streamBroken, setStreamBroken] = useState(false);
  const query = useQuery({
    queryKey: key,
    queryFn: () => load(clients, ref),
    retry: false,
    refetchInterval: (q) =>
      streamBroken && q.state.data && !isTerminal(q.state.data.execution.closure!.phase) ? POLL_MS : false,
  });
  const running = query.data !== undefined && !isTerminal(query.data.execution.closure!.phase);
  const { project, domain, name } = ref;
  useEffect(() => {
    if (!running) return;
    const abort = new AbortController();
    const streamKey = ["execution", project, domain, name];
    (async () => {
      try {
        const stream = clients.executions.watchExecution(
          { id: { project, domain, name } },
          { signal: abort.signal },
        );
        for await (const update of stream) {
          queryClient.setQueryData<LiveExecution>(streamKey, (old) => ({
            execution: update.execution!,
            nodes: mergeNodes(old?.nodes ?? [], update.nodeExecutions),
          }));
        }
      } catch {
        if (!abort.signal.aborted) setStreamBroken(true);
      }
    })();
    return () => abort.abort();
  }, [running, clients, queryClient, project, domain, name]);
  return { ...query, live: running && !streamBroken };
}
