"""Explaining a miss: the changed components are exactly where two keys differ."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from graven.control_plane.service.cache_explain import changed_components
from graven.digests import message_digest, sha256_hex
from graven.v1.cache_pb2 import CacheKeyComponents
from graven.v1.identifier_pb2 import Identifier

digests = st.sampled_from([sha256_hex(bytes([i])) for i in range(3)])
names = st.sampled_from(["a", "b", "c"])


@st.composite
def components(draw: st.DrawFn) -> CacheKeyComponents:
    versioned = draw(st.booleans())
    return CacheKeyComponents(
        task=Identifier(project="p", domain="d", name=draw(st.sampled_from(["t", "u"]))),
        interface_digest=draw(digests),
        code_digest="" if versioned else draw(digests),
        cache_version=draw(st.sampled_from(["1", "2"])) if versioned else "",
        inputs=draw(st.dictionaries(names, digests, max_size=3)),
        ignored_inputs=sorted(draw(st.sets(st.sampled_from(["i", "j"])))),
    )


@given(components(), components())
def test_nothing_changed_exactly_when_the_keys_are_equal(
    before: CacheKeyComponents, after: CacheKeyComponents
) -> None:
    changed = changed_components(before, after)
    assert (changed == []) == (message_digest(before) == message_digest(after))


@given(components(), components())
def test_each_changed_component_names_a_real_difference(
    before: CacheKeyComponents, after: CacheKeyComponents
) -> None:
    for name, how in changed_components(before, after):
        if name.startswith("inputs."):
            input_name = name.removeprefix("inputs.")
            old, new = before.inputs.get(input_name), after.inputs.get(input_name)
            assert old != new
            assert how == ("added" if old is None else "removed" if new is None else "changed")
        elif name == "ignored_inputs":
            assert list(before.ignored_inputs) != list(after.ignored_inputs)
        else:
            assert getattr(before, name) != getattr(after, name)
            assert how == "changed"


def test_inputs_added_removed_and_changed_are_told_apart() -> None:
    x, y = sha256_hex(b"x"), sha256_hex(b"y")
    before = CacheKeyComponents(code_digest=x, inputs={"a": x, "b": x})
    after = CacheKeyComponents(code_digest=y, inputs={"b": y, "c": x})
    assert changed_components(before, after) == [
        ("code_digest", "changed"),
        ("inputs.a", "removed"),
        ("inputs.b", "changed"),
        ("inputs.c", "added"),
    ]
