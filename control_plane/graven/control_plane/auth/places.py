"""Where a request or an answer is: the (project, domain) pairs it names.

A request names its places in known fields (the policy table says which); an answer or a
registration is walked whole, so an identifier added to a message later is checked too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from google.protobuf.descriptor import FieldDescriptor

from graven.v1.identifier_pb2 import ExecutionIdentifier, Identifier

Place = tuple[str, str]
# Reads the places of a request; an empty list means the request names none (content is
# addressed by its hash), so the role in any one scope is enough.
Places = Callable[[Any], list[Place]]
IDENTIFIERS = (Identifier.DESCRIPTOR.full_name, ExecutionIdentifier.DESCRIPTOR.full_name)


def nowhere(_request: Any) -> list[Place]:
    return []


def everywhere(_request: Any) -> list[Place]:
    """Calls about the whole control plane (tokens): only a ``*/*`` scope covers them."""
    return [("", "")]


def filters(request: Any) -> list[Place]:
    """A list's project and domain filters (empty: all of them)."""
    return [(request.project, request.domain)]


def at(*path: str) -> Places:
    """The project and domain of the identifier at ``path`` (field names, outermost first)."""

    def places(request: Any) -> list[Place]:
        identifier = request
        for name in path:
            identifier = getattr(identifier, name)
        return [(identifier.project, identifier.domain)]

    return places


def each(*paths: tuple[str, ...]) -> Places:
    readers = [at(*path) for path in paths]
    return lambda request: [place for read in readers for place in read(request)]


def walked(message: Any) -> list[Place]:
    return sorted(set(named_places(message)))


def named_places(message: Any) -> Iterator[Place]:
    """Every (project, domain) an Identifier or ExecutionIdentifier anywhere in ``message``
    names (set fields only: an unset identifier names nothing)."""
    if message.DESCRIPTOR.full_name in IDENTIFIERS:
        project = message.project
        domain = message.domain
        if project or domain:
            yield project, domain
        return
    for field, value in message.ListFields():
        if field.type != FieldDescriptor.TYPE_MESSAGE:
            continue
        entry: Any = field.message_type
        if entry.GetOptions().map_entry:
            if entry.fields_by_name["value"].type == FieldDescriptor.TYPE_MESSAGE:
                for item in value.values():
                    yield from named_places(item)
        elif field.is_repeated:
            for item in value:
                yield from named_places(item)
        else:
            yield from named_places(value)
