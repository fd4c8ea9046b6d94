"""A function's typed signature as a Graven interface.

Tasks and workflows share it: every parameter is an input (annotated, defaults become
``Variable.default`` literals), and the return annotation gives the outputs: none for
``None``, ``o0`` for a single value, ``o0..oN`` for a ``tuple[...]``, the field names for a
``NamedTuple``. The same object splits a returned value into named outputs and assembles
named outputs back into what the caller expects, so a worker, a workflow trace and a local
run agree on the shape.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from graven.errors import GravenDefinitionError, GravenTypeError, GravenValueError
from graven.literals import to_literal, to_python
from graven.types import literal_type_of, type_name
from graven.v1.interface_pb2 import TypedInterface, Variable
from graven.v1.literals_pb2 import Literal
from graven.v1.types_pb2 import LiteralType

if TYPE_CHECKING:
    from graven.blobs import Blobs


@dataclass(frozen=True)
class Parameter:
    """One input or output: its name, Python annotation and Graven type."""

    name: str
    python_type: object
    literal_type: LiteralType
    default: Literal | None = None

    def variable(self) -> Variable:
        variable = Variable(name=self.name, type=self.literal_type)
        if self.default is not None:
            variable.default.CopyFrom(self.default)
        return variable


def _is_named_tuple(tp: object) -> bool:
    return isinstance(tp, type) and issubclass(tp, tuple) and hasattr(tp, "_fields")


@dataclass(frozen=True)
class Outputs:
    """A node's outputs and how a call hands them back: none, a single value, a tuple, or
    the NamedTuple class whose fields they are (``shape``)."""

    params: tuple[Parameter, ...]
    shape: type | None

    def assemble(self, values: Mapping[str, object]) -> object:
        """Named outputs as the caller receives them (the inverse of ``split``)."""
        ordered = [values[p.name] for p in self.params]
        if not self.params:
            return None
        if self.shape is None:
            return ordered[0]
        if self.shape is tuple:
            return tuple(ordered)
        return self.shape(*ordered)


@dataclass(frozen=True)
class PythonInterface:
    signature: inspect.Signature
    inputs: tuple[Parameter, ...]
    outputs: tuple[Parameter, ...]
    # How the return value is shaped: None (no outputs), a single value, a tuple, or the
    # NamedTuple class whose fields are the outputs.
    return_shape: type | None

    def typed_interface(self) -> TypedInterface:
        return TypedInterface(
            inputs=[p.variable() for p in self.inputs],
            outputs=[p.variable() for p in self.outputs],
        )

    def input(self, name: str) -> Parameter:
        return next(p for p in self.inputs if p.name == name)

    def bind(self, args: Sequence[object], kwargs: Mapping[str, object]) -> dict[str, object]:
        """The arguments of a call by input name (only those given); TypeError as Python's."""
        return dict(self.signature.bind(*args, **kwargs).arguments)

    def split(self, value: object) -> dict[str, object]:
        """A returned value as its named outputs; GravenTypeError if it has the wrong shape."""
        if not self.outputs:
            return {}
        if self.return_shape is None:
            return {self.outputs[0].name: value}
        if not isinstance(value, tuple) or len(value) != len(self.outputs):
            raise GravenTypeError(
                f"expected a tuple of {len(self.outputs)} values, got {type(value).__qualname__}"
            )
        return {p.name: item for p, item in zip(self.outputs, value, strict=True)}

    @property
    def output_set(self) -> Outputs:
        return Outputs(self.outputs, self.return_shape)

    def assemble(self, outputs: Mapping[str, object]) -> object:
        """Named outputs as the caller receives them (the inverse of ``split``)."""
        return self.output_set.assemble(outputs)

    def input_values(
        self, literals: Mapping[str, Literal], blobs: Blobs | None = None
    ) -> dict[str, Any]:
        """Python arguments from input literals; defaults fill the inputs left out. Stored
        values (files, tables, pickles) are read through ``blobs``."""
        values: dict[str, Any] = {}
        for p in self.inputs:
            literal = literals.get(p.name, p.default)
            if literal is None:
                raise GravenValueError(f"input {p.name!r} is missing and has no default")
            values[p.name] = _converted(
                f"input {p.name!r}", to_python, literal, p.python_type, blobs
            )
        unknown = sorted(set(literals) - {p.name for p in self.inputs})
        if unknown:
            raise GravenValueError(f"unknown inputs {unknown}")
        return values

    def output_literals(self, value: object, blobs: Blobs | None = None) -> dict[str, Literal]:
        """A returned value as output literals, each checked against its declared type; stored
        values (files, tables, pickles) are written through ``blobs``."""
        split = self.split(value)
        return {
            p.name: _converted(
                f"output {p.name!r}", to_literal, split[p.name], p.python_type, blobs
            )
            for p in self.outputs
        }


