// Names and tones of phases and cache statuses: one place, so the table, the graph, the
// timeline and the panel all say and colour a phase the same way.
import {
  CacheStatus,
  ExecutionPhase,
  NodePhase,
} from "../gen/graven/v1/execution_pb";

export type Tone = "waiting" | "running" | "good" | "bad" | "stopped" | "muted";

const EXECUTION: Record<ExecutionPhase, [string, Tone]> = {
  [ExecutionPhase.UNSPECIFIED]: ["Unknown", "muted"],
  [ExecutionPhase.QUEUED]: ["Queued", "waiting"],
  [ExecutionPhase.RUNNING]: ["Running", "running"],
  [ExecutionPhase.TERMINATING]: ["Terminating", "stopped"],
  [ExecutionPhase.SUCCEEDED]: ["Succeeded", "good"],
  [ExecutionPhase.FAILED]: ["Failed", "bad"],
  [ExecutionPhase.TERMINATED]: ["Terminated", "stopped"],
  [ExecutionPhase.TIMED_OUT]: ["Timed out", "bad"],
};

const NODE: Record<NodePhase, [string, Tone]> = {
  [NodePhase.UNSPECIFIED]: ["Unknown", "muted"],
  [NodePhase.QUEUED]: ["Queued", "waiting"],
  [NodePhase.RUNNING]: ["Running", "running"],
  [NodePhase.SUCCEEDED]: ["Succeeded", "good"],
  [NodePhase.FAILED]: ["Failed", "bad"],
  [NodePhase.TIMED_OUT]: ["Timed out", "bad"],
  [NodePhase.TERMINATED]: ["Terminated", "stopped"],
  [NodePhase.SKIPPED]: ["Skipped", "muted"],
  [NodePhase.RECOVERED]: ["Recovered", "good"],
  [NodePhase.RETRYING]: ["Retrying", "running"],
};

const CACHE: Record<CacheStatus, string> = {
  [CacheStatus.UNSPECIFIED]: "",
  [CacheStatus.DISABLED]: "",
  [CacheStatus.MISS]: "cache miss",
  [CacheStatus.HIT]: "cache hit",
  [CacheStatus.POPULATED]: "cached",
  [CacheStatus.OVERWRITTEN]: "recomputed",
};

export const EXECUTION_PHASES: ExecutionPhase[] = [
  ExecutionPhase.QUEUED,
  ExecutionPhase.RUNNING,
  ExecutionPhase.TERMINATING,
  ExecutionPhase.SUCCEEDED,
  ExecutionPhase.FAILED,
  ExecutionPhase.TERMINATED,
  ExecutionPhase.TIMED_OUT,
];

export const executionPhaseName = (phase: ExecutionPhase) => EXECUTION[phase]?.[0] ?? "Unknown";
export const executionPhaseTone = (phase: ExecutionPhase): Tone => EXECUTION[phase]?.[1] ?? "muted";
export const nodePhaseName = (phase: NodePhase) => NODE[phase]?.[0] ?? "Unknown";
export const nodePhaseTone = (phase: NodePhase): Tone => NODE[phase]?.[1] ?? "muted";
export const cacheStatusName = (status: CacheStatus) => CACHE[status] ?? "";

const TERMINAL = new Set([
  ExecutionPhase.SUCCEEDED,
  ExecutionPhase.FAILED,
  ExecutionPhase.TERMINATED,
  ExecutionPhase.TIMED_OUT,
]);

export const isTerminal = (phase: ExecutionPhase) => TERMINAL.has(phase);

// Executions that can be recovered: those that stopped before every node succeeded.
export const isRecoverable = (phase: ExecutionPhase) =>
  phase === ExecutionPhase.FAILED ||
  phase === ExecutionPhase.TERMINATED ||
  phase === ExecutionPhase.TIMED_OUT;
