// One named workflow or task: its versions (newest first), a version's graph and interface,
// and a side-by-side diff of any two versions.
import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { Link, useParams, useSearchParams } from "react-router";
import { useClients } from "../api/clients";
import { isNotFound } from "../api/errors";
import { DagView } from "../components/DagView";
import { Empty, Loading, Problem, ProblemMessage } from "../components/Messages";
import { InterfaceTable } from "../components/Values";
import type { Identifier } from "../gen/graven/v1/identifier_pb";
import type { Task } from "../gen/graven/v1/task_pb";
import { shortHash } from "../format/literals";
import { dateOf, formatDuration, formatTime } from "../format/time";
import { workflowGraph } from "../graph/workflowGraph";
import { RESOURCE } from "./EntitiesPage";
import type { EntityKind } from "./paths";

const VERSIONS_PAGE = 200;

export function EntityPage({ kind }: { kind: EntityKind }) {
  const { project = "", domain = "", name = "" } = useParams();
  const clients = useClients();
  const [params, setParams] = useSearchParams();
  const resourceType = RESOURCE[kind];
  const versions = useQuery({
    queryKey: ["versions", resourceType, project, domain, name],
    queryFn: () => clients.registry.listVersions({ resourceType, project, domain, name, pageSize: VERSIONS_PAGE }),
    retry: false,
  });
  const list = versions.data?.versions ?? [];
  const shown = params.get("version") || list[0]?.id?.version || "";
  const a = params.get("a") ?? "";
  const b = params.get("b") ?? "";
  const [pickA, setPickA] = useState(a);
  const [pickB, setPickB] = useState(b);
  const set = (updates: Record<string, string>) =>
    setParams((current) => {
      const next = new URLSearchParams(current);
      for (const [key, value] of Object.entries(updates)) {
        if (value) next.set(key, value);
        else next.delete(key);
      }
      return next;
    });

  if (versions.isLoading) return <Loading what={name} />;
  if (versions.error) return <ProblemMessage error={versions.error} />;
  if (list.length === 0) {
    return (
      <Problem title="Not found">
        No {kind === "tasks" ? "task" : "workflow"} named <span className="mono">{name}</span> is registered in{" "}
        {project}/{domain}. <Link to={`/${kind}?project=${project}&domain=${domain}`}>See all {kind}</Link>.
      </Problem>
    );
  }
  const id: Identifier = { project, domain, name, version: shown, resourceType } as Identifier;
  return (
    <>
      <div className="page-head">
        <div>
          <div className="sub">
            <Link to={`/${kind}?project=${project}&domain=${domain}`}>{kind === "tasks" ? "Tasks" : "Workflows"}</Link> /{" "}
            {project}/{domain}
          </div>
          <h1>{name}</h1>
        </div>
        <div className="spacer" />
        {kind === "workflows" && (
          <Link className="button" to={`/executions?project=${project}&domain=${domain}&workflow=${encodeURIComponent(name)}`}>
            Executions of this workflow
          </Link>
        )}
      </div>

      <div className="card flush">
        <table data-testid="versions">
          <thead>
            <tr>
              <th title="First side of a comparison">A</th>
              <th title="Second side of a comparison">B</th>
              <th>Version</th>
              <th>Registered</th>
              <th>Digest</th>
              {kind === "tasks" && <th>Code digest</th>}
            </tr>
          </thead>
          <tbody>
            {list.map((v) => {
              const version = v.id!.version;
              return (
                <tr key={version} className={version === shown ? "selected-row" : ""}>
                  <td>
                    <input type="radio" name="a" aria-label={`A: ${version}`} checked={pickA === version} onChange={() => setPickA(version)} />
                  </td>
                  <td>
                    <input type="radio" name="b" aria-label={`B: ${version}`} checked={pickB === version} onChange={() => setPickB(version)} />
                  </td>
                  <td>
                    <button className="link" onClick={() => set({ version })}>
                      {version}
                    </button>
                    {version === list[0].id!.version && <span className="faint"> latest</span>}
                  </td>
                  <td>{formatTime(dateOf(v.createdAt))}</td>
                  <td className="hash" title={v.digest}>
                    {shortHash(v.digest)}
                  </td>
                  {kind === "tasks" && (
                    <td className="hash" title={v.codeDigest}>
                      {shortHash(v.codeDigest)}
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
        <div className="pager">
          <span>{list.length === 1 ? "Only one version: nothing to compare." : "Pick A and B to compare two versions."}</span>
          <button
            className="primary"
            disabled={!pickA || !pickB || pickA === pickB}
            onClick={() => set({ a: pickA, b: pickB })}
          >
            Compare
          </button>
        </div>
      </div>

      {a && b && <VersionDiff kind={kind} project={project} domain={domain} name={name} a={a} b={b} />}

      <h2 style={{ marginTop: 8 }}>
        Version <span className="mono">{shown}</span>
      </h2>
      {kind === "workflows" ? <WorkflowVersion id={id} /> : <TaskVersion id={id} />}
    </>
  );
}

function VersionDiff(props: { kind: EntityKind; project: string; domain: string; name: string; a: string; b: string }) {
  const clients = useClients();
  const { kind, project, domain, name, a, b } = props;
  const diff = useQuery({
    queryKey: ["diff", kind, project, domain, name, a, b],
    queryFn: () =>
      clients.registry.diffVersions({
        resourceType: RESOURCE[kind],
        project,
        domain,
        name,
        versionA: a,
        versionB: b,
      }),
    retry: false,
    staleTime: Infinity,
  });
  return (
    <div className="card flush" data-testid="diff">
      <div style={{ padding: "12px 16px" }}>
        <h2 style={{ margin: 0 }}>
          <span className="mono">{a}</span> ↔ <span className="mono">{b}</span>
        </h2>
      </div>
      {diff.error ? (
        <div style={{ padding: "0 16px" }}>
          <ProblemMessage error={diff.error} />
        </div>
      ) : diff.isLoading ? (
        <Loading what="the differences" />
      ) : diff.data!.differences.length === 0 ? (
        <Empty>The two versions have the same spec.</Empty>
      ) : (
        <table className="diff">
          <thead>
            <tr>
              <th>Field</th>
              <th>A · {a}</th>
              <th>B · {b}</th>
            </tr>
          </thead>
          <tbody>
            {diff.data!.differences.map((d) => (
              <tr key={d.path}>
                <td className="path">{d.path}</td>
                <td className="a">{d.valueA || <span className="faint">(absent)</span>}</td>
                <td className="b">{d.valueB || <span className="faint">(absent)</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function WorkflowVersion({ id }: { id: Identifier }) {
  const clients = useClients();
  const workflow = useQuery({
    queryKey: ["workflow", id.project, id.domain, id.name, id.version],
    queryFn: () => clients.registry.getWorkflow({ id }),
    retry: false,
    staleTime: Infinity,
  });
  const graph = useMemo(() => workflowGraph(workflow.data?.workflow), [workflow.data]);
  if (workflow.isLoading) return <Loading what="the workflow" />;
  if (workflow.error) return <ProblemMessage error={workflow.error} hint={isNotFound(workflow.error) ? "Pick a version from the list above." : undefined} />;
  const wf = workflow.data!.workflow!;
  return (
    <>
      {wf.spec?.description && <p className="muted">{wf.spec.description}</p>}
      <DagView graph={graph} tall={graph.nodes.length > 12} />
      <div className="grid2" style={{ marginTop: 16 }}>
        <div className="card">
          <h2>Interface</h2>
          <InterfaceTable iface={wf.spec?.template?.interface} />
        </div>
        <div className="card">
          <h2>Tasks</h2>
          <table>
            <tbody>
              {wf.closure?.tasks.map((t) => (
                <tr key={`${t.id!.name}@${t.id!.version}`}>
                  <td>
                    <Link to={`/tasks/${t.id!.project}/${t.id!.domain}/${encodeURIComponent(t.id!.name)}?version=${encodeURIComponent(t.id!.version)}`}>
                      {t.id!.name}
                    </Link>
                  </td>
                  <td className="mono muted">{t.id!.version}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="faint">
            Registered {formatTime(dateOf(wf.closure?.createdAt))} · digest{" "}
            <span className="hash">{shortHash(wf.closure?.digest ?? "")}</span>
          </p>
        </div>
      </div>
    </>
  );
}

function TaskVersion({ id }: { id: Identifier }) {
  const clients = useClients();
  const task = useQuery({
    queryKey: ["task", id.project, id.domain, id.name, id.version],
    queryFn: () => clients.registry.getTask({ id }),
    retry: false,
    staleTime: Infinity,
  });
  if (task.isLoading) return <Loading what="the task" />;
  if (task.error) return <ProblemMessage error={task.error} />;
  const found = task.data?.task;
  if (!found) return <Problem title="Not found">The server returned no task for this version.</Problem>;
  return <TaskDetails task={found} />;
}

function TaskDetails({ task }: { task: Task }) {
  const template = task.spec?.template;
  const meta = template?.metadata;
  const code = template?.code;
  const resources = meta?.resources;
  const timeout = meta?.timeout ? Number(meta.timeout.seconds) * 1000 + meta.timeout.nanos / 1e6 : null;
  const cache = meta?.cache;
  return (
    <div className="grid2">
      <div className="card">
        <h2>Interface</h2>
        <InterfaceTable iface={template?.interface} />
        {task.spec?.description && <p className="muted">{task.spec.description}</p>}
      </div>
      <div className="card">
        <h2>How it runs</h2>
        <dl className="facts">
          <dt>Function</dt>
          <dd className="mono">
            {code?.module}.{code?.function}
          </dd>
          <dt>Code digest</dt>
          <dd className="hash" title={code?.codeDigest}>
            {shortHash(code?.codeDigest ?? "")}
          </dd>
          <dt>Bundle</dt>
          <dd className="hash" title={code?.bundleDigest}>
            {shortHash(code?.bundleDigest ?? "")}
          </dd>
          <dt>Retries</dt>
          <dd>{meta?.retries ?? 0}</dd>
          <dt>Timeout</dt>
          <dd>{timeout ? formatDuration(timeout) : "none"}</dd>
          <dt>Cache</dt>
          <dd>
            {cache?.enabled
              ? `on${cache.version ? ` (version ${cache.version})` : ""}${cache.ignoreInputs.length ? `, ignoring ${cache.ignoreInputs.join(", ")}` : ""}`
              : "off"}
          </dd>
          <dt>Resources</dt>
          <dd>
            {resources
              ? [
                  resources.cpus ? `${resources.cpus} CPU` : "",
                  resources.gpus ? `${resources.gpus} GPU` : "",
                  resources.memoryBytes ? `${Number(resources.memoryBytes) / 2 ** 20} MiB` : "",
                  ...Object.entries(resources.custom).map(([k, v]) => `${v} ${k}`),
                ]
                  .filter(Boolean)
                  .join(", ") || "defaults"
              : "defaults"}
          </dd>
          <dt>Graven</dt>
          <dd>{meta?.gravenVersion}</dd>
        </dl>
      </div>
    </div>
  );
}
