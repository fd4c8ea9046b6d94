"""The SDK's versions against a real control plane: re-registration after edits."""

from __future__ import annotations

import uuid
from pathlib import Path

import grpc
import pytest
from auth_support import token_for
from sdk_support import copy_example, edit

from graven.control_plane.app import ControlPlane
from graven.remote import Registered, Remote
from graven.v1.identifier_pb2 import RESOURCE_TYPE_TASK, Identifier
from graven.v1.task_pb2 import Task


def by_name(registered: list[Registered]) -> dict[str, Registered]:
    return {r.id.name: r for r in registered}


def test_editing_one_task_registers_only_what_changed(
    control_plane: ControlPlane, tmp_path: Path
) -> None:
    root = copy_example(tmp_path)
    project = f"sdk-{uuid.uuid4().hex[:10]}"
    with Remote(control_plane.grpc_address, token=token_for(control_plane.grpc_address)) as remote:
        first = by_name(remote.register(root, project, "development"))
        assert all(r.created for r in first.values())

        again = by_name(remote.register(root, project, "development"))
        assert not any(r.created for r in again.values())
        assert {n: r.id.version for n, r in again.items()} == {
            n: r.id.version for n, r in first.items()
        }

        edit(root / "wordcount/tasks.py", "counts.get(word, 0) + 1", "counts.get(word, 0) + 10")
        edited = by_name(remote.register(root, project, "development"))
        assert {n for n, r in edited.items() if r.created} == {
            "wordcount.tasks.count_words",
            "wordcount.workflows.wordcount",
            "wordcount.workflows.compare",
            "wordcount.daily",
        }
        # An unchanged task keeps the bundle it was first registered with, which holds the
        # same code closure; the edited one runs from the new bundle.
        unchanged = remote.get(first["wordcount.tasks.split_words"].id)
        changed = remote.get(edited["wordcount.tasks.count_words"].id)
        assert isinstance(unchanged, Task)
        assert isinstance(changed, Task)
        assert (
            unchanged.spec.template.code.bundle_digest != changed.spec.template.code.bundle_digest
        )


def test_an_explicit_version_with_different_content_is_refused(
    control_plane: ControlPlane, tmp_path: Path
) -> None:
    root = copy_example(tmp_path)
    project = f"sdk-{uuid.uuid4().hex[:10]}"
    with Remote(control_plane.grpc_address, token=token_for(control_plane.grpc_address)) as remote:
        first = by_name(remote.register(root, project, "development", version="v1"))
        original = remote.get(first["wordcount.tasks.count_words"].id)
        edit(root / "wordcount/tasks.py", "counts.get(word, 0) + 1", "counts.get(word, 0) + 10")
        with pytest.raises(grpc.RpcError) as caught:
            remote.register(root, project, "development", version="v1")
        assert caught.value.code() == grpc.StatusCode.ALREADY_EXISTS
        assert "code_digest" in (caught.value.details() or "")
        stored = remote.get(
            Identifier(
                resource_type=RESOURCE_TYPE_TASK,
                project=project,
                domain="development",
                name="wordcount.tasks.count_words",
                version="v1",
            )
        )
        assert stored == original


def test_a_refused_registration_stores_none_of_its_entities(
    control_plane: ControlPlane, tmp_path: Path
) -> None:
    """One Register call: a clash on one entity leaves out the new ones beside it, even those
    registered before it (tasks go in name order: capitalize, then count_words)."""
    root = copy_example(tmp_path)
    project = f"sdk-{uuid.uuid4().hex[:10]}"
    with Remote(control_plane.grpc_address, token=token_for(control_plane.grpc_address)) as remote:
        remote.register(root, project, "development", version="v1")
        edit(root / "wordcount/tasks.py", "counts.get(word, 0) + 1", "counts.get(word, 0) + 10")
        added = "\n\n@task\ndef capitalize(text: str) -> str:\n    return text.upper()\n"
        (root / "wordcount/tasks.py").write_text((root / "wordcount/tasks.py").read_text() + added)
        with pytest.raises(grpc.RpcError) as caught:
            remote.register(root, project, "development", version="v1")
        assert caught.value.code() == grpc.StatusCode.ALREADY_EXISTS
        assert "].task: task " in (caught.value.details() or "")
        assert "wordcount.tasks.count_words@v1" in (caught.value.details() or "")
        names = {e.name for e in remote.list_names(RESOURCE_TYPE_TASK, project, "development")}
        assert "wordcount.tasks.split_words" in names
        assert "wordcount.tasks.capitalize" not in names
