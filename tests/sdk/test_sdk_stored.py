"""Stored kinds (File, Directory, Pickled[T], pyarrow tables): their value is their content,
written and read through a Blobs (here a file store and a cache folder of the test's own)."""

from __future__ import annotations

import dataclasses
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Optional

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graven import Directory, File, Pickled
from graven.blobs import StoreBlobs
from graven.errors import GravenTypeError, GravenValueError
from graven.files import ManifestEntry, decode_manifest, encode_manifest
from graven.interface import interface_of
from graven.literals import literal_matches_type, to_literal, to_python
from graven.store import open_store
from graven.types import describe_type, literal_type_of

# Relative paths of a directory: short names, some nested.
NAMES = st.text(alphabet="abcé_", min_size=1, max_size=4)
TREES = st.dictionaries(
    st.lists(NAMES, min_size=1, max_size=3).map("/".join), st.binary(max_size=16), max_size=5
).filter(lambda tree: not any(other.startswith(p + "/") for p in tree for other in tree))


@dataclasses.dataclass
class Report:
    title: str
    data: File


@pytest.fixture
def blobs(tmp_path: Path) -> StoreBlobs:
    return StoreBlobs(open_store((tmp_path / "store").as_uri()), tmp_path / "cache")


@pytest.fixture(scope="module")
def shared_blobs(tmp_path_factory: pytest.TempPathFactory) -> StoreBlobs:
    """One store for every example of a property: content addressing makes sharing it
    harmless."""
    root = tmp_path_factory.mktemp("shared")
    return StoreBlobs(open_store((root / "store").as_uri()), root / "cache")


def write_tree(root: Path, tree: dict[str, bytes], order: list[str]) -> Directory:
    for relative in order:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(tree[relative])
    root.mkdir(parents=True, exist_ok=True)
    return Directory(root)


def read_tree(directory: Directory) -> dict[str, bytes]:
    return {p.relative_to(directory.path).as_posix(): p.read_bytes() for p in directory.files()}


def test_stored_types_are_blobs_tables_and_pickles() -> None:
    assert describe_type(literal_type_of(File)) == "File"
    assert describe_type(literal_type_of(Directory)) == "Directory"
    assert describe_type(literal_type_of(pa.Table)) == "Table[parquet]"
    assert describe_type(literal_type_of(Optional[File])) == "Optional[File]"  # noqa: UP045


def test_the_same_bytes_at_two_paths_are_one_value(blobs: StoreBlobs, tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_bytes(b"x\n1\n")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "b.dat").write_bytes(b"x\n1\n")
    a = to_literal(File(tmp_path / "a.csv"), File, blobs)
    b = to_literal(File(tmp_path / "elsewhere" / "b.dat"), File, blobs)
    assert a == b
    (tmp_path / "c.csv").write_bytes(b"x\n2\n")
    assert to_literal(File(tmp_path / "c.csv"), File, blobs).hash != a.hash
    back = to_python(a, File, blobs)
    assert isinstance(back, File)
    assert back.path.read_bytes() == b"x\n1\n"
    # The cache is read-only: a task cannot corrupt its input for later readers.
    assert stat.S_IMODE(back.path.stat().st_mode) == 0o444


