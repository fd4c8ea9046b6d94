"""How the CLI speaks: rich tables for people, JSON for programs, one line for errors."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from datetime import UTC

from google.protobuf import json_format
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from graven.v1.identifier_pb2 import ExecutionIdentifier

console = Console()
errors = Console(stderr=True)


def print_json(value: Message | Sequence[Message] | dict[str, object]) -> None:
    if isinstance(value, Message):
        data: object = to_dict(value)
    elif isinstance(value, dict):
        data = value
    else:
        data = [to_dict(m) for m in value]
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=True) + "\n")


def to_dict(message: Message) -> dict[str, object]:
    return json_format.MessageToDict(message, preserving_proto_field_name=True)


def table(title: str, columns: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    t = Table(title=title, title_justify="left")
    for column in columns:
        t.add_column(column, overflow="fold")
    for row in rows:
        # Cells hold user data (names, types like list[int]): never rich markup.
        t.add_row(*(Text(cell) for cell in row))
    console.print(t)


def when(ts: Timestamp) -> str:
    if not ts.seconds and not ts.nanos:
        return "-"
    return ts.ToDatetime(tzinfo=UTC).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def full_name(eid: ExecutionIdentifier) -> str:
    """An execution as a user types it: PROJECT/DOMAIN/NAME."""
    return f"{eid.project}/{eid.domain}/{eid.name}"


def short_digest(digest: str) -> str:
    """Enough of a digest to tell two apart at a glance: its first 16 hex digits."""
    return digest.removeprefix("sha256:")[:16] if digest else "-"


def fail(message: str) -> None:
    """Print one readable line for a user error; the caller exits non-zero."""
    # The message quotes user data (types like list[int]): never rich markup.
    errors.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
