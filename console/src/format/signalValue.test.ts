import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { LiteralTypeSchema, SimpleType, type LiteralType } from "../gen/graven/v1/types_pb";
import { literalText } from "./literals";
import { isComposite, literalFromText } from "./signalValue";

const simple = (value: SimpleType) => create(LiteralTypeSchema, { type: { case: "simple", value } });
const list = (item: LiteralType) => create(LiteralTypeSchema, { type: { case: "collectionType", value: item } });
const optional = (t: LiteralType) =>
  create(LiteralTypeSchema, { type: { case: "unionType", value: { variants: [t, simple(SimpleType.NONE)] } } });
const record = create(LiteralTypeSchema, {
  type: {
    case: "structuredType",
    value: { name: "Limits", fields: [{ name: "low", type: simple(SimpleType.FLOAT) }, { name: "tags", type: list(simple(SimpleType.STRING)) }] },
  },
});

describe("literalFromText", () => {
  it.each([
    ["3", simple(SimpleType.INTEGER), "3"],
    ["3", simple(SimpleType.FLOAT), "3.0"],
    ["0.25", simple(SimpleType.FLOAT), "0.25"],
    ["True", simple(SimpleType.BOOLEAN), "True"],
    ["false", simple(SimpleType.BOOLEAN), "False"],
    ["  a b ", simple(SimpleType.STRING), '"  a b "'],
    ["[1, 2]", list(simple(SimpleType.FLOAT)), "[1.0, 2.0]"],
    ["None", optional(simple(SimpleType.INTEGER)), "None"],
    ["7", optional(simple(SimpleType.INTEGER)), "7"],
    ['{"low": 1, "tags": ["x"]}', record, '{"low": 1.0, "tags": ["x"]}'],
  ])("reads %j as a %s", (text, type, expected) => {
    expect(literalText(literalFromText(text, type))).toBe(expected);
  });

  it("makes a record a structured literal and a dict a map", () => {
    expect(literalFromText('{"low": 1}', record).value.case).toBe("structured");
    const dict = create(LiteralTypeSchema, { type: { case: "mapValueType", value: simple(SimpleType.INTEGER) } });
    expect(literalFromText('{"a": 1}', dict).value.case).toBe("map");
  });

  it("sends text that is not of the type as a string, for the server to refuse", () => {
    const literal = literalFromText("abc", simple(SimpleType.FLOAT));
    expect(literal.value.case === "primitive" && literal.value.value.value.case).toBe("stringValue");
  });

  it("takes a datetime as ISO text and a duration in seconds", () => {
    const when = literalFromText('"2026-01-02T03:04:05Z"', simple(SimpleType.DATETIME));
    expect(literalText(when)).toBe("2026-01-02T03:04:05.000Z");
    expect(literalText(literalFromText("1.5", simple(SimpleType.DURATION)))).toBe("1.5 s");
  });

  it("asks for JSON over several lines for collections and records only", () => {
    expect(isComposite(list(simple(SimpleType.INTEGER)))).toBe(true);
    expect(isComposite(record)).toBe(true);
    expect(isComposite(optional(simple(SimpleType.INTEGER)))).toBe(false);
  });
});
