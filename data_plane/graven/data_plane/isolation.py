"""One bundle's modules at a time in a worker process.

Two versions of one project can meet in a Ray worker (an old version relaunched beside a new
one), and both define, say, ``pipeline`` and ``helpers``. Python keeps one ``sys.modules``,
so before a task of a bundle runs, the modules of the bundle that ran last are stashed away
and this bundle's are put back, with its root first on ``sys.path``. Functions keep their
module's globals, so a task imported earlier still sees its own helpers; an ``import`` at
call time resolves inside the running bundle. Switching costs a scan of ``sys.modules`` only
when the bundle changes, never between two tasks of one bundle.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

# Names a bundle may not shadow: the interpreter's own and the ones the worker runs on.
PROTECTED = frozenset(sys.stdlib_module_names) | {"graven", "ray"}


class ModuleSpace:
    """The modules of one extracted bundle, whether in ``sys.modules`` or stashed."""

    def __init__(self, root: Path) -> None:
        self.root = str(root)
        self._inside = self.root + os.sep
        self.stashed: dict[str, ModuleType] = {}
        # Modules of the same names from elsewhere, hidden while this bundle is active.
        self.shadowed: dict[str, ModuleType] = {}
        self.top_level = frozenset(_top_level_names(root)) - PROTECTED

    def owns(self, module: ModuleType) -> bool:
        spec = getattr(module, "__spec__", None)
        origin = getattr(spec, "origin", None) or getattr(module, "__file__", None)
        if isinstance(origin, str) and origin.startswith(self._inside):
            return True
        locations = getattr(spec, "submodule_search_locations", None) or ()
        return any(str(location).startswith(self._inside) for location in locations)

    def _provides(self, name: str) -> bool:
        return name.partition(".")[0] in self.top_level

    def enter(self) -> None:
        for name in [n for n in sys.modules if self._provides(n)]:
            self.shadowed[name] = sys.modules.pop(name)
        sys.modules.update(self.stashed)
        self.stashed.clear()
        sys.path.insert(0, self.root)
        importlib.invalidate_caches()

    def leave(self) -> None:
        for name, module in list(sys.modules.items()):
            if self._provides(name) or self.owns(module):
                self.stashed[name] = sys.modules.pop(name)
        sys.modules.update(self.shadowed)
        self.shadowed.clear()
        while self.root in sys.path:
            sys.path.remove(self.root)
        importlib.invalidate_caches()


def _top_level_names(root: Path) -> Iterator[str]:
    for entry in root.iterdir():
        if entry.is_dir() and entry.name.isidentifier():
            yield entry.name
        elif entry.suffix == ".py" and entry.stem.isidentifier():
            yield entry.stem


_lock = threading.RLock()
_spaces: dict[str, ModuleSpace] = {}
_active: ModuleSpace | None = None


@contextmanager
def activated(root: Path) -> Iterator[ModuleSpace]:
    """Run the body with ``root``'s modules importable and no other bundle's visible."""
    global _active
    with _lock:
        space = _spaces.get(str(root))
        if space is None:
            space = _spaces[str(root)] = ModuleSpace(root)
        if _active is not space:
            if _active is not None:
                _active.leave()
            space.enter()
            _active = space
        yield space
