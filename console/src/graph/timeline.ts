// The geometry of a timeline of node attempts: each bar as fractions of the whole span.
import type { NodeExecution } from "../gen/graven/v1/execution_pb";
import { NodePhase } from "../gen/graven/v1/execution_pb";
import { dateOf } from "../format/time";

export type Bar = { attempt: number; phase: NodePhase; start: number; end: number; left: number; width: number };
export type Row = { nodeId: string; bars: Bar[] };
export type Timeline = { start: number; end: number; rows: Row[] };

export function timeline(nodes: NodeExecution[], now: number): Timeline | null {
  const spans: { nodeId: string; attempt: number; phase: NodePhase; start: number; end: number }[] = [];
  for (const node of nodes) {
    const nodeId = node.id?.nodeId ?? "";
    const attempts = node.attempts.length
      ? node.attempts.map((a) => ({ attempt: a.attempt, phase: a.phase, start: dateOf(a.startedAt), end: dateOf(a.finishedAt) }))
      : [{ attempt: 0, phase: node.phase, start: dateOf(node.startedAt), end: dateOf(node.finishedAt) }];
    for (const a of attempts) {
      if (!a.start) continue;
      const start = a.start.getTime();
      spans.push({ nodeId, attempt: a.attempt, phase: a.phase, start, end: a.end ? a.end.getTime() : Math.max(now, start) });
    }
  }
  if (spans.length === 0) return null;
  const start = Math.min(...spans.map((s) => s.start));
  const end = Math.max(...spans.map((s) => s.end), start + 1);
  const total = end - start;
  const rows = nodes.map((node) => ({
    nodeId: node.id?.nodeId ?? "",
    bars: spans
      .filter((s) => s.nodeId === (node.id?.nodeId ?? ""))
      .map((s) => ({
        ...s,
        left: (s.start - start) / total,
        width: (s.end - s.start) / total,
      })),
  }));
  return { start, end, rows };
}
