"""graven.shown: a value echoed into an error is its repr, cut short with its size."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from graven.shown import SHOWN_CHARS, shown

VALUES = st.one_of(st.text(), st.binary(), st.integers(), st.lists(st.text(max_size=5)))


@given(VALUES)
def test_a_value_is_its_repr_or_a_cut_of_it_with_its_size(value: object) -> None:
    text = shown(value)
    whole = repr(value)
    if len(whole) <= SHOWN_CHARS:
        assert text == whole
    else:
        cut, _, note = text.partition("... (")
        assert cut == whole[:SHOWN_CHARS]
        assert note.endswith(")")
        # A note is short: the size of the value, never the value.
        assert len(note) < 40


def test_a_huge_string_is_named_by_its_size_in_bytes() -> None:
    assert shown("é" * 1_000_000).endswith("... (2000000 bytes)")
    assert shown(b"\x00" * 5000).endswith("... (5000 bytes)")
    assert len(shown("x" * 10_000_000)) < SHOWN_CHARS + 30
