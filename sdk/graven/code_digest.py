"""The code digest of a task: what its behaviour may depend on, hashed.

It covers, as text:

- the function's own source (with its decorator, so options written there count);
- in the function's module, the module-level names it references, followed transitively:
  the source of functions and classes, a stable repr of constants (sets sorted, memory
  addresses dropped, so two runs of the same code agree);
- the whole source of every project-local module it references (a module object, or a name
  imported from one), and of the project-local modules those import, transitively;
- the Graven version.

Neighbours stay out: a function in the same module that the task does not reference is not
part of its digest, so editing one task re-versions that task only. Installed and standard
library modules stay out too: they are not in the code bundle, and their version is the
environment's business. Names are found syntactically (``ast`` over the source, every
``Name`` and attribute), which may over-include a same-named global but never misses one.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib.util
import inspect
import linecache
import re
import sys
import textwrap
import types
from collections.abc import Iterator, Set
from pathlib import Path

from graven.digests import PREFIX
from graven.project import is_project_module, module_of, module_root
from graven.version import __version__

ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
MAX_REPR_DEPTH = 8
# Parsed sources, and files whose function sources are, remembered (see _names_in_source and
# _source).
PARSED_SOURCES = 4096
REMEMBERED_FILES = 256


def code_digest(fn: types.FunctionType | object) -> str:
    """ "sha256:<hex>" over ``fn``'s code closure (see the module docstring)."""
    closure = _Closure(module_of(fn))
    closure.add_definition(fn)
    closure.parts["graven"] = __version__.encode()
    digest = hashlib.sha256()
    for key in sorted(closure.parts):
        content = closure.parts[key]
        digest.update(f"{key}\x00{len(content)}\x00".encode())
        digest.update(content)
    return PREFIX + digest.hexdigest()


class _Closure:
    def __init__(self, home: types.ModuleType | None) -> None:
        self.home = home
        self.root = module_root(home) if home is not None else None
        self.parts: dict[str, bytes] = {}

    def add_definition(self, obj: object) -> None:
        """A function or class of the home module: its source, then the names it uses."""
        key = f"definition:{getattr(obj, '__qualname__', repr(obj))}"
        if key in self.parts:
            return
        source, names = _source_and_names(obj)
        self.parts[key] = source.encode()
        for name in sorted(names):
            self.add_name(name)

    def add_name(self, name: str) -> None:
        if self.home is None or name not in vars(self.home):
            return
        value = _unwrapped(vars(self.home)[name])
        if isinstance(value, types.ModuleType):
            self.add_module(value)
        elif inspect.isfunction(value) or inspect.isclass(value):
            self.add_defined(value)
        else:
            self.parts[f"value:{name}"] = _stable_repr(value, 0).encode()
            self.add_defined(type(value))

    def add_defined(self, obj: object) -> None:
        """A function or class: its own source if it lives in the home module, else the
        source of its module when that is project code."""
        owner = module_of(obj)
        if owner is None:
            return
        if owner is self.home:
            self.add_definition(obj)
        else:
            self.add_module(owner)

    def add_module(self, module: types.ModuleType) -> None:
        # The home module is never added whole: that would tie the task to its neighbours.
        key = f"module:{module.__name__}"
        if (
            module is self.home
            or key in self.parts
            or self.root is None
            or not is_project_module(module, self.root)
        ):
            return
        source = Path(str(module.__file__)).read_bytes()
        self.parts[key] = source
        for name in sorted(_imported_modules(source, module.__package__ or "")):
            imported = sys.modules.get(name)
            if imported is not None:
                self.add_module(imported)


def _unwrapped(value: object) -> object:
    """The function under a decorator that kept ``__wrapped__`` (a Task, functools.wraps)."""
    if isinstance(value, types.ModuleType) or not callable(value):
        return value
    try:
        return inspect.unwrap(value)
    except ValueError:
        return value


