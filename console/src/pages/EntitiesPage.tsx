// The named workflows or tasks of a project and domain, each with its latest version.
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate } from "react-router";
import { useClients } from "../api/clients";
import { Empty, Loading, ProblemMessage } from "../components/Messages";
import { ResourceType } from "../gen/graven/v1/identifier_pb";
import { dateOf, formatTime } from "../format/time";
import { useScope } from "../scope";
import { entityPath, type EntityKind } from "./paths";

export const RESOURCE: Record<EntityKind, ResourceType> = {
  workflows: ResourceType.WORKFLOW,
  tasks: ResourceType.TASK,
};
const TITLES: Record<EntityKind, string> = { workflows: "Workflows", tasks: "Tasks" };
const PAGE_SIZE = 100;

export function EntitiesPage({ kind }: { kind: EntityKind }) {
  const clients = useClients();
  const navigate = useNavigate();
  const [scope] = useScope();
  const [prefix, setPrefix] = useState("");
  const [tokens, setTokens] = useState<string[]>([""]);
  const token = tokens[tokens.length - 1];
  const names = useQuery({
    queryKey: ["names", kind, scope.project, scope.domain, prefix, token],
    queryFn: () =>
      clients.registry.listNames({
        resourceType: RESOURCE[kind],
        project: scope.project,
        domain: scope.domain,
        namePrefix: prefix,
        pageSize: PAGE_SIZE,
        pageToken: token,
      }),
    placeholderData: keepPreviousData,
    retry: false,
  });
  const entities = names.data?.entities ?? [];
  return (
    <>
      <div className="page-head">
        <h1>{TITLES[kind]}</h1>
        <span className="sub">
          {scope.project}/{scope.domain}
        </span>
        <div className="spacer" />
        <input
          placeholder="Name starts with…"
          value={prefix}
          aria-label="Name prefix"
          onChange={(e) => {
            setPrefix(e.target.value.trim());
            setTokens([""]);
          }}
        />
      </div>
      {names.error ? (
        <ProblemMessage error={names.error} project={scope.project} />
      ) : names.isLoading ? (
        <Loading what={kind} />
      ) : (
        <div className="card flush">
          {entities.length === 0 ? (
            <Empty>
              {prefix
                ? `No ${kind} whose name starts with "${prefix}".`
                : `No ${kind} registered in ${scope.project}/${scope.domain}. Register some with \`graven register\`.`}
            </Empty>
          ) : (
            <table data-testid="entities">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Latest version</th>
                  <th>Versions</th>
                  <th>Updated</th>
                </tr>
              </thead>
              <tbody>
                {entities.map((e) => (
                  <tr key={e.name} className="clickable" onClick={() => navigate(entityPath(kind, e))}>
                    <td>
                      <Link to={entityPath(kind, e)} onClick={(ev) => ev.stopPropagation()}>
                        {e.name}
                      </Link>
                    </td>
                    <td className="mono muted">{e.latestVersion}</td>
                    <td className="num">{e.versionCount}</td>
                    <td>{formatTime(dateOf(e.updatedAt))}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {(tokens.length > 1 || names.data?.nextPageToken) && (
            <div className="pager">
              <button disabled={tokens.length === 1} onClick={() => setTokens(tokens.slice(0, -1))}>
                ← Previous
              </button>
              <button
                disabled={!names.data?.nextPageToken}
                onClick={() => setTokens([...tokens, names.data!.nextPageToken])}
              >
                Next →
              </button>
            </div>
          )}
        </div>
      )}
    </>
  );
}
