// What a person types into a gate's form, as the Literal the signal takes. A string-typed
// signal takes the text as it is; any other takes JSON (`3`, `0.5`, `true`, `[1, 2]`,
// `{"a": 1}`), shaped by the signal's type where the two agree. Whatever does not fit the
// type is still sent as the closest literal: the control plane owns the type rule and
// answers INVALID_ARGUMENT with its reason, which the form shows.
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { LiteralSchema, PrimitiveSchema, type Literal } from "../gen/graven/v1/literals_pb";
import { SimpleType, type LiteralType } from "../gen/graven/v1/types_pb";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

type PrimitiveValue = NonNullable<MessageInitShape<typeof PrimitiveSchema>["value"]>;

const prim = (value: PrimitiveValue) => create(LiteralSchema, { value: { case: "primitive", value: { value } } });

function variants(type: LiteralType | undefined): LiteralType[] {
  if (type?.type.case === "unionType") return type.type.value.variants;
  return type ? [type] : [];
}

const simple = (type: LiteralType | undefined) => (type?.type.case === "simple" ? type.type.value : undefined);

// The variant of a union a JSON value is meant for: the first of the value's kind.
function pick(type: LiteralType | undefined, json: Json): LiteralType | undefined {
  const all = variants(type);
  if (all.length <= 1) return all[0];
  const fits = (t: LiteralType) => {
    const s = simple(t);
    if (json === null) return s === SimpleType.NONE;
    if (typeof json === "boolean") return s === SimpleType.BOOLEAN;
    if (typeof json === "number") return s === SimpleType.INTEGER || s === SimpleType.FLOAT || s === SimpleType.DURATION;
    if (typeof json === "string") return s === SimpleType.STRING || s === SimpleType.DATETIME || t.type.case === "enumType";
    if (Array.isArray(json)) return t.type.case === "collectionType";
    return t.type.case === "mapValueType" || t.type.case === "structuredType";
  };
  return all.find(fits) ?? all.find((t) => simple(t) !== SimpleType.NONE);
}

export function literalFromJson(json: Json, declared?: LiteralType): Literal {
  const type = pick(declared, json);
  const s = simple(type);
  if (json === null) return create(LiteralSchema, { value: { case: "none", value: {} } });
  if (typeof json === "boolean") return prim({ case: "boolean", value: json });
  if (typeof json === "number") {
    if (s === SimpleType.DURATION) {
      const seconds = Math.trunc(json);
      return prim({ case: "duration", value: { seconds: BigInt(seconds), nanos: Math.round((json - seconds) * 1e9) } });
    }
    if (s === SimpleType.FLOAT || !Number.isInteger(json)) return prim({ case: "floatValue", value: json });
    return prim({ case: "integer", value: BigInt(json) });
  }
  if (typeof json === "string") {
    const date = s === SimpleType.DATETIME ? new Date(json) : null;
    if (date && !Number.isNaN(date.getTime())) return prim({ case: "datetime", value: timestampFromDate(date) });
    return prim({ case: "stringValue", value: json });
  }
  if (Array.isArray(json)) {
    const item = type?.type.case === "collectionType" ? type.type.value : undefined;
    return create(LiteralSchema, { value: { case: "collection", value: { literals: json.map((j) => literalFromJson(j, item)) } } });
  }
  if (type?.type.case === "structuredType") {
    const fields = new Map(type.type.value.fields.map((f) => [f.name, f.type]));
    const literals = Object.fromEntries(Object.entries(json).map(([k, v]) => [k, literalFromJson(v, fields.get(k))]));
    return create(LiteralSchema, { value: { case: "structured", value: { literals } } });
  }
  const valueType = type?.type.case === "mapValueType" ? type.type.value : undefined;
  const literals = Object.fromEntries(Object.entries(json).map(([k, v]) => [k, literalFromJson(v, valueType)]));
  return create(LiteralSchema, { value: { case: "map", value: { literals } } });
}

// A string or an enum takes the text itself; the rest is JSON, and text that is not JSON
// goes as a string (refused by the server, with its reason, unless the type takes one).
export function literalFromText(text: string, type: LiteralType | undefined): Literal {
  const kinds = variants(type);
  const textual = kinds.some((t) => simple(t) === SimpleType.STRING || t.type.case === "enumType");
  if (textual && !kinds.some((t) => simple(t) === SimpleType.NONE && text.trim() === "null")) {
    return prim({ case: "stringValue", value: text });
  }
  const trimmed = text.trim();
  // Python spellings a Graven user types without thinking.
  const python: Record<string, Json> = { True: true, False: false, None: null };
  if (trimmed in python) return literalFromJson(python[trimmed], type);
  try {
    return literalFromJson(JSON.parse(trimmed) as Json, type);
  } catch {
    return literalFromJson(trimmed, type);
  }
}

// Whether a type's values are written as JSON over several lines (lists, dicts, records).
export function isComposite(type: LiteralType | undefined): boolean {
  return variants(type).some((t) => ["collectionType", "mapValueType", "structuredType"].includes(t.type.case ?? ""));
}