@settings(max_examples=30)
@given(tree=TREES, data=st.data())
def test_a_directory_hashes_by_relative_paths_and_contents(
    tree: dict[str, bytes],
    data: st.DataObject,
    shared_blobs: StoreBlobs,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    blobs = shared_blobs
    base = tmp_path_factory.mktemp("trees")
    order = data.draw(st.permutations(list(tree)))
    first = write_tree(base / "first", tree, list(tree))
    second = write_tree(base / "second" / "deeper", tree, list(order))
    literal = to_literal(first, Directory, blobs)
    assert to_literal(second, Directory, blobs) == literal
    assert read_tree(to_python(literal, Directory, blobs)) == tree
    if tree:
        changed = data.draw(st.sampled_from(list(tree)))
        (second.path / changed).write_bytes(tree[changed] + b"!")
        assert to_literal(second, Directory, blobs).hash != literal.hash


def test_a_directory_is_not_its_empty_folders_and_a_missing_one_is_named(
    blobs: StoreBlobs, tmp_path: Path
) -> None:
    (tmp_path / "a" / "empty").mkdir(parents=True)
    (tmp_path / "b").mkdir()
    assert to_literal(Directory(tmp_path / "a"), Directory, blobs) == to_literal(
        Directory(tmp_path / "b"), Directory, blobs
    )
    with pytest.raises(GravenValueError, match="does not exist"):
        to_literal(Directory(tmp_path / "nowhere"), Directory, blobs)


def test_manifests_are_canonical_and_checked() -> None:
    entries = [ManifestEntry("b", "1" * 64, 1), ManifestEntry("a/c", "2" * 64, 2)]
    data = encode_manifest(entries)
    assert data == encode_manifest(entries[::-1])
    assert decode_manifest(data) == sorted(entries, key=lambda e: e.path)
    for bad in ("../x", "/x", "a//b", "a/./b", ""):
        with pytest.raises(GravenValueError, match="malformed entry"):
            decode_manifest(encode_manifest([ManifestEntry(bad, "1" * 64, 1)]))
    with pytest.raises(GravenValueError, match="not a directory manifest"):
        decode_manifest(b"[]")


@given(value=st.sets(st.integers()) | st.frozensets(st.text(max_size=3)))
def test_pickled_values_round_trip(
    value: set[int] | frozenset[str], shared_blobs: StoreBlobs
) -> None:
    blobs = shared_blobs
    literal = to_literal(value, Pickled[object], blobs)
    assert literal.blob.type.format == "pickle"
    assert to_python(literal, Pickled[object], blobs) == value


def test_a_pickled_value_must_be_of_its_declared_class(blobs: StoreBlobs) -> None:
    with pytest.raises(GravenTypeError, match="expected"):
        to_literal([1], Pickled[set[int]], blobs)
    assert to_python(to_literal({1}, Pickled[set[int]], blobs), Pickled[set[int]], blobs) == {1}


def test_equal_tables_hash_equal_however_they_are_chunked(blobs: StoreBlobs) -> None:
    whole = pa.table({"n": [1, 2, 3, 4], "s": ["a", "b", "c", "d"]})
    chunked = pa.concat_tables([whole.slice(0, 1), whole.slice(1, 3)])
    assert chunked.column("n").num_chunks == 2
    literal = to_literal(whole, pa.Table, blobs)
    assert to_literal(chunked, pa.Table, blobs) == literal
    assert literal.blob.type.format == "parquet"
    assert to_python(literal, pa.Table, blobs).equals(whole)
    other = pa.table({"n": [1, 2, 3, 5], "s": ["a", "b", "c", "d"]})
    assert to_literal(other, pa.Table, blobs).hash != literal.hash


def test_stored_kinds_nest_in_lists_dataclasses_and_optionals(
    blobs: StoreBlobs, tmp_path: Path
) -> None:
    (tmp_path / "r.txt").write_bytes(b"report")
    report = Report("t", File(tmp_path / "r.txt"))
    literal = to_literal([report, report], list[Report], blobs)
    assert literal_matches_type(literal, literal_type_of(list[Report]))
    back = to_python(literal, list[Report], blobs)
    assert [r.data.path.read_bytes() for r in back] == [b"report", b"report"]
    assert to_python(to_literal(None, Optional[File], blobs), Optional[File], blobs) is None  # noqa: UP045
    maybe = to_python(to_literal(report.data, Optional[File], blobs), Optional[File], blobs)  # noqa: UP045
    assert maybe.path.read_bytes() == b"report"


def test_without_blobs_a_stored_kind_is_a_clear_type_error(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"")
    with pytest.raises(GravenTypeError, match=r"File: .*kept in the object store"):
        to_literal(File(tmp_path / "f"), Optional[File])  # noqa: UP045
    with pytest.raises(GravenTypeError, match=r"expected File, got str"):
        to_literal(str(tmp_path / "f"), File)
    # A variant that needs no store still takes the values it fits.
    assert to_literal(None, Optional[Pickled[object]]) == to_literal(None, None)  # noqa: UP045


def test_interfaces_thread_blobs_through_inputs_and_outputs(
    blobs: StoreBlobs, tmp_path: Path
) -> None:
    def shout(text: File, times: int = 2) -> File:
        raise AssertionError("not called")

    interface = interface_of(shout, "shout")
    (tmp_path / "in.txt").write_bytes(b"hey")
    inputs = {"text": to_literal(File(tmp_path / "in.txt"), File, blobs)}
    values = interface.input_values(inputs, blobs)
    assert values["text"].path.read_bytes() == b"hey"
    assert values["times"] == 2
    (tmp_path / "out.txt").write_bytes(b"HEY HEY")
    outputs = interface.output_literals(File(tmp_path / "out.txt"), blobs)
    assert to_python(outputs["o0"], File, blobs).path.read_bytes() == b"HEY HEY"
    with pytest.raises(GravenTypeError, match="input 'text': File: "):
        interface.input_values(inputs)


def test_graven_imports_and_types_tables_without_pyarrow() -> None:
    script = (
        "import sys; sys.modules['pyarrow'] = None\n"
        "import graven\n"
        "from graven.literals import to_literal\n"
        "from graven.types import literal_type_of\n"
        "print(literal_type_of(graven.File).blob.dimensionality)\n"
        "class Table: pass\n"
        "Table.__module__ = 'pyarrow.lib'\n"
        "try:\n"
        "    to_literal(Table(), Table, object())\n"
        "except TypeError as e:\n"
        "    print(e)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, env=os.environ
    )
    assert result.stdout.splitlines() == ["1", "tables need pyarrow: pip install 'graven[tabular]'"]
