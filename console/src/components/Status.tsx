import { CacheStatus, ExecutionPhase, NodePhase } from "../gen/graven/v1/execution_pb";
import {
  cacheStatusName,
  executionPhaseName,
  executionPhaseTone,
  nodePhaseName,
  nodePhaseTone,
} from "../format/phases";

export function ExecutionPhaseBadge({ phase }: { phase: ExecutionPhase }) {
  return (
    <span className={`badge tone-${executionPhaseTone(phase)}`} data-phase={executionPhaseName(phase)}>
      {executionPhaseName(phase)}
    </span>
  );
}

export function NodePhaseBadge({ phase }: { phase: NodePhase }) {
  return (
    <span className={`badge tone-${nodePhaseTone(phase)}`}>{nodePhaseName(phase)}</span>
  );
}

const CACHE_CLASS: Partial<Record<CacheStatus, string>> = {
  [CacheStatus.HIT]: "hit",
  [CacheStatus.POPULATED]: "populated",
};

export function CacheBadge({ status }: { status: CacheStatus }) {
  const name = cacheStatusName(status);
  if (!name) return null;
  return <span className={`cache ${CACHE_CLASS[status] ?? ""}`}>{name}</span>;
}
