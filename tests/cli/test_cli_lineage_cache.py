"""The lineage, cache, execution-diff and admin commands refuse bad input the way every
command does: one `error:` line naming the problem, a non-zero exit, no traceback."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from test_cli_registry import assert_one_line_error, graven

from graven.control_plane.app import ControlPlane

UNKNOWN_ARTIFACT = "sha256:" + "0" * 64


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (("lineage",), ("ARTIFACT", "--file")),
        (("lineage", "sha256:xyz"), ("'sha256:xyz'", "64 hex digits")),
        (("lineage", "some-execution", "--file", "x.txt"), ("one of them",)),
        (("lineage", "--file", "/no/such/file.csv"), ("/no/such/file.csv", "no such file")),
        (("lineage", "a/b"), ("'a/b'", "PROJECT/DOMAIN/NAME")),
        (("lineage", UNKNOWN_ARTIFACT, "--depth", "-1"), ("depth",)),
        (("lineage", UNKNOWN_ARTIFACT), ("NOT_FOUND",)),
        (("lineage", "nosuchexecution"), ("NOT_FOUND",)),
        (("cache", "evict"), ("--task", "--key", "--older-than")),
        (("cache", "evict", "--older-than", "soon"), ("soon",)),
        (("cache", "evict", "--older-than", "-5m"), ("negative",)),
        (("cache", "explain", "nosuchexecution", "n0"), ("NOT_FOUND",)),
        (("cache", "list", "-p", "Bad Project!"), ("INVALID_ARGUMENT", "project")),
        (("cache", "evict", "--task", "t", "-p", "Bad Project!"), ("INVALID_ARGUMENT",)),
        (("diff", "execution", "a", "b", "c"), ("graven diff execution A B",)),
        (("diff", "tasks", "some.task", "v1"), ("VERSION_B",)),
        (("diff", "execution", "nosuchexecution", "nosuchother"), ("NOT_FOUND",)),
    ],
)
def test_user_errors_are_one_line(
    control_plane: ControlPlane, args: tuple[str, ...], fragments: tuple[str, ...]
) -> None:
    # A project of its own: the shared control plane holds other tests' executions.
    project = ("-p", f"cli-{uuid.uuid4().hex[:10]}") if "-p" not in args else ()
    result = graven(*args, *project, endpoint=control_plane.grpc_address)
    assert_one_line_error(result, *fragments)


@pytest.mark.parametrize(
    ("options", "fragments"),
    [
        (("--store", "ftp://nowhere/graven"), ("ftp://nowhere/graven",)),
        (("--db", "nonsense"), ("database", "URL")),
        (("--db", "sqlite:////no/such/folder/graven.db"), ("database", "unable to open")),
    ],
)
def test_reindex_refuses_what_it_cannot_open(
    tmp_path: Path, options: tuple[str, ...], fragments: tuple[str, ...]
) -> None:
    result = graven("admin", "reindex", "--home", str(tmp_path), *options, endpoint="127.0.0.1:9")
    assert_one_line_error(result, *fragments)


def test_lineage_and_cache_commands_list_nothing_for_a_new_project(
    control_plane: ControlPlane,
) -> None:
    project = f"cli-{uuid.uuid4().hex[:10]}"
    at = control_plane.grpc_address
    listed = graven("cache", "list", "-p", project, "--json", endpoint=at)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.strip() == "[]"
    evicted = graven("cache", "evict", "-p", project, "--task", "some.task", endpoint=at)
    assert evicted.returncode == 0, evicted.stderr
    assert "Evicted 0 cache entries." in evicted.stdout
