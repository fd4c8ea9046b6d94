// Relaunch (same version, latest, or a chosen one), Recover and Terminate. A refused action
// shows the server's reason (a version whose interface no longer fits the inputs, say).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useNavigate } from "react-router";
import { useClients } from "../api/clients";
import { executionPath } from "../api/execution";
import type { Execution } from "../gen/graven/v1/execution_pb";
import { ResourceType } from "../gen/graven/v1/identifier_pb";
import { isRecoverable, isTerminal } from "../format/phases";
import { dateOf, formatTime } from "../format/time";
import { ProblemMessage } from "./Messages";

type Relaunch = { kind: "same" } | { kind: "latest" } | { kind: "version"; version: string };

export function ExecutionActions({ execution }: { execution: Execution }) {
  const clients = useClients();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const [chosen, setChosen] = useState("");
  const id = execution.id!;
  const workflow = execution.spec!.workflowId!;
  const phase = execution.closure!.phase;

  const versions = useQuery({
    queryKey: ["versions", ResourceType.WORKFLOW, workflow.project, workflow.domain, workflow.name],
    queryFn: () =>
      clients.registry.listVersions({
        resourceType: ResourceType.WORKFLOW,
        project: workflow.project,
        domain: workflow.domain,
        name: workflow.name,
        pageSize: 100,
      }),
    enabled: open,
  });

  const launched = (next: Execution | undefined) => {
    setOpen(false);
    queryClient.invalidateQueries({ queryKey: ["executions"] });
    navigate(executionPath(next?.id));
  };
  const relaunch = useMutation({
    mutationFn: (how: Relaunch) =>
      clients.executions.relaunchExecution({
        id,
        version:
          how.kind === "latest"
            ? { case: "latest", value: true }
            : how.kind === "version"
              ? { case: "workflowVersion", value: how.version }
              : { case: "workflowVersion", value: workflow.version },
      }),
    onSuccess: (r) => launched(r.execution),
  });
  const recover = useMutation({
    mutationFn: () => clients.executions.recoverExecution({ id }),
    onSuccess: (r) => launched(r.execution),
  });
  const terminate = useMutation({
    mutationFn: () => clients.executions.terminateExecution({ id, reason: "terminated from the console" }),
  });
  const failure = relaunch.error ?? recover.error ?? terminate.error;

  return (
    <div className="actions">
      <div className="actions-row">
      <div className="menu">
        <button className="primary" onClick={() => setOpen(!open)} aria-expanded={open}>
          Relaunch ▾
        </button>
        {open && (
          <div className="menu-list" role="menu">
            <button role="menuitem" onClick={() => relaunch.mutate({ kind: "same" })} disabled={relaunch.isPending}>
              Same version ({workflow.version})
            </button>
            <button role="menuitem" onClick={() => relaunch.mutate({ kind: "latest" })} disabled={relaunch.isPending}>
              Latest version
            </button>
            <div className="row">
              <select
                aria-label="Version to relaunch"
                value={chosen}
                onChange={(e) => setChosen(e.target.value)}
              >
                <option value="">Choose a version…</option>
                {versions.data?.versions.map((v) => (
                  <option key={v.id!.version} value={v.id!.version}>
                    {v.id!.version} · {formatTime(dateOf(v.createdAt))}
                  </option>
                ))}
              </select>
              <button
                onClick={() => relaunch.mutate({ kind: "version", version: chosen })}
                disabled={!chosen || relaunch.isPending}
              >
                Run
              </button>
            </div>
          </div>
        )}
      </div>
      <button onClick={() => recover.mutate()} disabled={!isRecoverable(phase) || recover.isPending} title="Reuse every node that succeeded and run the rest">
        Recover
      </button>
      <button className="danger" onClick={() => terminate.mutate()} disabled={isTerminal(phase) || terminate.isPending}>
        Terminate
      </button>
      </div>
      {failure && <ProblemMessage error={failure} acting />}
    </div>
  );
}
