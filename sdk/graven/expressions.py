"""Branch conditions as a workflow body writes them: ``x > 0``, ``(a == b) & p.is_true()``.

A comparison on a promise builds a ``Condition`` instead of a bool. It becomes a
``BooleanExpression`` whose operands are the promises' bindings (attribute paths included)
and constants as literals of their own Python type; the types are checked with
``graven.conditions.check_condition``, the rule registration applies, as soon as the
condition is given to ``if_``/``elif_``.
"""

from __future__ import annotations

import datetime
import enum
from typing import NoReturn

from graven.conditions import SYMBOLS, ConditionError, check_condition
from graven.errors import GravenCompileError, GravenTypeError, GravenValueError
from graven.literals import to_literal
from graven.promise import Promise
from graven.types import literal_type_of
from graven.v1.types_pb2 import LiteralType
from graven.v1.workflow_pb2 import (
    LOGICAL_OPERATOR_AND,
    LOGICAL_OPERATOR_OR,
    UNARY_OPERATOR_IS_FALSE,
    UNARY_OPERATOR_IS_NONE,
    UNARY_OPERATOR_IS_TRUE,
    BindingData,
    BooleanExpression,
    ComparisonExpression,
    ConjunctionExpression,
    UnaryExpression,
)

_COMPARISONS = {symbol: operator for operator, symbol in SYMBOLS.items()}
_UNARIES = {
    "is_true": UNARY_OPERATOR_IS_TRUE,
    "is_false": UNARY_OPERATOR_IS_FALSE,
    "is_none": UNARY_OPERATOR_IS_NONE,
}
_CONSTANT_TYPES = (int, float, str, bool, datetime.datetime, datetime.timedelta, enum.Enum)


class Condition:
    """A boolean expression over promises and constants, for ``if_``/``elif_``."""

    __slots__ = ()

    def proto(self) -> BooleanExpression:
        raise NotImplementedError

    def promises(self) -> list[Promise]:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    def what(self) -> str:
        return "a condition"

    def owner(self) -> object:
        return self.promises()[0].owner

    def check(self) -> None:
        """ConditionError unless the operand types fit, by the registration rule."""
        types: dict[bytes, LiteralType] = {}
        for promise in self.promises():
            types[_key(promise.binding())] = promise.literal_type
        for binding, literal_type in self._constants():
            types[_key(binding)] = literal_type
        check_condition(self.proto(), lambda binding: types[_key(binding)])

    def _constants(self) -> list[tuple[BindingData, LiteralType]]:
        raise NotImplementedError

    def __and__(self, other: object) -> Condition:
        return Conjunction("&", self, _condition(other, "&"))

    def __or__(self, other: object) -> Condition:
        return Conjunction("|", self, _condition(other, "|"))

    def __rand__(self, other: object) -> Condition:
        return Conjunction("&", _condition(other, "&"), self)

    def __ror__(self, other: object) -> Condition:
        return Conjunction("|", _condition(other, "|"), self)

    def __bool__(self) -> NoReturn:
        first = self.promises()[0]
        raise GravenCompileError(
            f"workflow {first.workflow_name()!r}: {first.label} is used in {self.what()} "
            f"inside a Python condition (if, while, and, or, not, bool()): {self.describe()}; "
            "but a workflow body runs once at registration, before any value exists. Use "
            "graven.conditional(...).if_(condition) to branch (& and | combine conditions), "
            "or pass the values to a task and do this inside the task."
        )

    def __repr__(self) -> str:
        return f"<Condition {self.describe()}>"


def _key(binding: BindingData) -> bytes:
    return binding.SerializeToString(deterministic=True)


def _condition(value: object, symbol: str) -> Condition:
    if isinstance(value, Condition):
        return value
    raise GravenCompileError(
        f"{symbol} combines conditions (comparisons, is_true(), is_false(), is_none()), not "
        f"{type(value).__qualname__}; a bool promise takes .is_true()"
    )


