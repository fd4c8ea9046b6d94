"""What a user's project is on disk: its root, its modules and its source files.

The project root is the nearest directory that is not a package (has no ``__init__.py``):
the directory Python would put on ``sys.path`` to import the user's modules. Module names,
and so task names, are relative to it. One rule decides which files are project source, so
the loader imports exactly what the bundle ships: ``.py`` files and small data files, minus
tests, hidden folders, virtual environments and build output. Tests are left out because a
worker never needs them, and importing them at registration would run test-only code.
"""

from __future__ import annotations

import contextlib
import sys
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

SOURCE_SUFFIXES = frozenset({".py"})
DATA_SUFFIXES = frozenset(
    {".json", ".yaml", ".yml", ".toml", ".txt", ".csv", ".sql", ".cfg", ".ini"}
)
SKIPPED_DIRS = frozenset(
    {"__pycache__", "node_modules", "site-packages", "build", "dist", "venv", "tests", "test"}
)
TEST_FILES = ("test_*.py", "*_test.py", "conftest.py")


def is_package(directory: Path) -> bool:
    return (directory / "__init__.py").is_file()


def project_root_of(path: Path) -> Path:
    """The nearest directory at or above ``path`` (a file's folder) that is not a package."""
    directory = path.resolve()
    if not directory.is_dir():
        directory = directory.parent
    while is_package(directory) and directory.parent != directory:
        directory = directory.parent
    return directory


def module_name_of(file: Path, root: Path) -> str:
    """The dotted module name of ``file`` when ``root`` is on ``sys.path``."""
    relative = file.resolve().relative_to(root.resolve()).with_suffix("")
    parts = relative.parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _skipped_dir(name: str) -> bool:
    return name.startswith(".") or name in SKIPPED_DIRS or name.endswith(".egg-info")


def _is_project_file(path: Path, root: Path) -> bool:
    relative = path.relative_to(root)
    if any(_skipped_dir(part) for part in relative.parts[:-1]):
        return False
    if path.name.startswith(".") or any(path.match(pattern) for pattern in TEST_FILES):
        return False
    return path.suffix in SOURCE_SUFFIXES | DATA_SUFFIXES


def project_files(root: Path) -> Iterator[Path]:
    """Every project file under ``root`` (sources and data), in sorted order."""
    root = root.resolve()
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink() and _is_project_file(path, root):
            yield path


def source_files(directory: Path, root: Path) -> Iterator[Path]:
    """The project's Python sources at or under ``directory``."""
    directory = directory.resolve()
    for path in project_files(root):
        if path.suffix == ".py" and path.is_relative_to(directory):
            yield path


@dataclass(frozen=True)
class _Origin:
    """Where a module object was imported from."""

    file: str
    path: Path
    root: Path | None
    is_project_file: bool


# Remembered per module object: a module object comes from one file, and a registration asks
# about the same few hundred modules many times, each a path resolution (a system call per
# path component). A new import is a new module object, so edited code is never missed.
_origins: weakref.WeakKeyDictionary[ModuleType, _Origin] = weakref.WeakKeyDictionary()


def _origin(module: ModuleType) -> _Origin | None:
    file = getattr(module, "__file__", None)
    if not isinstance(file, str):
        return None
    try:
        origin = _origins.get(module)
    except TypeError:  # sys.modules may hold objects that are not weakly referable
        origin = None
    if origin is not None and origin.file == file:
        return origin
    path = Path(file).resolve()
    root: Path | None
    if module.__name__ == "__main__":
        root = project_root_of(path)
    else:
        # An alias in sys.modules may carry a name deeper than its file's path.
        depth = module.__name__.count(".") + (1 if path.name == "__init__.py" else 0)
        root = path.parents[depth] if depth < len(path.parents) else None
    is_project_file = root is not None and (
        module.__name__ == "__main__" or (path.suffix == ".py" and _is_project_file(path, root))
    )
    origin = _Origin(file, path, root, is_project_file)
    with contextlib.suppress(TypeError):
        _origins[module] = origin
    return origin


def module_path(module: ModuleType) -> Path | None:
    """The resolved file ``module`` was imported from, or None if it has none."""
    origin = _origin(module)
    return None if origin is None else origin.path


def module_root(module: ModuleType) -> Path | None:
    """The directory ``module`` was imported from (the sys.path entry), or None if unknown."""
    origin = _origin(module)
    return None if origin is None else origin.root


def is_project_module(module: ModuleType, root: Path) -> bool:
    """Whether ``module`` is the user's code under ``root`` (not stdlib, not installed)."""
    origin = _origin(module)
    return origin is not None and origin.root == root and origin.is_project_file


def main_module_name(module: ModuleType) -> str:
    """A module's name relative to its project root, even when it runs as ``__main__``."""
    if module.__name__ != "__main__" or getattr(module, "__file__", None) is None:
        return module.__name__
    file = Path(str(module.__file__))
    return module_name_of(file, project_root_of(file))


def module_of(obj: object) -> ModuleType | None:
    name = getattr(obj, "__module__", None)
    return sys.modules.get(name) if isinstance(name, str) else None
