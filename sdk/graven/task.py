"""``@task``: a typed Python function that Graven can register, cache and run remotely.

Everything is checked when the function is decorated (annotations, types, defaults, options),
so a mistake surfaces on import, not at registration or, worse, on a worker. Called outside
a workflow, a task is the plain function; inside a workflow body it records a node.
"""

from __future__ import annotations

import datetime
import functools
import inspect
import sys
from collections.abc import Callable
from typing import Any, Generic, Never, ParamSpec, TypeVar, cast, overload

from google.protobuf.duration_pb2 import Duration

from graven.code_digest import code_digest
from graven.errors import GravenDefinitionError
from graven.interface import PythonInterface, interface_of
from graven.names import name_problem
from graven.options import Cache, Resources, timeout_duration
from graven.project import main_module_name
from graven.tracing import current_trace
from graven.v1.task_pb2 import CodeReference, TaskMetadata, TaskSpec, TaskTemplate
from graven.version import __version__

P = ParamSpec("P")
R = TypeVar("R", covariant=True)

OPTIONS = ("retries", "timeout", "cache", "resources")


def entity_name(fn: Callable[..., Any], kind: str) -> str:
    """``module.function``, the module relative to the project root; checked against the
    name pattern now so a bad name fails on import rather than at registration."""
    module = sys.modules.get(fn.__module__)
    module_name = main_module_name(module) if module is not None else fn.__module__
    name = f"{module_name}.{fn.__name__}"
    problem = name_problem("name", name)
    if problem is not None:
        raise GravenDefinitionError(f"{kind} {name!r}: {problem} (rename the module or function)")
    return name


class Task(Generic[P, R]):
    """A registered-to-be task. ``name`` is ``module.function``."""

    def __init__(
        self,
        fn: Callable[P, R],
        *,
        retries: int = 0,
        timeout: float | datetime.timedelta | None = None,
        cache: bool | Cache = False,
        resources: Resources | None = None,
    ) -> None:
        self.fn = fn
        self.name = entity_name(fn, "task")
        self.module = self.name.rsplit(".", 1)[0]
        self.where = f"task {self.name!r}"
        self.interface: PythonInterface = interface_of(fn, self.where)
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise GravenDefinitionError(
                f"{self.where}: retries must be a non-negative int, got {retries!r}"
            )
        self.retries = retries
        try:
            self.timeout = timeout_duration(timeout)
        except GravenDefinitionError as exc:
            raise GravenDefinitionError(f"{self.where}: {exc}") from None
        self.cache = _cache_option(self.where, cache)
        if resources is not None and not isinstance(resources, Resources):
            raise GravenDefinitionError(
                f"{self.where}: resources must be Resources(...), got {resources!r}"
            )
        self.resources = resources or Resources()
        if self.cache is not None:
            inputs = {p.name for p in self.interface.inputs}
            unknown = [name for name in self.cache.ignore_inputs if name not in inputs]
            if unknown:
                raise GravenDefinitionError(
                    f"{self.where}: Cache(ignore_inputs=...) names {unknown[0]!r}, which is not "
                    f"an input (inputs: {', '.join(sorted(inputs)) or 'none'})"
                )
        functools.update_wrapper(self, fn)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        trace = current_trace()
        if trace is None:
            return self.fn(*args, **kwargs)
        return cast(R, trace.call_task(self, args, kwargs))

    def __repr__(self) -> str:
        return f"<Task {self.name}>"

    @functools.cached_property
    def code_digest(self) -> str:
        return code_digest(self.fn)

    def metadata(self) -> TaskMetadata:
        metadata = TaskMetadata(
            retries=self.retries,
            resources=self.resources.proto(),
            graven_version=__version__,
        )
        if self.timeout is not None:
            metadata.timeout.CopyFrom(_duration(self.timeout))
        if self.cache is not None:
            metadata.cache.CopyFrom(self.cache.policy())
        return metadata

    def spec(self, bundle_digest: str) -> TaskSpec:
        """The task as registered; ``bundle_digest`` names the archive holding its code."""
        if "<locals>" in self.fn.__qualname__:
            raise GravenDefinitionError(
                f"{self.where}: is defined inside a function; define it at module level so a "
                "worker can import it"
            )
        code = CodeReference(
            bundle_digest=bundle_digest,
            module=self.module,
            function=self.fn.__qualname__,
            code_digest=self.code_digest,
        )
        template = TaskTemplate(
            interface=self.interface.typed_interface(), code=code, metadata=self.metadata()
        )
        return TaskSpec(template=template, description=inspect.getdoc(self.fn) or "")


def _cache_option(where: str, cache: object) -> Cache | None:
    if cache is True:
        return Cache()
    if cache is False or cache is None:
        return None
    if isinstance(cache, Cache):
        return cache
    raise GravenDefinitionError(f"{where}: cache must be True, False or Cache(...), got {cache!r}")


def _duration(value: datetime.timedelta) -> Duration:
    duration = Duration()
    duration.FromTimedelta(value)
    return duration


@overload
def task(fn: Callable[P, R], /) -> Task[P, R]: ...


@overload
def task(
    *,
    retries: int = 0,
    timeout: float | datetime.timedelta | None = None,
    cache: bool | Cache = False,
    resources: Resources | None = None,
    **unknown: Never,
) -> Callable[[Callable[P, R]], Task[P, R]]: ...


def task(
    fn: Callable[P, R] | None = None,
    /,
    *,
    retries: int = 0,
    timeout: float | datetime.timedelta | None = None,
    cache: bool | Cache = False,
    resources: Resources | None = None,
    **unknown: Never,
) -> Task[P, R] | Callable[[Callable[P, R]], Task[P, R]]:
    """Declare a task: ``@task`` or ``@task(retries=2, timeout=60, cache=True, ...)``.

    ``timeout`` is seconds or a timedelta per attempt; ``cache`` is True or
    ``Cache(version=..., ignore_inputs=[...])``; ``resources`` is ``Resources(cpus=...,
    gpus=..., memory="2Gi", custom={...})``.
    """

    def decorate(f: Callable[P, R]) -> Task[P, R]:
        if unknown:
            raise GravenDefinitionError(
                f"task '{f.__module__}.{f.__name__}': unknown option {sorted(unknown)[0]!r} "
                f"(the options are {', '.join(OPTIONS)})"
            )
        return Task(f, retries=retries, timeout=timeout, cache=cache, resources=resources)

    if fn is not None:
        if not callable(fn):
            raise GravenDefinitionError(f"@task applies to a function, not {fn!r}")
        return decorate(fn)
    return decorate
