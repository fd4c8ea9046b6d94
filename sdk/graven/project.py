"""What a user's project is on disk: its root, its modules and its source files.

The project root is the nearest directory that is not a package (has no ``__init__.py``):
the directory Python would put on ``sys.path`` to import the user's modules. Module names,
and so task names, are relative to it. One rule decides which files are project source, so
the loader imports exactly what the bundle ships: ``.py`` files and small data files, minus
tests, hidden folders, virtual environments and build output. Tests are left out because a
worker never needs them, and importing them at registration would run test-only code.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
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


def module_root(module: ModuleType) -> Path | None:
    """The directory ``module`` was imported from (the sys.path entry), or None if unknown."""
    file = getattr(module, "__file__", None)
    if file is None:
        return None
    path = Path(file).resolve()
    depth = module.__name__.count(".") + (1 if path.name == "__init__.py" else 0)
    if module.__name__ == "__main__":
        return project_root_of(path)
    return path.parents[depth]


def is_project_module(module: ModuleType, root: Path) -> bool:
    """Whether ``module`` is the user's code under ``root`` (not stdlib, not installed)."""
    file = getattr(module, "__file__", None)
    if file is None or module_root(module) != root:
        return False
    path = Path(file).resolve()
    return module.__name__ == "__main__" or (path.suffix == ".py" and _is_project_file(path, root))


def main_module_name(module: ModuleType) -> str:
    """A module's name relative to its project root, even when it runs as ``__main__``."""
    if module.__name__ != "__main__" or getattr(module, "__file__", None) is None:
        return module.__name__
    file = Path(str(module.__file__))
    return module_name_of(file, project_root_of(file))


def module_of(obj: object) -> ModuleType | None:
    name = getattr(obj, "__module__", None)
    return sys.modules.get(name) if isinstance(name, str) else None
