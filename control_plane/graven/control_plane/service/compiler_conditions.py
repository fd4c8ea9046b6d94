"""A branch's conditions: their types (``graven.conditions.check_condition``, one operand
type at a time so an error names its own field) and which cases can run at all.

Reachability, exactly: a condition is folded over its constant parts (a comparison or a
unary test whose operands are all constants is evaluated with ``graven.conditions.evaluate``;
``x & False`` never holds, ``x | True`` always does; anything reading a promise or a
workflow input is unknown). A case whose condition never holds can never run; a case whose
condition always holds leaves every later case and the else unreachable; a case whose
condition is the same expression as an earlier case's can never run. Other overlaps (say
``x > 1`` after ``x > 0``) depend on values and are not refused.
"""

from __future__ import annotations

from collections.abc import Callable

from graven.conditions import ConditionError, check_condition, evaluate
from graven.control_plane.errors import InvalidArgument
from graven.control_plane.service.compiler_scope import Scope
from graven.control_plane.service.compiler_walk import condition_operands
from graven.control_plane.service.interfaces import check_literal
from graven.v1.literals_pb2 import Literal
from graven.v1.types_pb2 import LiteralType, SimpleType
from graven.v1.workflow_pb2 import (
    LOGICAL_OPERATOR_AND,
    LOGICAL_OPERATOR_OR,
    BindingData,
    BooleanExpression,
    BranchNode,
)

_CONSTANT_TYPES = {
    "integer": SimpleType.SIMPLE_TYPE_INTEGER,
    "float_value": SimpleType.SIMPLE_TYPE_FLOAT,
    "string_value": SimpleType.SIMPLE_TYPE_STRING,
    "boolean": SimpleType.SIMPLE_TYPE_BOOLEAN,
    "datetime": SimpleType.SIMPLE_TYPE_DATETIME,
    "duration": SimpleType.SIMPLE_TYPE_DURATION,
}


def check_expression(expression: BooleanExpression, scope: Scope, field: str, what: str) -> None:
    """``field`` is the expression's path (``...cases[0].condition``)."""
    which = expression.WhichOneof("expression")
    if which is None:
        raise InvalidArgument(
            field, f"{what}: an empty condition; set a comparison, a unary test or a conjunction"
        )
    if which == "conjunction":
        at = f"{field}.conjunction"
        check_expression(expression.conjunction.left, scope, f"{at}.left", what)
        check_expression(expression.conjunction.right, scope, f"{at}.right", what)
        # Both sides are well typed now: only the operator is left to fail.
        _check(expression, lambda data: _operand_type(data, scope, at, what), at, what)
        return
    at = f"{field}.{which}"
    if which == "comparison":
        comparison = expression.comparison
        left = _operand_type(comparison.left, scope, f"{at}.left", what)
        right = _operand_type(comparison.right, scope, f"{at}.right", what)
        # Equal operands have equal types, so telling them apart by value is enough.
        _check(expression, lambda data: left if data == comparison.left else right, at, what)
    else:
        operand = _operand_type(expression.unary.operand, scope, f"{at}.operand", what)
        _check(expression, lambda _: operand, at, what)


def _check(
    expression: BooleanExpression,
    type_of: Callable[[BindingData], LiteralType],
    field: str,
    what: str,
) -> None:
    try:
        check_condition(expression, type_of)
    except ConditionError as exc:
        raise InvalidArgument(field, f"{what}: {exc}") from None


def _operand_type(data: BindingData, scope: Scope, field: str, what: str) -> LiteralType:
    kind = data.WhichOneof("value")
    if kind in ("promise", "workflow_input"):
        return scope.source_type(data, field, what)[0]
    if kind == "literal" and not data.attr_path:
        return _constant_type(data.literal, f"{field}.literal", what)
    raise InvalidArgument(
        field,
        f"{what}: a condition reads a promise, a workflow input or a constant, "
        f"not {'an attribute path of a constant' if kind == 'literal' else kind or 'nothing'}",
    )


def _constant_type(literal: Literal, field: str, what: str) -> LiteralType:
    which = literal.WhichOneof("value")
    simple = None
    if which == "none":
        simple = SimpleType.SIMPLE_TYPE_NONE
    elif which == "primitive":
        simple = _CONSTANT_TYPES.get(literal.primitive.WhichOneof("value") or "")
    if simple is None:
        raise InvalidArgument(
            field,
            f"{what}: a constant in a condition is a number, a string, a bool, a datetime, "
            "a duration or none",
        )
    constant_type = LiteralType(simple=simple)
    check_literal(literal, constant_type, field, what)
    return constant_type


def check_reachable(branch: BranchNode, field: str, what: str) -> None:
    """Refuse a case (or an else) that can never run; ``field`` is the branch node's path."""
    first_with: dict[bytes, int] = {}
    for k, case in enumerate(branch.cases):
        at = f"{field}.cases[{k}].condition"
        key = case.condition.SerializeToString(deterministic=True)
        if key in first_with:
            raise InvalidArgument(
                at,
                f"{what}: case {k} can never run: its condition is case {first_with[key]}'s, "
                "which is tested first",
            )
        first_with[key] = k
        holds = fold(case.condition)
        if holds is False:
            raise InvalidArgument(
                at,
                f"{what}: case {k} can never run: its condition compares constants only "
                "and never holds",
            )
        if holds:
            reason = f"case {k}'s condition compares constants only and always holds"
            if k + 1 < len(branch.cases):
                raise InvalidArgument(
                    f"{field}.cases[{k + 1}]", f"{what}: case {k + 1} can never run: {reason}"
                )
            otherwise = branch.WhichOneof("otherwise")
            if otherwise is not None:
                raise InvalidArgument(
                    f"{field}.{otherwise}", f"{what}: the else is unreachable: {reason}"
                )


def fold(expression: BooleanExpression) -> bool | None:
    """Whether a well-typed expression always (True) or never (False) holds, or None when
    that depends on values only known at run time."""
    if expression.WhichOneof("expression") == "conjunction":
        conjunction = expression.conjunction
        left, right = fold(conjunction.left), fold(conjunction.right)
        if conjunction.operator == LOGICAL_OPERATOR_AND:
            if left is False or right is False:
                return False
            return True if left and right else None
        if conjunction.operator == LOGICAL_OPERATOR_OR:
            if left or right:
                return True
            return False if left is False and right is False else None
        return None
    operands = list(condition_operands(expression))
    if any(operand.WhichOneof("value") != "literal" for operand in operands):
        return None
    try:
        return evaluate(expression, lambda data: data.literal)
    except ConditionError:
        return None
