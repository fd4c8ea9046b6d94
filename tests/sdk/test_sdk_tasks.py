"""@task: interfaces from signatures, options, errors at decoration, plain local calls."""

from __future__ import annotations

import datetime
from typing import NamedTuple, Optional

import pytest
from sdk_support import Color, Point

from graven import Cache, Resources, task
from graven.errors import GravenDefinitionError, GravenTypeError, GravenValueError
from graven.literals import to_literal, to_python
from graven.task import Task
from graven.types import describe_type
from graven.v1.task_pb2 import TaskSpec
from graven.version import __version__


@task
def add(x: int, y: int = 2) -> int:
    """Add two numbers."""
    return x + y


class MinMax(NamedTuple):
    low: float
    high: float


@task(retries=3, timeout=90, cache=Cache(version="v2", ignore_inputs=["verbose"]))
def bounds(values: list[float], verbose: bool = False) -> MinMax:
    return MinMax(min(values), max(values))


@task(timeout=datetime.timedelta(minutes=5), cache=True)
def split(text: str, sep: Optional[str] = None) -> tuple[list[str], int]:  # noqa: UP045
    parts = text.split(sep)
    return parts, len(parts)


@task(resources=Resources(cpus=2, gpus=0.5, memory="2Gi", custom={"tpu": 1}))
def paint(point: Point, color: Color = Color.RED) -> None:
    return None


