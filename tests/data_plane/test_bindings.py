"""Bindings assemble the same literal (same content hash) the SDK makes from the value."""

from __future__ import annotations

import pytest
from dp_support import collection, mapping, promise, static, workflow_input
from hypothesis import given
from hypothesis import strategies as st

from graven.data_plane.bindings import BindingError, resolve
from graven.literals import literal_hash, to_literal, to_python
from graven.v1.literals_pb2 import LiteralMap

ints = st.integers(min_value=-(2**63), max_value=2**63 - 1)
texts = st.text(max_size=20)


def no_upstream(node_id: str) -> LiteralMap:
    raise AssertionError(f"unexpected promise of {node_id}")


@given(st.lists(ints, max_size=20))
def test_a_collection_of_literals_is_the_list(values: list[int]) -> None:
    literal = resolve(collection(*[static(v, int) for v in values]), {}, no_upstream)
    assert literal.hash == to_literal(values, list[int]).hash == literal_hash(literal)
    assert to_python(literal, list[int]) == values


@given(st.dictionaries(texts, st.lists(texts, max_size=5), max_size=10))
def test_a_map_of_collections_is_the_dict(values: dict[str, list[str]]) -> None:
    data = mapping(**{k: collection(*[static(s, str) for s in v]) for k, v in values.items()})
    literal = resolve(data, {}, no_upstream)
    assert literal.hash == to_literal(values, dict[str, list[str]]).hash
    assert to_python(literal, dict[str, list[str]]) == values


@given(st.lists(st.tuples(st.sampled_from(["a", "b", "input"]), ints), min_size=1, max_size=10))
def test_promises_and_inputs_resolve_to_what_they_name(picks: list[tuple[str, int]]) -> None:
    upstream = {
        "a": LiteralMap(literals={"o0": to_literal(1, int)}),
        "b": LiteralMap(literals={"o0": to_literal(2, int)}),
    }
    inputs = {"x": to_literal(3, int)}
    items = [workflow_input("x") if name == "input" else promise(name) for name, _ in picks]
    literal = resolve(collection(*items), inputs, upstream.__getitem__)
    expected = [{"a": 1, "b": 2, "input": 3}[name] for name, _ in picks]
    assert literal.hash == to_literal(expected, list[int]).hash


def test_a_binding_to_something_missing_is_named() -> None:
    upstream = {"a": LiteralMap(literals={"o0": to_literal(1, int)})}
    with pytest.raises(BindingError, match="'a' has no output 'o1'"):
        resolve(promise("a", "o1"), {}, upstream.__getitem__)
    with pytest.raises(BindingError, match="no input 'y'"):
        resolve(workflow_input("y"), {}, upstream.__getitem__)
