"""Branch conditions: their type rules and their evaluation, shared by registration, the
engine and a local run, so a workflow takes the same case wherever it runs.

A comparison takes two values of one comparable type: int and float compare with each other
as numbers; strings (and str enums), datetimes and durations compare within their own kind;
bools and none compare only for (in)equality. Ordering an Optional is refused at
registration (the value may be none); ``is_none()`` is for that.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from graven.types import describe_type, union_variants
from graven.v1.literals_pb2 import Literal
from graven.v1.types_pb2 import LiteralType, SimpleType
from graven.v1.workflow_pb2 import (
    COMPARISON_OPERATOR_EQ,
    COMPARISON_OPERATOR_GE,
    COMPARISON_OPERATOR_GT,
    COMPARISON_OPERATOR_LE,
    COMPARISON_OPERATOR_LT,
    COMPARISON_OPERATOR_NE,
    LOGICAL_OPERATOR_AND,
    LOGICAL_OPERATOR_OR,
    UNARY_OPERATOR_IS_FALSE,
    UNARY_OPERATOR_IS_NONE,
    UNARY_OPERATOR_IS_TRUE,
    BindingData,
    BooleanExpression,
)

_OPERATORS: dict[int, Callable[[Any, Any], bool]] = {
    COMPARISON_OPERATOR_EQ: operator.eq,
    COMPARISON_OPERATOR_NE: operator.ne,
    COMPARISON_OPERATOR_LT: operator.lt,
    COMPARISON_OPERATOR_LE: operator.le,
    COMPARISON_OPERATOR_GT: operator.gt,
    COMPARISON_OPERATOR_GE: operator.ge,
}
SYMBOLS = {
    COMPARISON_OPERATOR_EQ: "==",
    COMPARISON_OPERATOR_NE: "!=",
    COMPARISON_OPERATOR_LT: "<",
    COMPARISON_OPERATOR_LE: "<=",
    COMPARISON_OPERATOR_GT: ">",
    COMPARISON_OPERATOR_GE: ">=",
}
ORDERING = frozenset(
    {COMPARISON_OPERATOR_LT, COMPARISON_OPERATOR_LE, COMPARISON_OPERATOR_GT, COMPARISON_OPERATOR_GE}
)
_NUMBER = "number"
# The kind two comparable values share, by simple type.
_KINDS = {
    SimpleType.SIMPLE_TYPE_INTEGER: _NUMBER,
    SimpleType.SIMPLE_TYPE_FLOAT: _NUMBER,
    SimpleType.SIMPLE_TYPE_STRING: "string",
    SimpleType.SIMPLE_TYPE_BOOLEAN: "bool",
    SimpleType.SIMPLE_TYPE_DATETIME: "datetime",
    SimpleType.SIMPLE_TYPE_DURATION: "duration",
    SimpleType.SIMPLE_TYPE_NONE: "none",
}
_ORDERED_KINDS = frozenset({_NUMBER, "string", "datetime", "duration"})
_NONE = LiteralType(simple=SimpleType.SIMPLE_TYPE_NONE)
_BOOL = LiteralType(simple=SimpleType.SIMPLE_TYPE_BOOLEAN)


class ConditionError(ValueError):
    """A condition that cannot be checked or evaluated (the message says which part)."""


# --- types (registration) -----------------------------------------------------------------


def _kind(literal_type: LiteralType) -> str | None:
    which = literal_type.WhichOneof("type")
    if which == "simple":
        return _KINDS.get(literal_type.simple)
    if which == "enum_type":
        return "string"
    return None


def check_condition(
    expression: BooleanExpression, type_of: Callable[[BindingData], LiteralType]
) -> None:
    """Raise ConditionError unless every comparison in ``expression`` is well typed."""
    which = expression.WhichOneof("expression")
    if which == "conjunction":
        conjunction = expression.conjunction
        if conjunction.operator not in (LOGICAL_OPERATOR_AND, LOGICAL_OPERATOR_OR):
            raise ConditionError("a conjunction needs the operator AND or OR")
        check_condition(conjunction.left, type_of)
        check_condition(conjunction.right, type_of)
    elif which == "unary":
        unary = expression.unary
        operand = type_of(unary.operand)
        if unary.operator in (UNARY_OPERATOR_IS_TRUE, UNARY_OPERATOR_IS_FALSE):
            if operand != _BOOL:
                raise ConditionError(
                    f"is_true()/is_false() need a bool, got {describe_type(operand)}"
                )
        elif unary.operator == UNARY_OPERATOR_IS_NONE:
            if _NONE not in union_variants(operand):
                raise ConditionError(
                    f"is_none() needs an Optional value, got {describe_type(operand)}"
                )
        else:
            raise ConditionError("a unary test needs the operator IS_TRUE, IS_FALSE or IS_NONE")
    elif which == "comparison":
        comparison = expression.comparison
        symbol = SYMBOLS.get(comparison.operator)
        if symbol is None:
            raise ConditionError("a comparison needs one of the operators == != < <= > >=")
        left, right = type_of(comparison.left), type_of(comparison.right)
        left_kinds = {_kind(v) for v in union_variants(left)}
        right_kinds = {_kind(v) for v in union_variants(right)}
        what = f"{describe_type(left)} {symbol} {describe_type(right)}"
        if None in left_kinds or None in right_kinds:
            raise ConditionError(
                f"{what}: only numbers, strings, bools, datetimes and "
                "durations (or none) can be compared"
            )
        if comparison.operator in ORDERING:
            if len(left_kinds) > 1 or len(right_kinds) > 1:
                raise ConditionError(
                    f"{what}: an Optional cannot be ordered (the value may "
                    "be none); test it with is_none() first"
                )
            if not left_kinds <= _ORDERED_KINDS:
                raise ConditionError(f"{what}: a {describe_type(left)} has no order")
        if not (left_kinds - {"none"}) & (right_kinds - {"none"}) and not (
            "none" in left_kinds and "none" in right_kinds
        ):
            raise ConditionError(f"{what}: the two sides are of different types")
    else:
        raise ConditionError("an empty condition")


# --- values (run time) --------------------------------------------------------------------


def _comparable(literal: Literal) -> tuple[str, Any]:
    which = literal.WhichOneof("value")
    if which == "none":
        return ("none", None)
    if which != "primitive":
        raise ConditionError(f"a {which or 'empty'} value cannot be compared")
    primitive = literal.primitive
    kind = primitive.WhichOneof("value")
    if kind == "integer":
        return (_NUMBER, primitive.integer)
    if kind == "float_value":
        return (_NUMBER, primitive.float_value)
    if kind == "string_value":
        return ("string", primitive.string_value)
    if kind == "boolean":
        return ("bool", primitive.boolean)
    if kind == "datetime":
        return ("datetime", primitive.datetime.ToNanoseconds())
    if kind == "duration":
        return ("duration", primitive.duration.ToNanoseconds())
    raise ConditionError(f"a {kind or 'empty'} value cannot be compared")


def evaluate(expression: BooleanExpression, value_of: Callable[[BindingData], Literal]) -> bool:
    """Whether ``expression`` holds, reading each operand with ``value_of``."""
    which = expression.WhichOneof("expression")
    if which == "conjunction":
        conjunction = expression.conjunction
        left = evaluate(conjunction.left, value_of)
        if conjunction.operator == LOGICAL_OPERATOR_AND:
            return left and evaluate(conjunction.right, value_of)
        return left or evaluate(conjunction.right, value_of)
    if which == "unary":
        unary = expression.unary
        operand = value_of(unary.operand)
        if unary.operator == UNARY_OPERATOR_IS_NONE:
            return bool(operand.WhichOneof("value") == "none")
        kind, flag = _comparable(operand)
        if kind != "bool":
            raise ConditionError("is_true()/is_false() met a value that is not a bool")
        return bool(flag) is (unary.operator == UNARY_OPERATOR_IS_TRUE)
    if which == "comparison":
        comparison = expression.comparison
        left_kind, left = _comparable(value_of(comparison.left))
        right_kind, right = _comparable(value_of(comparison.right))
        op = comparison.operator
        if left_kind != right_kind:
            # Only (in)equality can meet two kinds: an Optional that holds none.
            if op in (COMPARISON_OPERATOR_EQ, COMPARISON_OPERATOR_NE):
                return op == COMPARISON_OPERATOR_NE
            raise ConditionError(f"cannot order a {left_kind} and a {right_kind}")
        if op in ORDERING and left_kind not in _ORDERED_KINDS:
            raise ConditionError(f"a {left_kind} has no order")
        if op not in _OPERATORS:
            raise ConditionError("a comparison needs one of the operators == != < <= > >=")
        return bool(_OPERATORS[op](left, right))
    raise ConditionError("an empty or malformed condition")
