"""Workflows called as plain Python run their graph with the engine's semantics."""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple, Optional

import pytest
from hypothesis import given
from hypothesis import strategies as st

import graven
from graven import LaunchPlan, WorkflowError, task, workflow
from graven.errors import GravenError, GravenTypeError
from graven.workflow import Workflow

M = "test_sdk_language_local"
CALLS: list[str] = []
ERRORS: list[tuple[WorkflowError, int]] = []


@dataclass
class Report:
    score: float
    tags: dict[str, str]
    sizes: list[int]


class MinMax(NamedTuple):
    low: int
    high: int


@task
def measure(xs: list[int]) -> Report:
    return Report(sum(xs) / len(xs), {"size": "big" if len(xs) > 3 else "small"}, xs)


@task
def label(text: str) -> str:
    CALLS.append(f"label {text}")
    return f"<{text}>"


@task
def double(x: int) -> int:
    CALLS.append(f"double {x}")
    return 2 * x


@task
def negate(x: int) -> int:
    CALLS.append(f"negate {x}")
    return -x


@task
def add(x: int, y: int) -> int:
    return x + y


@task
def fragile(x: int) -> int:
    if x % 3 == 0:
        raise ValueError(f"no multiples of 3: {x}")
    return x


@task
def minmax(xs: list[int]) -> MinMax:
    return MinMax(min(xs), max(xs))


@task
def boom(x: int) -> int:
    raise RuntimeError(f"boom {x}")


@task
def record_error(x: int, error: WorkflowError) -> None:
    ERRORS.append((error, x))


@pytest.fixture(autouse=True)
def _fresh() -> None:
    CALLS.clear()
    ERRORS.clear()


# --- branches -----------------------------------------------------------------------------


@workflow
def classify(xs: list[int]) -> str:
    report = measure(xs=xs)
    return (
        graven.conditional("quality")
        .if_(report.score > 10.0)
        .then(label(text="high"))
        .elif_((report.score >= 0.0) & (report.tags["size"] == "big"))
        .then(label(text="big"))
        .else_()
        .then(
            graven.conditional("tiny")
            .if_(report.sizes[0] < 0)
            .then(label(text="negative"))
            .else_()
            .then(label(text="small"))
        )
    )


@pytest.mark.parametrize(
    ("xs", "expected"),
    [([20, 30], "<high>"), ([1, 2, 3, 4], "<big>"), ([-5, 1], "<negative>"), ([1], "<small>")],
)
def test_a_branch_runs_only_the_case_taken(xs: list[int], expected: str) -> None:
    assert classify(xs) == expected
    assert [f"label {expected[1:-1]}"] == CALLS


@workflow
def strict(x: int) -> int:
    return graven.conditional("sign").if_(x > 0).then(double(x=x)).else_().fail("x must be > 0")


def test_else_fail_raises_its_message() -> None:
    assert strict(2) == 4
    with pytest.raises(GravenError, match="x must be > 0"):
        strict(0)


@workflow
def maybe_double(x: int) -> int:
    graven.conditional("positive").if_(x > 0).then(double(x=x)) >> negate(x=x)
    return add(x=x, y=1)


def test_a_branch_without_else_may_run_nothing() -> None:
    assert maybe_double(-1) == 0
    assert CALLS == ["negate -1"]
    CALLS.clear()
    assert maybe_double(3) == 4
    assert CALLS == ["double 3", "negate 3"]


@task
def optional_of(x: int) -> Optional[int]:  # noqa: UP045
    return x if x else None


@workflow
def none_check(x: int, flag: bool) -> int:
    maybe = optional_of(x=x)
    return (
        graven.conditional("none")
        .if_(maybe.is_none())
        .then(double(x=-1))
        .elif_(flag.is_true() | (maybe == 7))
        .then(double(x=x))
        .else_()
        .then(negate(x=x))
    )


def test_unary_and_or_conditions() -> None:
    assert none_check(0, False) == -2
    assert none_check(7, False) == 14
    assert none_check(5, True) == 10
    assert none_check(5, False) == -5


NUMBERS = st.one_of(
    st.integers(min_value=-(2**53), max_value=2**53),
    st.floats(allow_nan=False, allow_infinity=False),
)


@task
def yes() -> str:
    return "yes"


@task
def no() -> str:
    return "no"


