// Where each thing lives in the console, built in one place so links and routes agree.
import type { Identifier } from "../gen/graven/v1/identifier_pb";

export type EntityKind = "workflows" | "tasks";

export function entityPath(
  kind: EntityKind,
  id: Pick<Identifier, "project" | "domain" | "name">,
  version?: string,
): string {
  const base = `/${kind}/${id.project}/${id.domain}/${encodeURIComponent(id.name)}`;
  return version ? `${base}?version=${encodeURIComponent(version)}` : base;
}
