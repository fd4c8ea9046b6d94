import type { LiteralMap } from "../gen/graven/v1/literals_pb";
import type { TypedInterface } from "../gen/graven/v1/interface_pb";
import { literalDisplay, literalText, shortHash, sortedEntries, typeText } from "../format/literals";
import { Link } from "react-router";

// Named values (inputs or outputs); each hash links to the value's lineage.
export function LiteralTable({ values, empty }: { values: LiteralMap | undefined; empty: string }) {
  const entries = sortedEntries(values);
  if (entries.length === 0) return <p className="faint">{empty}</p>;
  return (
    <table className="values">
      <tbody>
        {entries.map(([name, literal]) => (
          <tr key={name}>
            <td style={{ width: "28%" }}>
              <div className="mono">{name}</div>
              {literal.hash && (
                <Link
                  className="hash"
                  to={`/lineage?artifact=${encodeURIComponent(literal.hash)}`}
                  title={`Lineage of ${literal.hash}`}
                >
                  {shortHash(literal.hash)}
                </Link>
              )}
            </td>
            <td>
              <pre className="value">{literalDisplay(literal)}</pre>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function InterfaceTable({ iface }: { iface: TypedInterface | undefined }) {
  const rows = [
    ...(iface?.inputs ?? []).map((v) => ({ kind: "input", v })),
    ...(iface?.outputs ?? []).map((v) => ({ kind: "output", v })),
  ];
  if (rows.length === 0) return <p className="faint">No inputs or outputs.</p>;
  return (
    <table>
      <thead>
        <tr>
          <th>Kind</th>
          <th>Name</th>
          <th>Type</th>
          <th>Default</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(({ kind, v }) => (
          <tr key={`${kind}:${v.name}`}>
            <td className="muted">{kind}</td>
            <td className="mono">{v.name}</td>
            <td className="mono">{typeText(v.type)}</td>
            <td className="mono">{v.default ? literalText(v.default) : ""}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
