"""Tables (``pyarrow.Table``, the ``graven[tabular]`` extra) stored as Parquet.

pyarrow is imported only when a table is converted, so Graven imports without it. A table's
value is its Parquet bytes, written with fixed options so that equal tables, however they are
chunked, give equal bytes and one hash (under one pyarrow version: the writer names itself in
the file).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graven.errors import GravenTypeError

if TYPE_CHECKING:
    from graven.blobs import Blobs
    from graven.store.content import ContentRef

PARQUET_FORMAT = "parquet"

# Every option that shapes the bytes, spelled out so a change of pyarrow defaults does not
# silently change every table's hash.
WRITE_OPTIONS: dict[str, Any] = {
    "row_group_size": 1 << 20,
    "version": "2.6",
    "data_page_version": "1.0",
    "data_page_size": 1 << 20,
    "compression": "zstd",
    "compression_level": 3,
    "use_dictionary": True,
    "write_statistics": True,
    "write_page_index": False,
    "write_page_checksum": False,
    "store_schema": True,
}


def is_table_type(tp: object) -> bool:
    """Whether ``tp`` is ``pyarrow.Table``, decided without importing pyarrow."""
    return (
        isinstance(tp, type)
        and tp.__qualname__ == "Table"
        and tp.__module__.partition(".")[0] == "pyarrow"
    )


def _pyarrow_parquet() -> Any:
    try:
        import pyarrow.parquet
    except ImportError:
        raise GravenTypeError("tables need pyarrow: pip install 'graven[tabular]'") from None
    return pyarrow.parquet


def put_table(table: Any, blobs: Blobs) -> ContentRef:
    """Store ``table`` as Parquet; the bytes go through a temporary file, not memory."""
    parquet = _pyarrow_parquet()
    with tempfile.TemporaryFile() as f:
        parquet.write_table(table.combine_chunks(), f, **WRITE_OPTIONS)
        f.seek(0)
        return blobs.put(f)


def read_table(path: Path) -> Any:
    """The table stored at ``path`` (memory-mapped: columns load as they are touched)."""
    return _pyarrow_parquet().read_table(path, memory_map=True)
