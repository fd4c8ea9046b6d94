"""The complete inputs of a launch, checked against the workflow's interface.

Every problem of a request is named at once (unknown, missing, mistyped inputs), so a user
fixes them in one go. The result holds a value for every input, defaults and launch plan
inputs included, so an execution's recorded inputs say everything it ran with.
"""

from __future__ import annotations

from graven.control_plane.errors import InvalidArgument
from graven.control_plane.service.interfaces import check_literal
from graven.types import describe_type
from graven.v1.interface_pb2 import TypedInterface
from graven.v1.literals_pb2 import LiteralMap

EMPTY = LiteralMap()


def resolve_inputs(
    interface: TypedInterface,
    given: LiteralMap,
    *,
    target: str,
    defaults: LiteralMap = EMPTY,
    fixed: LiteralMap = EMPTY,
    field: str = "inputs",
) -> LiteralMap:
    """``given`` completed by the launch plan's ``fixed`` and ``defaults`` and the
    interface's own defaults; one InvalidArgument naming every problem otherwise.

    ``target`` says whose interface it is ("workflow p/d/name@v"), for the messages.
    """
    problems: list[str] = []
    variables = {variable.name: variable for variable in interface.inputs}
    for name in sorted(set(given.literals) - set(variables)):
        takes = ", ".join(variables) or "no inputs"
        problems.append(f"{field}.{name}: {target} has no such input (it takes {takes})")
    resolved = LiteralMap()
    for variable in interface.inputs:
        name = variable.name
        at = f"{field}.{name}"
        if name in fixed.literals:
            if name in given.literals:
                problems.append(f"{at}: is fixed by the launch plan and cannot be given")
            resolved.literals[name].CopyFrom(fixed.literals[name])
        elif name in given.literals:
            try:
                check_literal(given.literals[name], variable.type, at)
            except InvalidArgument as problem:
                problems.append(str(problem))
            resolved.literals[name].CopyFrom(given.literals[name])
        elif name in defaults.literals:
            resolved.literals[name].CopyFrom(defaults.literals[name])
        elif variable.HasField("default"):
            resolved.literals[name].CopyFrom(variable.default)
        else:
            problems.append(f"{at}: is missing (type {describe_type(variable.type)}, no default)")
    if problems:
        raise InvalidArgument(field, "; ".join(problems))
    return resolved