def io(t: Task[..., object]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    interface = t.interface.typed_interface()
    return (
        [(v.name, describe_type(v.type)) for v in interface.inputs],
        [(v.name, describe_type(v.type)) for v in interface.outputs],
    )


def test_names_are_module_and_function() -> None:
    assert add.name == "test_sdk_tasks.add"
    assert add.module == "test_sdk_tasks"
    assert add.__doc__ == "Add two numbers."
    assert add.__name__ == "add"


def test_single_output_is_o0_and_defaults_become_literals() -> None:
    assert io(add) == ([("x", "int"), ("y", "int")], [("o0", "int")])
    inputs = add.interface.typed_interface().inputs
    assert not inputs[0].HasField("default")
    assert to_python(inputs[1].default, int) == 2


def test_named_tuple_outputs_take_the_field_names() -> None:
    assert io(bounds)[1] == [("low", "float"), ("high", "float")]


def test_tuple_outputs_are_numbered() -> None:
    assert io(split) == (
        [("text", "str"), ("sep", "Optional[str]")],
        [("o0", "list[str]"), ("o1", "int")],
    )


def test_none_return_has_no_outputs() -> None:
    assert io(paint) == (
        [("point", "sdk_support.Point"), ("color", "sdk_support.Color")],
        [],
    )


def test_options_become_metadata() -> None:
    meta = bounds.metadata()
    assert meta.retries == 3
    assert meta.timeout.ToTimedelta() == datetime.timedelta(seconds=90)
    assert meta.cache.enabled
    assert meta.cache.version == "v2"
    assert list(meta.cache.ignore_inputs) == ["verbose"]
    assert meta.graven_version == __version__
    assert split.metadata().timeout.ToTimedelta() == datetime.timedelta(minutes=5)
    assert split.metadata().cache.enabled
    assert not split.metadata().cache.version
    resources = paint.metadata().resources
    assert (resources.cpus, resources.gpus) == (2.0, 0.5)
    assert resources.memory_bytes == 2 * 2**30
    assert dict(resources.custom) == {"tpu": 1.0}
    plain = add.metadata()
    assert not plain.HasField("timeout")
    assert not plain.cache.enabled
    assert plain.retries == 0


@pytest.mark.parametrize(
    ("memory", "expected"),
    [(1024, 1024), ("512Mi", 512 * 2**20), ("1.5Gi", 3 * 2**29), ("2G", 2 * 10**9), ("100", 100)],
)
def test_memory_sizes(memory: int | str, expected: int) -> None:
    assert Resources(memory=memory).proto().memory_bytes == expected


def test_tasks_run_as_plain_python_outside_a_workflow() -> None:
    assert add(1) == 3
    assert add(1, y=5) == 6
    assert bounds([3.0, 1.0, 2.0]) == MinMax(1.0, 3.0)
    assert split("a b") == (["a", "b"], 2)


def test_worker_side_conversions() -> None:
    values = bounds.interface.input_values({"values": to_literal([1.0, 4.0], list[float])})
    assert values == {"values": [1.0, 4.0], "verbose": False}
    outputs = bounds.interface.output_literals(bounds(**values))
    assert {k: to_python(v, float) for k, v in outputs.items()} == {"low": 1.0, "high": 4.0}
    with pytest.raises(GravenTypeError, match="output 'o0': expected int, got str"):
        add.interface.output_literals("three")
    with pytest.raises(GravenValueError, match="input 'x' is missing and has no default"):
        add.interface.input_values({})
    with pytest.raises(GravenTypeError, match="expected a tuple of 2 values, got list"):
        split.interface.output_literals([["a"], 1])


def test_spec_holds_the_code_reference() -> None:
    spec = add.spec("sha256:" + "0" * 64)
    assert isinstance(spec, TaskSpec)
    code = spec.template.code
    assert (code.module, code.function) == ("test_sdk_tasks", "add")
    assert code.bundle_digest == "sha256:" + "0" * 64
    assert code.code_digest == add.code_digest
    assert code.code_digest.startswith("sha256:")
    assert spec.description == "Add two numbers."


def define(fn_source: str) -> None:
    namespace: dict[str, object] = {
        "__name__": "snippets",
        "task": task,
        "Cache": Cache,
        "Resources": Resources,
    }
    exec(compile(fn_source, "<test>", "exec"), namespace)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            "@task\ndef f(x): return 1",
            "task 'snippets.f': parameter 'x' has no type annotation; annotate it, e.g. x: int",
        ),
        (
            "@task\ndef f(x: int):\n    return 1",
            "task 'snippets.f': the return type is not annotated; add '-> None'",
        ),
        (
            "@task\ndef f(*xs: int) -> int: return 1",
            "task 'snippets.f': parameter 'xs': *xs is not supported",
        ),
        (
            "@task\ndef f(**kw: int) -> int: return 1",
            "task 'snippets.f': parameter 'kw': **kw is not supported",
        ),
        (
            "@task\ndef f(x: set[int]) -> int: return 1",
            "task 'snippets.f': parameter 'x': unsupported type set[int]",
        ),
        (
            "@task\ndef f(x: int) -> dict[int, int]: return {}",
            "task 'snippets.f': return type: unsupported type dict[int, int]",
        ),
        (
            "@task\ndef f(x: int) -> tuple[int, ...]: return (1,)",
            "task 'snippets.f': return type: tuple[int, ...] has no fixed length",
        ),
        (
            "@task\ndef f(x: int = 'a') -> int: return 1",
            "task 'snippets.f': parameter 'x': default 'a' does not fit: expected int, got str",
        ),
        (
            "@task(retry=3)\ndef f(x: int) -> int: return 1",
            "task 'snippets.f': unknown option 'retry' (the options are retries, timeout, cache",
        ),
        ("@task(retries=-1)\ndef f(x: int) -> int: return 1", "retries must be a non-negative int"),
        ("@task(timeout=0)\ndef f(x: int) -> int: return 1", "timeout must be positive"),
        (
            "@task(timeout='1m')\ndef f(x: int) -> int: return 1",
            "timeout must be seconds or a timedelta",
        ),
        (
            "@task(cache='yes')\ndef f(x: int) -> int: return 1",
            "cache must be True, False or Cache",
        ),
        (
            "@task(cache=Cache(ignore_inputs=['y']))\ndef f(x: int) -> int: return 1",
            "Cache(ignore_inputs=...) names 'y', which is not an input (inputs: x)",
        ),
        (
            "@task\ndef F(x: int) -> int: return 1",
            "task 'snippets.F': name 'snippets.F' must match",
        ),
        ("@task(resources=Resources(memory='lots'))\ndef f() -> int: return 1", "memory 'lots'"),
        (
            "@task(resources=Resources(cpus=-1))\ndef f() -> int: return 1",
            "cpus must be a non-negative",
        ),
        (
            "@task(resources={'cpus': 1})\ndef f() -> int: return 1",
            "resources must be Resources(...)",
        ),
    ],
)
def test_decoration_errors_are_one_clear_line(source: str, message: str) -> None:
    with pytest.raises(GravenDefinitionError) as info:
        define(source)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_a_task_defined_in_a_function_cannot_be_registered() -> None:
    @task
    def local(x: int) -> int:
        return x

    assert local(4) == 4
    with pytest.raises(GravenDefinitionError, match="is defined inside a function"):
        local.spec("")
