"""The errors a Graven user sees.

Every message is one line that names where the problem is (the task, workflow or launch
plan, then the parameter) and what is wrong, so the CLI can print it as is, without a
traceback. Each class also derives from the built-in exception it refines, so code that
catches ``TypeError`` or ``ValueError`` keeps working.
"""

from __future__ import annotations

from typing import TypeVar


class GravenError(Exception):
    """A problem in the user's code or input, explained in one line."""


class GravenTypeError(GravenError, TypeError):
    """A Python type Graven cannot carry, or a value that does not fit its declared type."""


class GravenValueError(GravenError, ValueError):
    """A value that has the right kind but cannot be represented (out of range, malformed)."""


class GravenDefinitionError(GravenError, TypeError):
    """A malformed ``@task``, ``@workflow`` or ``LaunchPlan`` (found when it is declared)."""


class GravenCompileError(GravenError):
    """A workflow body that cannot be turned into a graph (found when it is traced)."""


class GravenLoadError(GravenError):
    """A project that cannot be imported or collected."""


class GravenBundleError(GravenError):
    """A code bundle that is malformed or unsafe to extract."""


E = TypeVar("E", bound=GravenError)


def located(where: str, error: E) -> E:
    """``error`` again, its message prefixed with where it happened ("task 'm.f': input 'x'")."""
    return type(error)(f"{where}: {error}")
