// Literals and their types as a person reads them: Python-like values and type names.
import type { Literal, LiteralMap } from "../gen/graven/v1/literals_pb";
import { BlobDimensionality, SimpleType, type LiteralType } from "../gen/graven/v1/types_pb";
import { timestampDate } from "@bufbuild/protobuf/wkt";

const INDENT = "  ";

export function literalText(literal: Literal | undefined, depth = 0): string {
  if (!literal) return "—";
  const value = literal.value;
  switch (value.case) {
    case "primitive": {
      const p = value.value.value;
      switch (p.case) {
        case "integer":
          return p.value.toString();
        case "floatValue":
          return Number.isInteger(p.value) ? p.value.toFixed(1) : String(p.value);
        case "stringValue":
          return JSON.stringify(p.value);
        case "boolean":
          return p.value ? "True" : "False";
        case "bytesValue":
          return `<${p.value.length} bytes>`;
        case "datetime":
          return timestampDate(p.value).toISOString();
        case "duration":
          return `${Number(p.value.seconds) + p.value.nanos / 1e9} s`;
        default:
          return "?";
      }
    }
    case "none":
      return "None";
    case "collection":
      return bracketed("[", "]", value.value.literals.map((l) => literalText(l, depth + 1)), depth);
    case "map":
    case "structured":
      return bracketed(
        "{",
        "}",
        Object.entries(value.value.literals).map(
          ([k, v]) => `${JSON.stringify(k)}: ${literalText(v, depth + 1)}`,
        ),
        depth,
      );
    case "blob": {
      const blob = value.value;
      const kind =
        blob.type?.dimensionality === BlobDimensionality.MULTIPART ? "directory" : "file";
      const format = blob.type?.format ? ` ${blob.type.format}` : "";
      return `<${kind}${format}, ${blob.size} bytes, ${shortHash(blob.sha256)}>`;
    }
    default:
      return "?";
  }
}

// Short lists stay on one line; long ones get a line per item.
function bracketed(open: string, close: string, items: string[], depth: number): string {
  const flat = `${open}${items.join(", ")}${close}`;
  if (flat.length <= 72 && !flat.includes("\n")) return flat;
  const pad = INDENT.repeat(depth + 1);
  return `${open}\n${items.map((i) => pad + i).join(",\n")}\n${INDENT.repeat(depth)}${close}`;
}

// A top-level string reads best as itself (a report, a path), not as a quoted literal.
export function literalDisplay(literal: Literal | undefined): string {
  if (literal?.value.case === "primitive" && literal.value.value.value.case === "stringValue") {
    return literal.value.value.value.value;
  }
  return literalText(literal);
}

export function sortedEntries(map: LiteralMap | undefined): [string, Literal][] {
  return Object.entries(map?.literals ?? {}).sort(([a], [b]) => a.localeCompare(b));
}

const SIMPLE: Record<SimpleType, string> = {
  [SimpleType.UNSPECIFIED]: "?",
  [SimpleType.NONE]: "None",
  [SimpleType.INTEGER]: "int",
  [SimpleType.FLOAT]: "float",
  [SimpleType.STRING]: "str",
  [SimpleType.BOOLEAN]: "bool",
  [SimpleType.BYTES]: "bytes",
  [SimpleType.DATETIME]: "datetime",
  [SimpleType.DURATION]: "timedelta",
};

export function typeText(type: LiteralType | undefined): string {
  if (!type) return "?";
  const t = type.type;
  switch (t.case) {
    case "simple":
      return SIMPLE[t.value] ?? "?";
    case "collectionType":
      return `list[${typeText(t.value)}]`;
    case "mapValueType":
      return `dict[str, ${typeText(t.value)}]`;
    case "unionType": {
      const variants = t.value.variants.map(typeText);
      const others = variants.filter((v) => v !== "None");
      return others.length === 1 && variants.length === 2
        ? `Optional[${others[0]}]`
        : variants.join(" | ");
    }
    case "enumType":
      return `${t.value.name || "enum"}(${t.value.values.join(", ")})`;
    case "structuredType":
      return t.value.name || "dataclass";
    case "blob":
      return t.value.dimensionality === BlobDimensionality.MULTIPART
        ? "Directory"
        : `File${t.value.format ? `[${t.value.format}]` : ""}`;
    case "tabular":
      return `Table[${t.value.format || "parquet"}]`;
    case "pickle":
      return `Pickle[${t.value.pythonType}]`;
    default:
      return "?";
  }
}

// "sha256:0123456789abcdef…" → "0123456789ab": enough to tell two apart on a screen.
export function shortHash(hash: string): string {
  return hash.replace(/^sha256:/, "").slice(0, 12);
}