def _converted(
    where: str,
    convert: Callable[[Any, object, Blobs | None], Any],
    value: Any,
    tp: object,
    blobs: Blobs | None,
) -> Any:
    try:
        return convert(value, tp, blobs)
    except (GravenTypeError, GravenValueError) as exc:
        raise type(exc)(f"{where}: {exc}") from None


def interface_of(fn: Callable[..., object], where: str) -> PythonInterface:
    """The interface of ``fn``; GravenDefinitionError prefixed with ``where`` if malformed."""
    try:
        hints = typing.get_type_hints(fn, include_extras=True)
    except Exception as exc:
        raise GravenDefinitionError(f"{where}: cannot resolve its annotations ({exc})") from None
    signature = inspect.signature(fn)
    inputs = tuple(_input(where, p, hints) for p in signature.parameters.values())
    if "return" not in hints:
        raise GravenDefinitionError(
            f"{where}: the return type is not annotated; add '-> None' if it returns nothing"
        )
    outputs, shape = _outputs(where, hints["return"])
    return PythonInterface(signature, inputs, outputs, shape)


def _input(where: str, param: inspect.Parameter, hints: Mapping[str, object]) -> Parameter:
    here = f"{where}: parameter {param.name!r}"
    if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
        star = "*" if param.kind == param.VAR_POSITIONAL else "**"
        raise GravenDefinitionError(
            f"{here}: {star}{param.name} is not supported; give every input a name and a type"
        )
    if param.kind == param.POSITIONAL_ONLY:
        raise GravenDefinitionError(f"{here}: positional-only inputs are not supported")
    if param.name not in hints:
        raise GravenDefinitionError(
            f"{here} has no type annotation; annotate it, e.g. {param.name}: int"
        )
    tp = hints[param.name]
    literal_type = _literal_type(here, tp)
    default = None
    if param.default is not param.empty:
        try:
            default = to_literal(param.default, tp)
        except (GravenTypeError, GravenValueError) as exc:
            raise GravenDefinitionError(
                f"{here}: default {param.default!r} does not fit: {exc}"
            ) from None
    return Parameter(param.name, tp, literal_type, default)


def _literal_type(where: str, tp: object) -> LiteralType:
    try:
        return literal_type_of(tp)
    except GravenTypeError as exc:
        raise GravenDefinitionError(f"{where}: {exc}") from None


def _outputs(where: str, tp: object) -> tuple[tuple[Parameter, ...], type | None]:
    here = f"{where}: return type"
    if tp is None or tp is type(None):
        return (), None
    if _is_named_tuple(tp):
        assert isinstance(tp, type)
        hints = typing.get_type_hints(tp, include_extras=True)
        fields: Sequence[str] = tp._fields  # type: ignore[attr-defined]
        missing = [f for f in fields if f not in hints]
        if missing:
            raise GravenDefinitionError(f"{here}: NamedTuple field {missing[0]!r} has no type")
        outputs = tuple(
            Parameter(f, hints[f], _literal_type(f"{here}: field {f!r}", hints[f])) for f in fields
        )
        return outputs, tp
    if typing.get_origin(tp) is tuple:
        args = typing.get_args(tp)
        if not args or Ellipsis in args or args == ((),):
            raise GravenDefinitionError(
                f"{here}: {type_name(tp)} has no fixed length; return a list[T] instead"
            )
        outputs = tuple(
            Parameter(f"o{i}", arg, _literal_type(f"{here}: element {i}", arg))
            for i, arg in enumerate(args)
        )
        return outputs, tuple
    return (Parameter("o0", tp, _literal_type(here, tp)),), None
