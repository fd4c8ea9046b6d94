// Executions of a project and domain, newest first, filtered by workflow, version, phase
// and creation time; pages follow the server's page tokens; the page refreshes itself while
// anything on it runs.
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { useClients } from "../api/clients";
import { executionPath } from "../api/execution";
import { Empty, Loading, ProblemMessage } from "../components/Messages";
import { ExecutionPhaseBadge } from "../components/Status";
import { ExecutionPhase } from "../gen/graven/v1/execution_pb";
import { EXECUTION_PHASES, executionPhaseName, isTerminal } from "../format/phases";
import { dateOf, elapsed, formatDuration, formatTime, parseLocal } from "../format/time";
import { useScope } from "../scope";
import { entityPath } from "./paths";

export const PAGE_SIZE = 50;
const LIVE_MS = 2000;
const IDLE_MS = 10000;

type Filters = {
  workflow: string;
  version: string;
  phases: ExecutionPhase[];
  after: string;
  before: string;
};

function readFilters(params: URLSearchParams): Filters {
  const phases = (params.get("phase") ?? "")
    .split(",")
    .map((name) => EXECUTION_PHASES.find((p) => executionPhaseName(p).toLowerCase() === name))
    .filter((p): p is ExecutionPhase => p !== undefined);
  return {
    workflow: params.get("workflow") ?? "",
    version: params.get("version") ?? "",
    phases,
    after: params.get("after") ?? "",
    before: params.get("before") ?? "",
  };
}

export function ExecutionsPage() {
  const clients = useClients();
  const navigate = useNavigate();
  const [scope] = useScope();
  const [params, setParams] = useSearchParams();
  const filters = readFilters(params);
  // Tokens of the pages before this one, and this one's; a new filter starts again.
  const filterKey = JSON.stringify([scope, filters]);
  const [pages, setPages] = useState<{ key: string; tokens: string[] }>({ key: filterKey, tokens: [""] });
  const tokens = pages.key === filterKey ? pages.tokens : [""];
  const token = tokens[tokens.length - 1];
  const after = parseLocal(filters.after);
  const before = parseLocal(filters.before);

  const list = useQuery({
    queryKey: ["executions", scope.project, scope.domain, filters, token],
    queryFn: () =>
      clients.executions.listExecutions({
        project: scope.project,
        domain: scope.domain,
        workflowName: filters.workflow,
        workflowVersion: filters.version,
        phases: filters.phases,
        createdAfter: after ? timestampFromDate(after) : undefined,
        createdBefore: before ? timestampFromDate(before) : undefined,
        pageSize: PAGE_SIZE,
        pageToken: token,
      }),
    placeholderData: keepPreviousData,
    retry: false,
    refetchInterval: (q) =>
      q.state.data?.executions.some((e) => !isTerminal(e.closure!.phase)) ? LIVE_MS : IDLE_MS,
  });

  const setFilter = (name: string, value: string) =>
    setParams((current) => {
      const next = new URLSearchParams(current);
      if (value) next.set(name, value);
      else next.delete(name);
      return next;
    });
  const togglePhase = (phase: ExecutionPhase) => {
    const on = filters.phases.includes(phase)
      ? filters.phases.filter((p) => p !== phase)
      : [...filters.phases, phase];
    setFilter("phase", on.map((p) => executionPhaseName(p).toLowerCase()).join(","));
  };
  const filtered = filters.workflow || filters.version || filters.phases.length || after || before;
  const executions = list.data?.executions ?? [];

  return (
    <>
      <div className="page-head">
        <h1>Executions</h1>
        <span className="sub">
          {scope.project}/{scope.domain}
        </span>
      </div>
      <div className="card">
        <div className="filters">
          <label>
            Workflow
            <input
              placeholder="name"
              value={filters.workflow}
              onChange={(e) => setFilter("workflow", e.target.value.trim())}
              aria-label="Workflow"
            />
          </label>
          <label>
            Version
            <input
              placeholder="any"
              value={filters.version}
              onChange={(e) => setFilter("version", e.target.value.trim())}
              aria-label="Version"
              style={{ width: 120 }}
            />
          </label>
          <label>
            Created after
            <input type="datetime-local" value={filters.after} onChange={(e) => setFilter("after", e.target.value)} aria-label="Created after" />
          </label>
          <label>
            Created before
            <input type="datetime-local" value={filters.before} onChange={(e) => setFilter("before", e.target.value)} aria-label="Created before" />
          </label>
          <label>
            Phase
            <div className="phase-picks">
              {EXECUTION_PHASES.map((p) => (
                <button
                  key={p}
                  className={filters.phases.includes(p) ? "on" : ""}
                  onClick={() => togglePhase(p)}
                  aria-pressed={filters.phases.includes(p)}
                >
                  {executionPhaseName(p)}
                </button>
              ))}
            </div>
          </label>
          {filtered ? (
            <button
              onClick={() =>
                setParams((current) => {
                  const next = new URLSearchParams();
                  for (const key of ["project", "domain"]) {
                    const value = current.get(key);
                    if (value) next.set(key, value);
                  }
                  return next;
                })
              }
            >
              Clear filters
            </button>
          ) : null}
        </div>
      </div>

      {list.error ? (
        <ProblemMessage error={list.error} project={scope.project} />
      ) : list.isLoading ? (
        <Loading what="executions" />
      ) : (
        <div className="card flush">
          {executions.length === 0 ? (
            <Empty>
              {filtered
                ? "No execution matches these filters."
                : `No executions in ${scope.project}/${scope.domain} yet. Run one with \`graven run\`.`}
            </Empty>
          ) : (
            <table data-testid="executions">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Workflow</th>
                  <th>Version</th>
                  <th>Phase</th>
                  <th>Created</th>
                  <th>Duration</th>
                </tr>
              </thead>
              <tbody>
                {executions.map((execution) => {
                  const id = execution.id!;
                  const closure = execution.closure!;
                  const workflow = execution.spec!.workflowId!;
                  return (
                    <tr key={id.name} className="clickable" onClick={() => navigate(executionPath(id))}>
                      <td>
                        <Link className="mono" to={executionPath(id)} onClick={(e) => e.stopPropagation()}>
                          {id.name}
                        </Link>
                      </td>
                      <td>
                        <Link to={entityPath("workflows", workflow)} onClick={(e) => e.stopPropagation()}>
                          {workflow.name}
                        </Link>
                      </td>
                      <td className="mono muted">{workflow.version}</td>
                      <td>
                        <ExecutionPhaseBadge phase={closure.phase} />
                      </td>
                      <td>{formatTime(dateOf(closure.createdAt))}</td>
                      <td className="num">
                        {formatDuration(elapsed(dateOf(closure.startedAt), dateOf(closure.finishedAt)))}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
          <div className="pager">
            <span>Page {tokens.length}</span>
            <button
              disabled={tokens.length === 1}
              onClick={() => setPages({ key: filterKey, tokens: tokens.slice(0, -1) })}
            >
              ← Newer
            </button>
            <button
              disabled={!list.data?.nextPageToken}
              onClick={() => setPages({ key: filterKey, tokens: [...tokens, list.data!.nextPageToken] })}
            >
              Older →
            </button>
          </div>
        </div>
      )}
    </>
  );
}