def _source_and_names(obj: object) -> tuple[str, Set[str]]:
    try:
        source = _source(obj)
        return source, _names_in_source(source)
    except (OSError, TypeError, SyntaxError):
        # No readable source (a lambda in an expression, code built at run time): fall back
        # to the compiled code, which changes whenever the code does.
        code = getattr(obj, "__code__", None)
        if not isinstance(code, types.CodeType):
            return repr(obj), set()
        return _code_text(code), set(_code_names(code))


def _source(obj: object) -> str:
    """``inspect.getsource(obj)``, remembered for functions in ``.py`` files.

    A function's source is cut from its file's lines (linecache's, as inspect reads them) at
    its first line, and depends on nothing else; so it is remembered by the two, and a
    function re-registered unchanged, though its module was imported afresh, is not
    tokenized again (most of a re-registration's digest work otherwise).
    """
    function = inspect.unwrap(obj)  # type: ignore[arg-type]
    code = function.__code__ if isinstance(function, types.FunctionType) else None
    if code is None or not code.co_filename.endswith(".py"):
        return inspect.getsource(obj)  # type: ignore[arg-type]
    linecache.checkcache(code.co_filename)
    lines = tuple(linecache.getlines(code.co_filename))
    if not lines:
        return inspect.getsource(obj)  # type: ignore[arg-type]
    if lines not in _function_sources and len(_function_sources) >= REMEMBERED_FILES:
        _function_sources.clear()
    by_first_line = _function_sources.setdefault(lines, {})
    source = by_first_line.get(code.co_firstlineno)
    if source is None:
        source = by_first_line[code.co_firstlineno] = inspect.getsource(function)
    return source


# Function sources by the lines of their file, then by their first line (see _source).
_function_sources: dict[tuple[str, ...], dict[int, str]] = {}


# The text is all the names depend on, so a definition re-registered unchanged (whose module
# was imported afresh) is not parsed again.
@functools.lru_cache(maxsize=PARSED_SOURCES)
def _names_in_source(source: str) -> frozenset[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(textwrap.dedent(source))):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
    return frozenset(names)


def _code_names(code: types.CodeType) -> Iterator[str]:
    yield from code.co_names
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_names(const)


def _code_text(code: types.CodeType) -> str:
    consts = [
        _code_text(c) if isinstance(c, types.CodeType) else _stable_repr(c, 0)
        for c in code.co_consts
    ]
    return f"{code.co_code.hex()}|{code.co_names}|{consts}"


@functools.lru_cache(maxsize=PARSED_SOURCES)
def _imported_modules(source: bytes, package: str) -> frozenset[str]:
    """Every module name an ``import`` in ``source`` may load (parents and submodules)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return frozenset()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            try:
                base = importlib.util.resolve_name("." * node.level + (node.module or ""), package)
            except ImportError:
                continue
            candidates = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in candidates:
            parts = name.split(".")
            names.update(".".join(parts[: i + 1]) for i in range(len(parts)))
    return frozenset(names)


def _stable_repr(value: object, depth: int) -> str:
    """A repr that is the same in every process for the same value."""
    if depth > MAX_REPR_DEPTH:
        return f"<{type(value).__qualname__}>"
    kind = type(value).__qualname__
    if isinstance(value, set | frozenset):
        items = sorted(_stable_repr(v, depth + 1) for v in value)
        return f"{kind}{{{', '.join(items)}}}"
    if isinstance(value, dict):
        pairs = (
            f"{_stable_repr(k, depth + 1)}: {_stable_repr(v, depth + 1)}" for k, v in value.items()
        )
        return f"{kind}{{{', '.join(pairs)}}}"
    if isinstance(value, list | tuple):
        return f"{kind}[{', '.join(_stable_repr(v, depth + 1) for v in value)}]"
    try:
        return ADDRESS.sub("", repr(value))
    except Exception:
        return f"<{kind}>"
