"""Identifier and field checks: each failure names the field path."""

from __future__ import annotations

import pytest

from graven.control_plane.errors import InvalidArgument
from graven.control_plane.service.validation import (
    check_digest,
    check_identifier,
    check_name_prefix,
)
from graven.digests import sha256_hex
from graven.v1.identifier_pb2 import (
    RESOURCE_TYPE_TASK,
    RESOURCE_TYPE_UNSPECIFIED,
    RESOURCE_TYPE_WORKFLOW,
    Identifier,
)

GOOD = Identifier(
    resource_type=RESOURCE_TYPE_TASK, project="p", domain="dev", name="m.fn_1", version="V1.2-a"
)


def with_(**fields: object) -> Identifier:
    identifier = Identifier()
    identifier.CopyFrom(GOOD)
    for name, value in fields.items():
        setattr(identifier, name, value)
    return identifier


def test_a_good_identifier_passes() -> None:
    check_identifier(GOOD, "id", RESOURCE_TYPE_TASK)


@pytest.mark.parametrize(
    ("identifier", "field", "words"),
    [
        (with_(resource_type=RESOURCE_TYPE_WORKFLOW), "id.resource_type", "must be"),
        (with_(resource_type=RESOURCE_TYPE_UNSPECIFIED), "id.resource_type", "UNSPECIFIED"),
        (with_(project=""), "id.project", "must not be empty"),
        (with_(project="My-Project"), "id.project", "must match"),
        (with_(project="a" * 64), "id.project", "must match"),
        (with_(domain="dev.x"), "id.domain", "must match"),
        (with_(name="-leading-dash"), "id.name", "must match"),
        (with_(name="x" * 254), "id.name", "must match"),
        (with_(name="has space"), "id.name", "must match"),
        (with_(version=""), "id.version", "must not be empty"),
        (with_(version="v/1"), "id.version", "must match"),
        (with_(version="v" * 129), "id.version", "must match"),
    ],
)
def test_a_bad_identifier_names_the_field(identifier: Identifier, field: str, words: str) -> None:
    with pytest.raises(InvalidArgument, match=words) as caught:
        check_identifier(identifier, "id", RESOURCE_TYPE_TASK)
    assert caught.value.field == field


def test_an_unknown_resource_type_number_is_named() -> None:
    with pytest.raises(InvalidArgument, match="unknown resource type 42"):
        check_identifier(with_(resource_type=42), "id", RESOURCE_TYPE_TASK)


def test_an_empty_version_means_latest_where_allowed() -> None:
    check_identifier(with_(version=""), "id", RESOURCE_TYPE_TASK, version_required=False)


@pytest.mark.parametrize("prefix", ["", "a", "m.fn_", "x" * 253])
def test_name_prefixes(prefix: str) -> None:
    check_name_prefix(prefix, "name_prefix")


@pytest.mark.parametrize("prefix", ["A", "_x", "a%", "x" * 254])
def test_bad_name_prefixes(prefix: str) -> None:
    with pytest.raises(InvalidArgument):
        check_name_prefix(prefix, "name_prefix")


@pytest.mark.parametrize(
    "digest", ["", "sha256:", "md5:" + "0" * 32, "sha256:" + "A" * 64, "sha256:" + "0" * 63]
)
def test_bad_digests(digest: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        check_digest(digest, "header.digest")
    assert caught.value.field == "header.digest"


def test_a_real_digest_passes() -> None:
    check_digest(sha256_hex(b"x"), "digest")
