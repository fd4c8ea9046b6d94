import type { NodeExecution } from "../gen/graven/v1/execution_pb";
import { nodePhaseName, nodePhaseTone } from "../format/phases";
import { formatDuration } from "../format/time";
import { timeline } from "../graph/timeline";

export function Gantt({
  nodes,
  labels,
  onSelect,
  now,
}: {
  nodes: NodeExecution[];
  labels: Map<string, string>;
  onSelect: (nodeId: string) => void;
  now: number;
}) {
  const t = timeline(nodes, now);
  if (!t) return <p className="faint">No node has started yet.</p>;
  const total = t.end - t.start;
  return (
    <div className="gantt" data-testid="gantt">
      {t.rows.map((row) => (
        <div key={row.nodeId} style={{ display: "contents" }}>
          <div className="label">
            <button onClick={() => onSelect(row.nodeId)} title={row.nodeId}>
              {labels.get(row.nodeId) ?? row.nodeId}
            </button>
          </div>
          <div className="track">
            {row.bars.map((bar) => (
              <div
                key={bar.attempt}
                className={`bar tone-${nodePhaseTone(bar.phase)}`}
                style={{ left: `${bar.left * 100}%`, width: `${bar.width * 100}%` }}
                title={`attempt ${bar.attempt}: ${nodePhaseName(bar.phase)}, ${formatDuration(bar.end - bar.start)}`}
              />
            ))}
          </div>
        </div>
      ))}
      <div className="axis">
        <span>0</span>
        <span>{formatDuration(total / 2)}</span>
        <span>{formatDuration(total)}</span>
      </div>
    </div>
  );
}
