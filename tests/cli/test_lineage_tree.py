"""The readable lineage tree: every step and artifact of a graph, in the right direction, each
artifact expanded once however often the graph reaches it (diamonds, a value a task passes
through unchanged), and a cache hit naming the run it reused."""

from __future__ import annotations

import io

from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console
from rich.tree import Tree

from graven.cli.lineage_tree import LineageView, human_size
from graven.v1 import identifier_pb2 as idl
from graven.v1 import lineage_pb2 as lp

RUN = idl.ExecutionIdentifier(project="p", domain="d", name="run1")
EARLIER = idl.ExecutionIdentifier(project="p", domain="d", name="run0")


def h(n: int) -> str:
    return "sha256:" + f"{n:x}".rjust(64, "0")


def step(
    node: str, inputs: dict[str, int], outputs: dict[str, int], **extra: object
) -> lp.LineageStep:
    return lp.LineageStep(
        id=idl.NodeExecutionIdentifier(execution_id=RUN, node_id=node),
        task_id=idl.Identifier(name=f"flows.{node or 'inputs'}", version=f"v-{node}"),
        code_digest=h(1000 + len(node)),
        inputs={k: h(v) for k, v in inputs.items()},
        outputs={k: h(v) for k, v in outputs.items()},
        **extra,  # type: ignore[arg-type]
    )


def text(tree: Tree) -> str:
    out = io.StringIO()
    Console(file=out, width=400, color_system=None).print(tree)
    return out.getvalue()


# inputs → x(1); a: x → 2; b: x → 3; c: (2, 3) → 4; d passes 4 through as 4.
DIAMOND = lp.LineageGraph(
    artifacts=[lp.Artifact(hash=h(n), size=n) for n in (1, 2, 3, 4)],
    steps=[
        step("", {}, {"x": 1}),
        step("a", {"x": 1}, {"o0": 2}),
        step("b", {"x": 1}, {"o0": 3}),
        step("c", {"left": 2, "right": 3}, {"o0": 4}),
        step("d", {"value": 4}, {"o0": 4}),
    ],
)


def test_upstream_walks_every_producer_to_the_inputs_once() -> None:
    shown = text(LineageView(DIAMOND).artifact_tree(h(4), upstream=True, downstream=False))
    for node in ("a", "b", "c", "d"):
        assert f"node {node} of p/d/run1" in shown
        assert f"flows.{node} v-{node}" in shown
    assert shown.count("workflow inputs of p/d/run1") == 1
    assert shown.count("(shown above)") == 2  # x reached again through b; 4 through d
    assert h(4) in shown.splitlines()[0]


def test_downstream_walks_to_every_consumer() -> None:
    view = LineageView(DIAMOND)
    shown = text(view.artifact_tree(h(1), upstream=False, downstream=True))
    assert all(f"node {node} " in shown for node in ("a", "b", "c", "d"))
    assert "workflow inputs" not in shown
    both = text(view.artifact_tree(h(2), upstream=True, downstream=True))
    assert "upstream" in both
    assert "downstream" in both


def test_an_execution_starts_from_its_final_outputs_and_names_cache_hits() -> None:
    hit = step(
        "e",
        {"value": 4},
        {"o0": 5},
        cache_source=idl.NodeExecutionIdentifier(execution_id=EARLIER, node_id="e"),
    )
    graph = lp.LineageGraph(artifacts=DIAMOND.artifacts, steps=[*DIAMOND.steps, hit])
    shown = text(LineageView(graph).execution_tree(RUN, upstream=True, downstream=False))
    lines = shown.splitlines()
    assert lines[0].startswith("execution p/d/run1")
    assert lines[1].split()[1:3] == ["e.o0", "="]  # the one output nothing consumed
    assert "cache hit of p/d/run0 node e" in shown
    assert " of p/d/run1" not in shown  # its own steps need no execution name
    down = text(LineageView(graph).execution_tree(RUN, upstream=False, downstream=True))
    assert down.splitlines()[1].split()[1:3] == ["x", "="]


@given(st.integers(min_value=0, max_value=1 << 50))
def test_sizes_read_as_people_write_them(size: int) -> None:
    shown = human_size(size)
    number, unit = shown.split()
    factor = {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}[unit]
    assert unit == "B" or 1 <= float(number) < 1024 or unit == "TiB"
    # Within half of the last digit shown (170.25 KiB may read 170.2): a relative slack
    # for the float product, which can land a hair past an exact half.
    assert abs(float(number) * factor - size) <= 0.05 * factor * (1 + 1e-9)
