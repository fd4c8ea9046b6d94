// A branch condition as the workflow's author wrote it: "n1.o0 > 0.5 & x.is_true()". The
// same spelling as the SDK (comparison symbols, `&` / `|`, `is_true()`), so the graph reads
// like the code that made it.
import type { BindingData, BooleanExpression, PromiseAttribute } from "../gen/graven/v1/workflow_pb";
import { ComparisonOperator, LogicalOperator, UnaryOperator } from "../gen/graven/v1/workflow_pb";
import { literalText } from "../format/literals";

const SYMBOLS: Record<ComparisonOperator, string> = {
  [ComparisonOperator.UNSPECIFIED]: "?",
  [ComparisonOperator.EQ]: "==",
  [ComparisonOperator.NE]: "!=",
  [ComparisonOperator.LT]: "<",
  [ComparisonOperator.LE]: "<=",
  [ComparisonOperator.GT]: ">",
  [ComparisonOperator.GE]: ">=",
};

const TESTS: Record<UnaryOperator, string> = {
  [UnaryOperator.UNSPECIFIED]: "?()",
  [UnaryOperator.IS_TRUE]: "is_true()",
  [UnaryOperator.IS_FALSE]: "is_false()",
  [UnaryOperator.IS_NONE]: "is_none()",
};

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

// Python's repr of a plain string, which is how graven.attributes.describe_path spells a key.
function pythonRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  const escaped = text.replace(/\\/g, "\\\\").replace(new RegExp(quote, "g"), `\\${quote}`);
  return `${quote}${escaped}${quote}`;
}

// The path as Python writes it: `.field[0]['key']` (graven.attributes.describe_path).
export function pathText(path: PromiseAttribute[]): string {
  return path
    .map((step) => {
      if (step.value.case === "index") return `[${step.value.value}]`;
      const name = step.value.value ?? "";
      return IDENTIFIER.test(name) ? `.${name}` : `[${pythonRepr(name)}]`;
    })
    .join("");
}

export function bindingText(binding: BindingData | undefined): string {
  const value = binding?.value;
  const path = pathText(binding?.attrPath ?? []);
  switch (value?.case) {
    case "promise":
      return `${value.value.nodeId}.${value.value.outputName}${path}`;
    case "workflowInput":
      return `${value.value}${path}`;
    case "literal":
      return literalText(value.value);
    case "workflowError":
      return "error";
    default:
      return "?";
  }
}

// `&` binds tighter than `|` (as in Python), so only an `|` inside an `&` needs parentheses.
export function conditionText(expression: BooleanExpression | undefined, within?: LogicalOperator): string {
  const e = expression?.expression;
  switch (e?.case) {
    case "comparison":
      return `${bindingText(e.value.left)} ${SYMBOLS[e.value.operator] ?? "?"} ${bindingText(e.value.right)}`;
    case "unary":
      return `${bindingText(e.value.operand)}.${TESTS[e.value.operator] ?? "?()"}`;
    case "conjunction": {
      const op = e.value.operator;
      const text = `${conditionText(e.value.left, op)} ${op === LogicalOperator.OR ? "|" : "&"} ${conditionText(e.value.right, op)}`;
      return within === LogicalOperator.AND && op === LogicalOperator.OR ? `(${text})` : text;
    }
    default:
      return "?";
  }
}