class Operand:
    """One side of a comparison: a promise, or a constant as a literal of its own type."""

    __slots__ = ("binding", "constant_type", "promise", "text")

    def __init__(self, value: object) -> None:
        self.promise = value if isinstance(value, Promise) else None
        self.constant_type: LiteralType | None = None
        if self.promise is not None:
            self.binding = self.promise.binding()
            self.text = self.promise.label
            return
        if value is not None and not isinstance(value, _CONSTANT_TYPES):
            raise GravenCompileError(
                f"a condition compares promises and constants (numbers, strings, bools, "
                f"datetimes, durations, enums, None), not {type(value).__qualname__} {value!r}"
            )
        try:
            literal = to_literal(value, type(value))
            self.constant_type = literal_type_of(type(value))
        except (GravenTypeError, GravenValueError) as exc:
            raise GravenCompileError(f"constant {value!r} in a condition: {exc}") from None
        self.binding = BindingData(literal=literal)
        self.text = repr(value.value if isinstance(value, enum.Enum) else value)


class Comparison(Condition):
    """``left <symbol> right``. A constant on the left is moved right by Python itself
    (``0 < x`` calls ``x.__gt__(0)``), so ``left`` is always a promise."""

    __slots__ = ("left", "right", "symbol")

    def __init__(self, symbol: str, left: Promise, right: object) -> None:
        self.symbol = symbol
        self.left = Operand(left)
        self.right = Operand(right)
        if self.right.promise is not None and self.right.promise.owner is not left.owner:
            raise GravenCompileError(
                f"{left.label} and {self.right.promise.label} come from two different workflows"
            )

    def proto(self) -> BooleanExpression:
        return BooleanExpression(
            comparison=ComparisonExpression(
                operator=_COMPARISONS[self.symbol],
                left=self.left.binding,
                right=self.right.binding,
            )
        )

    def promises(self) -> list[Promise]:
        return [o.promise for o in (self.left, self.right) if o.promise is not None]

    def _constants(self) -> list[tuple[BindingData, LiteralType]]:
        return [
            (o.binding, o.constant_type)
            for o in (self.left, self.right)
            if o.constant_type is not None
        ]

    def describe(self) -> str:
        return f"{self.left.text} {self.symbol} {self.right.text}"

    def what(self) -> str:
        return f"a comparison ({self.symbol})"


class Unary(Condition):
    __slots__ = ("name", "operand")

    def __init__(self, name: str, operand: Promise) -> None:
        self.name = name
        self.operand = operand

    def proto(self) -> BooleanExpression:
        return BooleanExpression(
            unary=UnaryExpression(operator=_UNARIES[self.name], operand=self.operand.binding())
        )

    def promises(self) -> list[Promise]:
        return [self.operand]

    def _constants(self) -> list[tuple[BindingData, LiteralType]]:
        return []

    def describe(self) -> str:
        return f"{self.operand.label}.{self.name}()"


class Conjunction(Condition):
    __slots__ = ("left", "right", "symbol")

    def __init__(self, symbol: str, left: Condition, right: Condition) -> None:
        if left.owner() is not right.owner():
            raise GravenCompileError(f"{symbol} combines conditions of two different workflows")
        self.symbol = symbol
        self.left = left
        self.right = right

    def proto(self) -> BooleanExpression:
        operator = LOGICAL_OPERATOR_AND if self.symbol == "&" else LOGICAL_OPERATOR_OR
        return BooleanExpression(
            conjunction=ConjunctionExpression(
                operator=operator, left=self.left.proto(), right=self.right.proto()
            )
        )

    def promises(self) -> list[Promise]:
        return [*self.left.promises(), *self.right.promises()]

    def _constants(self) -> list[tuple[BindingData, LiteralType]]:
        return [*self.left._constants(), *self.right._constants()]

    def describe(self) -> str:
        return f"({self.left.describe()}) {self.symbol} ({self.right.describe()})"


__all__ = ["Comparison", "Condition", "ConditionError", "Conjunction", "Unary"]