# The same operators on Python values and, in a workflow body, on promises (conditions).
PY: dict[str, Callable[[Any, Any], Any]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}
SYMBOLS = list(PY)


def _compare_workflow(tp: type, symbol: str) -> Workflow[..., str]:
    def compare(a, b):  # type: ignore[no-untyped-def]
        condition = PY[symbol](a, b)
        return graven.conditional("cmp").if_(condition).then(yes()).else_().then(no())

    compare.__annotations__ = {"a": tp, "b": tp, "return": str}
    compare.__name__ = f"compare_{tp.__name__}_{SYMBOLS.index(symbol)}"
    return workflow(compare)


COMPARES = {(tp, s): _compare_workflow(tp, s) for tp in (int, float, str) for s in SYMBOLS}


@given(
    st.sampled_from(SYMBOLS),
    st.one_of(
        st.tuples(st.just(int), st.integers(-(2**63), 2**63 - 1), st.integers(-(2**63), 2**63 - 1)),
        st.tuples(st.just(float), NUMBERS.map(float), NUMBERS.map(float)),
        st.tuples(st.just(str), st.text(max_size=5), st.text(max_size=5)),
    ),
)
def test_local_conditions_agree_with_python(symbol: str, case: tuple[type, object, object]) -> None:
    tp, a, b = case
    expected = "yes" if PY[symbol](a, b) else "no"
    assert COMPARES[(tp, symbol)](a, b) == expected


@given(st.integers(-1000, 1000), st.floats(-1000, 1000, allow_nan=False))
def test_ints_compare_with_float_constants(x: int, threshold: float) -> None:
    @workflow
    def above(x: int) -> str:
        return graven.conditional("c").if_(x > threshold).then(yes()).else_().then(no())

    assert above(x) == ("yes" if x > threshold else "no")


# --- maps ---------------------------------------------------------------------------------


@workflow
def zipped(xs: list[int], ys: list[int], k: int) -> tuple[list[int], list[int]]:
    sums = graven.map(add)(x=xs, y=ys)
    return sums, graven.map(functools.partial(add, y=k))(x=sums)


def test_a_map_zips_its_lists_and_fixes_the_rest() -> None:
    assert zipped([1, 2, 3], [10, 20, 30], 100) == ([11, 22, 33], [111, 122, 133])


def test_lists_of_different_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match=r"different lengths \(x: 2, y: 1\)"):
        zipped([1, 2], [1], 0)


@workflow
def tolerant(xs: list[int]) -> list[Optional[int]]:  # noqa: UP045
    return graven.map(fragile, min_success_ratio=0.6)(x=xs)


@workflow
def intolerant(xs: list[int]) -> list[int]:
    return graven.map(fragile, concurrency=2)(x=xs)


def test_failed_elements_give_none_while_min_success_ratio_allows() -> None:
    assert tolerant([1, 2, 3, 4, 5]) == [1, 2, None, 4, 5]
    with pytest.raises(ValueError, match="no multiples of 3: 3"):
        tolerant([3, 6, 1])
    with pytest.raises(ValueError, match="no multiples of 3: 3"):
        intolerant([1, 2, 3])
    assert intolerant([]) == []


def test_a_map_outside_a_workflow_maps_by_type() -> None:
    assert graven.map(add)(x=[1, 2], y=10) == [11, 12]
    assert graven.map(minmax)(xs=[[1, 5], [7, 3]]) == MinMax([1, 3], [5, 7])


# --- subworkflows and launch plans --------------------------------------------------------


@workflow
def spread(xs: list[int], pad: int = 0) -> MinMax:
    bounds = minmax(xs=xs)
    return MinMax(low=add(x=bounds.low, y=negate(x=pad)), high=add(x=bounds.high, y=pad))


@workflow
def uses_spread(xs: list[int]) -> int:
    bounds = spread(xs=xs, pad=1)
    return add(x=bounds.high, y=negate(x=bounds.low))


padded = LaunchPlan(f"{M}.padded", spread, default_inputs={"pad": 10})
fixed_pad = LaunchPlan(f"{M}.fixed-pad", spread, fixed_inputs={"pad": 100})


@workflow
def uses_plans(xs: list[int]) -> tuple[int, int]:
    return padded(xs=xs).high, fixed_pad(xs=xs).low


