"""Loading a user's project: import its modules and collect what it declares.

``load_project`` takes a ``.py`` file, a package or a plain directory, finds the project root
(``graven.project``), puts it first on ``sys.path`` and imports the modules afresh (any
module of the same name imported before, from this root or another, is dropped first), so a
long-lived process or a test that edits files always sees the code on disk. It collects the
tasks, workflows and launch plans the modules hold, plus the tasks, workflows and launch
plans those reference from other project modules, and compiles every workflow.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TypeVar

from graven.errors import GravenError, GravenLoadError, located
from graven.launch_plan import LaunchPlan
from graven.project import (
    is_project_module,
    module_name_of,
    module_of,
    module_path,
    project_root_of,
    source_files,
)
from graven.task import Task
from graven.workflow import Workflow

# Names a project may not take over: dropping them from sys.modules would break Graven.
PROTECTED_MODULES = frozenset({"graven", "__main__"}) | sys.stdlib_module_names

_inserted_roots: list[str] = []

T = TypeVar("T")


@dataclass(frozen=True)
class Project:
    """What a project declares, each kind sorted by name."""

    root: Path
    modules: tuple[str, ...]
    tasks: tuple[Task[..., object], ...]
    workflows: tuple[Workflow[..., object], ...]
    launch_plans: tuple[LaunchPlan, ...]


def load_project(path: Path) -> Project:
    """Import the project at ``path``; ``GravenError`` (one line, naming the file) if it fails."""
    path = Path(path).resolve()
    if not path.exists():
        raise GravenLoadError(f"{path}: no such file or directory")
    if path.is_file() and path.suffix != ".py":
        raise GravenLoadError(f"{path}: not a Python file")
    root = project_root_of(path)
    files = [path] if path.is_file() else list(source_files(path, root))
    if not files:
        raise GravenLoadError(f"{path}: no Python modules found")
    _use_root(root)
    modules = [_import(module_name_of(file, root), file) for file in files]
    return _collect(root, modules)


def _use_root(root: Path) -> None:
    """Put ``root`` first on sys.path, and forget modules that its own would shadow."""
    for previous in _inserted_roots:
        while previous in sys.path:
            sys.path.remove(previous)
    _inserted_roots[:] = [str(root)]
    sys.path.insert(0, str(root))
    top_level = {module_name_of(f, root).split(".")[0] for f in source_files(root, root)}
    for name, module in list(sys.modules.items()):
        top = name.split(".")[0]
        if top in PROTECTED_MODULES:
            continue
        path = module_path(module) if isinstance(module, ModuleType) else None
        if top in top_level or (path is not None and path.is_relative_to(root)):
            del sys.modules[name]
    importlib.invalidate_caches()


def _import(name: str, file: Path) -> ModuleType:
    try:
        return importlib.import_module(name)
    except GravenError as exc:
        raise located(str(file), exc) from exc
    except SyntaxError as exc:
        raise GravenLoadError(
            f"{exc.filename or file}:{exc.lineno}: SyntaxError: {exc.msg}"
        ) from exc
    except Exception as exc:
        raise GravenLoadError(f"{file}: cannot import {name}: {type(exc).__name__}: {exc}") from exc


def _collect(root: Path, modules: Iterable[ModuleType]) -> Project:
    tasks: dict[str, Task[..., object]] = {}
    workflows: dict[str, Workflow[..., object]] = {}
    plans: dict[str, LaunchPlan] = {}
    for module in modules:
        for value in vars(module).values():
            if isinstance(value, Task):
                _add(tasks, value.name, value)
            elif isinstance(value, Workflow):
                _add(workflows, value.name, value)
            elif isinstance(value, LaunchPlan):
                _add(plans, value.name, value)
                _add(workflows, value.workflow.name, value.workflow)
    # What the workflows use (tasks, subworkflows, launch plans as nodes) is registered with
    # them, wherever it is defined in the project; a used workflow uses more in turn.
    pending = list(workflows.values())
    while pending:
        compiled = pending.pop().compile()
        for used in compiled.tasks:
            _add(tasks, used.name, used)
        for launch_plan in compiled.launch_plans:
            _add(plans, launch_plan.name, launch_plan)
        for sub in (*compiled.sub_workflows, *(lp.workflow for lp in compiled.launch_plans)):
            if sub.name not in workflows:
                pending.append(sub)
            _add(workflows, sub.name, sub)
    entities: list[Task[..., object] | Workflow[..., object]] = [
        *tasks.values(),
        *workflows.values(),
    ]
    for entity in entities:
        owner = module_of(entity.fn)
        if owner is None or not is_project_module(owner, root):
            raise GravenLoadError(
                f"{entity.where}: is defined outside the project root {root}, so it would not "
                "be in the code bundle"
            )
    return Project(
        root=root,
        modules=tuple(sorted(m.__name__ for m in modules)),
        tasks=tuple(tasks[name] for name in sorted(tasks)),
        workflows=tuple(workflows[name] for name in sorted(workflows)),
        launch_plans=tuple(plans[name] for name in sorted(plans)),
    )


def _add(found: dict[str, T], name: str, value: T) -> None:
    other = found.setdefault(name, value)
    if other is not value:
        raise GravenLoadError(
            f"two different definitions are named {name!r}; names must be unique in a project"
        )
