import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { LiteralSchema } from "../gen/graven/v1/literals_pb";
import { LiteralTypeSchema, SimpleType } from "../gen/graven/v1/types_pb";
import { literalDisplay, literalText, shortHash, typeText } from "./literals";
import { formatDuration } from "./time";
import { intLiteral } from "../test/fixtures";

const str = (value: string) =>
  create(LiteralSchema, { value: { case: "primitive", value: { value: { case: "stringValue", value } } } });

describe("literals", () => {
  it("reads like Python values", () => {
    const map = create(LiteralSchema, {
      value: { case: "map", value: { literals: { b: intLiteral(2), a: str("x") } } },
    });
    expect(literalText(map)).toBe('{"b": 2, "a": "x"}');
    expect(literalText(create(LiteralSchema, { value: { case: "none", value: {} } }))).toBe("None");
  });

  it("breaks long lists over lines", () => {
    const list = create(LiteralSchema, {
      value: { case: "collection", value: { literals: Array.from({ length: 30 }, (_, i) => intLiteral(1000 + i)) } },
    });
    const text = literalText(list);
    expect(text.split("\n")).toHaveLength(32);
    expect(text.startsWith("[\n  1000,")).toBe(true);
  });

  it("shows a top-level string as itself", () => {
    expect(literalDisplay(str("two\nlines"))).toBe("two\nlines");
    expect(literalText(str("two\nlines"))).toBe('"two\\nlines"');
  });

  it("names types as Python does", () => {
    const optionalList = create(LiteralTypeSchema, {
      type: {
        case: "unionType",
        value: {
          variants: [
            { type: { case: "collectionType", value: { type: { case: "simple", value: SimpleType.STRING } } } },
            { type: { case: "simple", value: SimpleType.NONE } },
          ],
        },
      },
    });
    expect(typeText(optionalList)).toBe("Optional[list[str]]");
  });

  it("shortens hashes", () => {
    expect(shortHash(`sha256:${"0123456789abcdef".repeat(4)}`)).toBe("0123456789ab");
  });
});

describe("durations", () => {
  it.each([
    [250, "250 ms"],
    [1500, "1.50 s"],
    [75_000, "1 min 15 s"],
    [3_900_000, "1 h 5 min"],
    [null, "—"],
  ])("%s ms is %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