def test_a_subworkflow_runs_inline() -> None:
    assert uses_spread([3, 9, 5]) == (9 + 1) - (3 - 1)


def test_a_launch_plan_node_runs_with_its_defaults_and_fixed_inputs() -> None:
    assert uses_plans([3, 9]) == (19, -97)
    assert padded(xs=[1]) == MinMax(-9, 11)
    with pytest.raises(GravenTypeError, match="input 'pad' is fixed by the launch plan"):
        fixed_pad(xs=[1], pad=1)


# --- gates --------------------------------------------------------------------------------


@workflow
def gated(x: int) -> int:
    pause = graven.sleep(datetime.timedelta(days=365))
    factor = graven.wait_for_input("factor", timeout=60, expected_type=int)
    pause >> factor
    approved = graven.approve(double(x=x), "publish")
    return add(x=factor, y=approved)


def test_gates_take_their_values_from_local_signals() -> None:
    with graven.local_signals(factor=5, publish=True):
        # The year-long sleep returns at once.
        assert gated(3) == 5 + 6
    with graven.local_signals({"factor": 1}), graven.local_signals(publish=True):
        assert gated(1) == 3


def test_a_missing_rejected_or_mistyped_signal_fails() -> None:
    with pytest.raises(GravenError, match=r"gate 'factor' \(node n1\) waits for a signal"):
        gated(1)
    with (
        graven.local_signals(factor=1, publish=False),
        pytest.raises(GravenError, match=r"approval 'publish' .* was rejected"),
    ):
        gated(1)
    with (
        graven.local_signals(factor="five", publish=True),
        pytest.raises(GravenTypeError, match="signal 'factor': expected int, got str"),
    ):
        gated(1)


# --- failure handling ---------------------------------------------------------------------


@workflow(on_failure=record_error)
def fails_in_map(x: int, xs: list[int]) -> list[int]:
    return graven.map(fragile)(x=graven.map(functools.partial(add, y=x))(x=xs))


@workflow(on_failure=record_error)
def fails_in_sub(x: int) -> int:
    return double(x=uses_failing(x=x))


@workflow
def uses_failing(x: int) -> int:
    return boom(x=double(x=x))


def test_on_failure_receives_the_error_and_the_error_is_raised_again() -> None:
    with pytest.raises(ValueError, match="no multiples of 3: 3"):
        fails_in_map(1, [0, 2, 5])
    [(error, x)] = ERRORS
    assert x == 1
    assert (error.node_id, error.kind, error.type) == ("n1/1", "USER", "ValueError")
    assert error.message == "no multiples of 3: 3"
    assert "raise ValueError" in error.traceback


def test_the_error_names_the_node_inside_a_subworkflow() -> None:
    with pytest.raises(RuntimeError, match="boom 4"):
        fails_in_sub(2)
    [(error, _)] = ERRORS
    assert error.node_id == "n0/n1"


@workflow(failure_policy="fail_after_executable_nodes_complete")
def keeps_going(x: int) -> int:
    failed = boom(x=x)
    double(x=x)
    return negate(x=failed)


@workflow
def stops(x: int) -> int:
    failed = boom(x=x)
    double(x=x)
    return negate(x=failed)


def test_failure_policy_decides_whether_independent_nodes_still_run() -> None:
    with pytest.raises(RuntimeError):
        keeps_going(1)
    assert CALLS == ["double 1"]
    CALLS.clear()
    with pytest.raises(RuntimeError):
        stops(1)
    assert CALLS == []


# --- ordering and attribute paths ---------------------------------------------------------


@workflow
def ordered(x: int) -> int:
    a = double(x=x)
    b = negate(x=x)
    b >> a
    return add(x=a, y=b)


def test_rshift_orders_a_local_run() -> None:
    assert ordered(2) == 2
    assert CALLS == ["negate 2", "double 2"]


@workflow
def paths(xs: list[int]) -> tuple[str, int, int]:
    report = measure(xs=xs)
    return label(text=report.tags["size"]), double(x=report.sizes[1]), minmax(xs=xs)[1]


def test_attribute_paths_follow_the_values() -> None:
    assert paths([4, 5, 6, 7]) == ("<big>", 10, 7)


def test_an_attribute_path_out_of_range_fails_like_the_engine() -> None:
    with pytest.raises(ValueError, match=r"\[1\] is out of range: the list has 1 items"):
        paths([4])
