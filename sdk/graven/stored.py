"""Python values of the stored kinds, to and from the content a ``Blob`` literal names.

One place knows every stored kind: files and directories (``graven.files``), tables
(``graven.tables``) and ``Pickled[T]`` values (pickled with the highest protocol; a pickle
opted in to is not canonical, so equal objects may store twice).
"""

from __future__ import annotations

import io
import pickle
import typing
from typing import TYPE_CHECKING

from graven.blobs import fetch, fetch_tree
from graven.files import Directory, File, put_directory
from graven.tables import is_table_type, put_table, read_table
from graven.types import is_pickled

if TYPE_CHECKING:
    from graven.blobs import Blobs
    from graven.store.content import ContentRef


def fits(value: object, tp: object) -> bool:
    """Whether ``value`` is a value of the stored type ``tp`` (``Pickled[T]``: of ``T``'s
    class, when ``T`` names one)."""
    if is_pickled(tp):
        inner = typing.get_args(tp)[0]
        cls = typing.get_origin(inner) or inner
        return not isinstance(cls, type) or isinstance(value, cls)
    if tp is File or tp is Directory or is_table_type(tp):
        return isinstance(value, tp)  # type: ignore[arg-type]
    return False


def put_value(value: object, tp: object, blobs: Blobs) -> ContentRef:
    """Store ``value`` (which ``fits`` ``tp``); the reference of its content."""
    if isinstance(value, File):
        with value.open() as f:
            return blobs.put(f)
    if isinstance(value, Directory):
        return put_directory(value.path, blobs)
    if is_pickled(tp):
        return blobs.put(io.BytesIO(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)))
    return put_table(value, blobs)


def read_value(sha256: str, tp: object, blobs: Blobs) -> object:
    """The value of the stored type ``tp`` whose content is ``sha256``, from a local copy."""
    if tp is File:
        return File(fetch(blobs, sha256))
    if tp is Directory:
        return Directory(fetch_tree(blobs, sha256))
    if is_pickled(tp):
        with fetch(blobs, sha256).open("rb") as f:
            return pickle.load(f)
    return read_table(fetch(blobs, sha256))
