"""Code bundles (deterministic, safe to extract) and project loading."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest
from sdk_support import copy_example, edit

from graven.bundle import build_bundle, extract_bundle
from graven.errors import GravenBundleError, GravenDefinitionError, GravenLoadError
from graven.loader import load_project
from graven.project import project_root_of


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_example(tmp_path)


def test_bundles_are_deterministic(project: Path, tmp_path: Path) -> None:
    first = build_bundle(project)
    assert first == build_bundle(project)
    assert first.digest.startswith("sha256:")
    assert first.size == len(first.data)
    for path in project.rglob("*.py"):
        os.utime(path, (1_000_000, 1_000_000))
    assert build_bundle(project).digest == first.digest
    assert build_bundle(copy_example(tmp_path / "other")).digest == first.digest


def test_bundles_change_with_content(project: Path) -> None:
    before = build_bundle(project).digest
    edit(project / "wordcount/text.py", "STOPWORDS", "STOP_WORDS")
    assert build_bundle(project).digest != before


def test_bundles_hold_project_sources_only(project: Path) -> None:
    for junk in [
        ".venv/lib/x.py",
        ".git/config.py",
        "wordcount/__pycache__/t.py",
        "tests/test_x.py",
        "node_modules/m.py",
        "wordcount/test_tasks.py",
        "conftest.py",
        "dist/pkg.py",
    ]:
        (project / junk).parent.mkdir(parents=True, exist_ok=True)
        (project / junk).write_text("x = 1\n")
    (project / "wordcount" / "stopwords.json").write_text("[]")
    (project / "wordcount" / "model.bin").write_bytes(b"\0")
    assert build_bundle(project).files == (
        "wordcount/__init__.py",
        "wordcount/stopwords.json",
        "wordcount/tasks.py",
        "wordcount/text.py",
        "wordcount/workflows.py",
    )


def test_archive_entries_carry_no_local_metadata(project: Path) -> None:
    with tarfile.open(fileobj=io.BytesIO(build_bundle(project).data), mode="r:gz") as tar:
        for member in tar.getmembers():
            assert (
                member.mtime,
                member.uid,
                member.gid,
                member.uname,
                member.gname,
                member.mode,
            ) == (
                0,
                0,
                0,
                "",
                "",
                0o644,
            )


def test_extract_restores_the_tree(project: Path, tmp_path: Path) -> None:
    bundle = build_bundle(project)
    dest = tmp_path / "extracted"
    extract_bundle(bundle.data, dest)
    for name in bundle.files:
        assert (dest / name).read_bytes() == (project / name).read_bytes()
    archive = tmp_path / "bundle.tar.gz"
    archive.write_bytes(bundle.data)
    extract_bundle(archive, tmp_path / "again")
    assert build_bundle(tmp_path / "again").digest == bundle.digest


def hostile(member: tarfile.TarInfo, content: bytes = b"x") -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as tar:
        member.size = len(content) if member.isfile() else 0
        tar.addfile(member, io.BytesIO(content) if member.isfile() else None)
    return raw.getvalue()


def symlink(name: str, target: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.SYMTYPE
    info.linkname = target
    return info


@pytest.mark.parametrize(
    "member",
    [
        tarfile.TarInfo("../escape.py"),
        tarfile.TarInfo("pkg/../../escape.py"),
        tarfile.TarInfo("/etc/escape.py"),
        symlink("link.py", "/etc/passwd"),
    ],
    ids=["parent", "nested-parent", "absolute", "symlink"],
)
def test_extract_refuses_entries_outside_the_destination(
    member: tarfile.TarInfo, tmp_path: Path
) -> None:
    dest = tmp_path / "dest"
    with pytest.raises(GravenBundleError, match="bundle entry"):
        extract_bundle(hostile(member), dest)
    assert not (tmp_path / "escape.py").exists()
    assert not dest.exists() or not any(dest.iterdir())


def test_extract_refuses_garbage(tmp_path: Path) -> None:
    with pytest.raises(GravenBundleError, match="cannot be extracted"):
        extract_bundle(b"not a tarball", tmp_path / "dest")


def test_load_a_directory(project: Path) -> None:
    loaded = load_project(project)
    assert loaded.root == project.resolve()
    assert loaded.modules == (
        "wordcount",
        "wordcount.tasks",
        "wordcount.text",
        "wordcount.workflows",
    )
    assert [w.name for w in loaded.workflows] == [
        "wordcount.workflows.compare",
        "wordcount.workflows.wordcount",
    ]
    assert [p.name for p in loaded.launch_plans] == ["wordcount.daily"]
    assert len(loaded.tasks) == 5


def test_load_a_package_or_a_file_finds_the_same_root(project: Path) -> None:
    assert load_project(project / "wordcount").root == project.resolve()
    loaded = load_project(project / "wordcount" / "workflows.py")
    assert loaded.root == project.resolve()
    assert loaded.modules == ("wordcount.workflows",)
    # Tasks come along with the workflows that use them, wherever they are defined.
    assert {t.name for t in loaded.tasks} == {
        "wordcount.tasks.split_words",
        "wordcount.tasks.count_words",
        "wordcount.tasks.merge_counts",
        "wordcount.tasks.summarize",
        "wordcount.tasks.render_report",
    }
    assert project_root_of(project / "wordcount" / "tasks.py") == project.resolve()


def test_loading_sees_edits_made_since_the_last_load(project: Path) -> None:
    workflows = project / "wordcount" / "workflows.py"
    assert load_project(workflows).workflows[1].fn("cc cc dd dd dd", 1, None).stats.top_words == [
        "dd"
    ]
    edit(project / "wordcount/tasks.py", "ranked[:top]", "ranked[:top][::-1]")
    assert load_project(workflows).workflows[1].fn("cc cc dd dd dd", 2, None).stats.top_words == [
        "cc",
        "dd",
    ]


def test_import_errors_are_one_line_naming_the_file(project: Path) -> None:
    broken = project / "wordcount" / "broken.py"
    broken.write_text("x = 1\ny = 1 / 0\n")
    with pytest.raises(GravenLoadError) as info:
        load_project(project)
    assert (
        str(info.value)
        == f"{broken}: cannot import wordcount.broken: ZeroDivisionError: division by zero"
    )


def test_syntax_errors_name_the_line(project: Path) -> None:
    broken = project / "wordcount" / "broken.py"
    broken.write_text("def f(:\n")
    with pytest.raises(GravenLoadError, match=rf"^{broken}:1: SyntaxError: "):
        load_project(project)


def test_definition_errors_keep_their_class_and_gain_the_file(project: Path) -> None:
    broken = project / "wordcount" / "broken.py"
    broken.write_text("from graven import task\n\n@task\ndef f(x) -> int:\n    return 1\n")
    with pytest.raises(GravenDefinitionError) as info:
        load_project(project)
    assert str(info.value) == (
        f"{broken}: task 'wordcount.broken.f': parameter 'x' has no type annotation; "
        "annotate it, e.g. x: int"
    )


def test_missing_paths(tmp_path: Path) -> None:
    with pytest.raises(GravenLoadError, match="no such file or directory"):
        load_project(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(GravenLoadError, match="no Python modules found"):
        load_project(tmp_path / "empty")
