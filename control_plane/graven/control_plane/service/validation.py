"""Checks on the fields of a request. Each failure is an InvalidArgument naming the field's
path in the request (``id.version``, ``spec.template.nodes[2].inputs[0]``)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from graven.control_plane.errors import InvalidArgument
from graven.control_plane.persistence.proto_columns import to_datetime
from graven.control_plane.service.identifiers import KIND_LABELS, resource_type_name
from graven.names import name_problem
from graven.shown import shown
from graven.v1.identifier_pb2 import Identifier

DIGEST_PATTERN = re.compile(r"sha256:[0-9a-f]{64}")
# The range of google.protobuf.Timestamp, which is also what both databases can store:
# 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z.
MIN_TIMESTAMP_SECONDS = -62_135_596_800
MAX_TIMESTAMP_SECONDS = 253_402_300_799
NANOS_PER_SECOND = 1_000_000_000
# An execution's labels, bounded as Kubernetes bounds its own (where labels often end up):
# a key is a name segment, letters, digits and ._- between alphanumerics.
MAX_LABELS = 64
MAX_LABEL_KEY_CHARS = 63
MAX_LABEL_VALUE_CHARS = 256
LABEL_KEY_PATTERN = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?")
# What a label value may not hold (a value is shown on one line): control characters, lone
# surrogates, line and paragraph separators.
UNPRINTED_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})


def require(present: bool, field: str) -> None:
    if not present:
        raise InvalidArgument(field, "is required")


def check_name(kind: str, value: str, field: str) -> None:
    """``kind`` is one of graven.names.PATTERNS: project, domain, name, version."""
    problem = name_problem(kind, value)
    if problem is not None:
        raise InvalidArgument(field, problem)


def check_resource_type(value: int, field: str, expected: int | None = None) -> None:
    """A registrable resource type; exactly ``expected`` when the rpc serves only one."""
    if expected is not None and value != expected:
        raise InvalidArgument(
            field, f"must be {resource_type_name(expected)}, not {resource_type_name(value)}"
        )
    if value not in KIND_LABELS:
        names = ", ".join(resource_type_name(kind) for kind in KIND_LABELS)
        raise InvalidArgument(field, f"must be one of {names}, not {resource_type_name(value)}")


def check_identifier(
    identifier: Identifier, field: str, expected: int, *, version_required: bool = True
) -> None:
    """An identifier of an ``expected``-type entity; an empty version is allowed only where
    it means "the latest"."""
    check_resource_type(identifier.resource_type, f"{field}.resource_type", expected)
    check_name("project", identifier.project, f"{field}.project")
    check_name("domain", identifier.domain, f"{field}.domain")
    check_name("name", identifier.name, f"{field}.name")
    if identifier.version or version_required:
        check_name("version", identifier.version, f"{field}.version")


def check_name_prefix(prefix: str, field: str) -> None:
    """Every non-empty start of a valid name is itself a valid name."""
    if prefix:
        check_name("name", prefix, field)


def check_digest(value: str, field: str) -> None:
    if not DIGEST_PATTERN.fullmatch(value):
        raise InvalidArgument(
            field, f"{shown(value)} is not a digest of the form sha256:<64 hex digits>"
        )


def check_labels(labels: Mapping[str, str], field: str) -> None:
    """At most MAX_LABELS labels, each key a short name segment and each value short text
    of one line; a failure names the label."""
    if len(labels) > MAX_LABELS:
        raise InvalidArgument(field, f"has {len(labels)} labels; at most {MAX_LABELS} are allowed")
    for key, value in sorted(labels.items()):
        at = f"{field}[{shown(key)}]"
        if len(key) > MAX_LABEL_KEY_CHARS:
            raise InvalidArgument(
                at, f"the key is {len(key)} characters long; at most {MAX_LABEL_KEY_CHARS}"
            )
        if not LABEL_KEY_PATTERN.fullmatch(key):
            raise InvalidArgument(at, f"the key must match {LABEL_KEY_PATTERN.pattern}")
        if len(value) > MAX_LABEL_VALUE_CHARS:
            raise InvalidArgument(
                at, f"the value is {len(value)} characters long; at most {MAX_LABEL_VALUE_CHARS}"
            )
        if any(unicodedata.category(c) in UNPRINTED_CATEGORIES for c in value):
            raise InvalidArgument(
                at, f"the value {shown(value)} holds control characters or line breaks"
            )


def checked_time(message: Any, name: str, field: str) -> datetime | None:
    """The Timestamp field ``name`` of ``message`` as a UTC datetime, None when unset."""
    if not message.HasField(name):
        return None
    at = getattr(message, name)
    if not (
        MIN_TIMESTAMP_SECONDS <= at.seconds <= MAX_TIMESTAMP_SECONDS
        and 0 <= at.nanos < NANOS_PER_SECOND
    ):
        raise InvalidArgument(field, "is not a valid timestamp (years 1 to 9999)")
    return to_datetime(at)
