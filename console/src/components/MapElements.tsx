// A map node's elements in its panel: counts by phase (each a filter), a table of the
// elements (index, phase, attempts, duration), each opening its own panel, and a timeline.
// Long maps show a page at a time: a thousand rows help nobody.
import { useState } from "react";
import type { NodeExecution } from "../gen/graven/v1/execution_pb";
import { NodePhase } from "../gen/graven/v1/execution_pb";
import { nodePhaseName, nodePhaseTone } from "../format/phases";
import { dateOf, elapsed, formatDuration } from "../format/time";
import { leafOf, nodeIdOf, phaseCounts } from "../graph/nodeTree";
import { Gantt } from "./Gantt";
import { NodePhaseBadge } from "./Status";

export const ELEMENT_PAGE = 50;

export function MapElements({
  elements,
  onSelect,
  now,
}: {
  elements: NodeExecution[];
  onSelect: (nodeId: string) => void;
  now: number;
}) {
  const [only, setOnly] = useState<NodePhase | null>(null);
  const [shown, setShown] = useState(ELEMENT_PAGE);
  if (elements.length === 0) return <p className="faint">No element has started yet.</p>;
  const counts = phaseCounts(elements);
  const picked = only === null ? elements : elements.filter((e) => e.phase === only);
  const page = picked.slice(0, shown);
  const labels = new Map(page.map((e) => [nodeIdOf(e), `#${leafOf(nodeIdOf(e))}`]));
  return (
    <div data-testid="map-elements">
      <div className="phase-picks">
        <button className={only === null ? "on" : ""} onClick={() => setOnly(null)}>
          all {elements.length}
        </button>
        {counts.map((c) => (
          <button
            key={c.phase}
            className={`${only === c.phase ? "on" : ""} tone-${nodePhaseTone(c.phase)}`}
            onClick={() => setOnly(only === c.phase ? null : c.phase)}
          >
            {c.count} {nodePhaseName(c.phase).toLowerCase()}
          </button>
        ))}
      </div>
      <table className="elements">
        <thead>
          <tr>
            <th>#</th>
            <th>Phase</th>
            <th>Attempts</th>
            <th>Duration</th>
          </tr>
        </thead>
        <tbody>
          {page.map((e) => (
            <tr key={nodeIdOf(e)} className="clickable" onClick={() => onSelect(nodeIdOf(e))} data-element={leafOf(nodeIdOf(e))}>
              <td className="num mono">{leafOf(nodeIdOf(e))}</td>
              <td>
                <NodePhaseBadge phase={e.phase} />
              </td>
              <td className="num">{e.attempts.length}</td>
              <td className="num">{formatDuration(elapsed(dateOf(e.startedAt), dateOf(e.finishedAt), now))}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {picked.length > shown && (
        <p>
          <button onClick={() => setShown(shown + ELEMENT_PAGE)}>
            Show {Math.min(ELEMENT_PAGE, picked.length - shown)} more of {picked.length - shown}
          </button>
        </p>
      )}
      <h3>Timeline</h3>
      <Gantt nodes={page} labels={labels} onSelect={onSelect} now={now} />
    </div>
  );
}
