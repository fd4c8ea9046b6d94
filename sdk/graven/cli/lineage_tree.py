"""Lineage graphs as trees a person reads.

Upstream, each artifact sits over the step that produced it, and that step over the
artifacts it consumed, down to the workflow inputs; downstream is the same walk towards the
consumers. A step names its node, execution, task version and code digest, and a cache hit
names the node execution whose outputs it reused. An artifact met twice (a diamond in the
graph) is shown once and referred to after.
"""

from __future__ import annotations

from collections import defaultdict

from rich.markup import escape
from rich.tree import Tree

from graven.cli.output import full_name, short_digest
from graven.types import describe_type
from graven.v1 import identifier_pb2 as idl
from graven.v1 import lineage_pb2 as lp

UNITS = ("B", "KiB", "MiB", "GiB", "TiB")


class LineageView:
    """A graph indexed both ways: the steps producing each artifact, the steps consuming it."""

    def __init__(self, graph: lp.LineageGraph) -> None:
        self.graph = graph
        self.artifacts = {a.hash: a for a in graph.artifacts}
        self.producers: dict[str, list[lp.LineageStep]] = defaultdict(list)
        self.consumers: dict[str, list[lp.LineageStep]] = defaultdict(list)
        for step in sorted(graph.steps, key=_step_order):
            for artifact_hash in step.outputs.values():
                self.producers[artifact_hash].append(step)
            for artifact_hash in step.inputs.values():
                self.consumers[artifact_hash].append(step)

    def artifact_tree(self, artifact_hash: str, *, upstream: bool, downstream: bool) -> Tree:
        tree = Tree(f"[bold]artifact[/] {self.artifact_label(artifact_hash, full=True)}")
        if upstream:
            section = self._section(tree, "upstream", downstream)
            self._steps(section, artifact_hash, True, None, {artifact_hash})
        if downstream:
            section = self._section(tree, "downstream", upstream)
            self._steps(section, artifact_hash, False, None, {artifact_hash})
        return tree

    def execution_tree(
        self, execution_id: idl.ExecutionIdentifier, *, upstream: bool, downstream: bool
    ) -> Tree:
        """Upstream from the execution's final outputs (the outputs no other of its nodes
        consumed); downstream from its inputs."""
        ordered = sorted(self.graph.steps, key=_step_order)
        own = [s for s in ordered if s.id.execution_id == execution_id]
        tree = Tree(f"[bold]execution[/] {escape(full_name(execution_id))}")
        if own and own[0].workflow_id.name:
            w = own[0].workflow_id
            tree.label = f"{tree.label}  workflow {escape(w.name)} [cyan]{escape(w.version)}[/]"
        if upstream:
            consumed = {h for s in own for h in s.inputs.values()}
            roots = [
                (f"{s.id.node_id}.{name}", h)
                for s in own
                if s.id.node_id
                for name, h in sorted(s.outputs.items())
                if h not in consumed
            ]
            section = self._section(tree, "upstream (from its final outputs)", downstream)
            seen: set[str] = set()
            for name, artifact_hash in roots:
                self._artifact(section, artifact_hash, name, True, execution_id, seen, full=True)
        if downstream:
            roots = [(n, h) for s in own if not s.id.node_id for n, h in sorted(s.outputs.items())]
            section = self._section(tree, "downstream (from its inputs)", upstream)
            seen = set()
            for name, artifact_hash in roots:
                self._artifact(section, artifact_hash, name, False, execution_id, seen, full=True)
        return tree

    def artifact_label(self, artifact_hash: str, name: str = "", *, full: bool = False) -> str:
        """Its hash (whole, or enough to tell it apart: --json has every hash whole), type
        and size."""
        shown = artifact_hash if full else f"sha256:{short_digest(artifact_hash)}…"
        label = f"[bold]{escape(name)}[/] = {shown}" if name else shown
        found = self.artifacts.get(artifact_hash)
        if found is not None:
            label += f"  [magenta]{escape(describe_type(found.type))}[/]  {human_size(found.size)}"
        return label

    def _artifact(
        self,
        parent: Tree,
        artifact_hash: str,
        name: str,
        upstream: bool,
        home: idl.ExecutionIdentifier | None,
        seen: set[str],
        *,
        full: bool = False,
    ) -> None:
        """An artifact, then the steps on the far side of it, once per tree."""
        child = parent.add(self.artifact_label(artifact_hash, name, full=full))
        if artifact_hash in seen:
            child.label = f"{child.label}  [dim](shown above)[/]"
            return
        seen.add(artifact_hash)
        self._steps(child, artifact_hash, upstream, home, seen)

    def _steps(
        self,
        parent: Tree,
        artifact_hash: str,
        upstream: bool,
        home: idl.ExecutionIdentifier | None,
        seen: set[str],
    ) -> None:
        """The steps that produced (upstream) or consumed an artifact, each with the artifacts
        on its far side."""
        steps = (self.producers if upstream else self.consumers).get(artifact_hash, [])
        if home is not None:
            # Within an execution, its own steps tell its story; other executions' records of
            # the same value (say, the run a cache hit reused) only when it has none.
            steps = [s for s in steps if s.id.execution_id == home] or steps
        for step in steps:
            branch = parent.add(step_label(step, home))
            far_side = step.inputs if upstream else step.outputs
            for name, next_hash in sorted(far_side.items()):
                self._artifact(branch, next_hash, name, upstream, home, seen)

    @staticmethod
    def _section(tree: Tree, title: str, titled: bool) -> Tree:
        """A titled branch when both directions are shown, else the tree itself."""
        return tree.add(f"[dim]{title}[/]") if titled else tree


def step_label(step: lp.LineageStep, home: idl.ExecutionIdentifier | None = None) -> str:
    """A node execution: its task version and code digest, and the run a cache hit reused;
    its execution unless that is the one the tree is about (``home``)."""
    where = "" if step.id.execution_id == home else f" of {escape(full_name(step.id.execution_id))}"
    if not step.id.node_id:
        w = step.workflow_id
        return f"[green]workflow inputs[/]{where}  {escape(w.name)} [cyan]{escape(w.version)}[/]"
    task = step.task_id
    label = (
        f"[green]node {escape(step.id.node_id)}[/]{where}  "
        f"task {escape(task.name)} [cyan]{escape(task.version)}[/]  "
        f"code {short_digest(step.code_digest)}"
    )
    if step.attempt > 1:
        label += f"  attempt {step.attempt}"
    source = step.cache_source
    if source.node_id:
        label += (
            f"  [yellow]cache hit of {escape(full_name(source.execution_id))}"
            f" node {escape(source.node_id)}[/]"
        )
    return label


def human_size(size: int) -> str:
    exponent = min(max(size.bit_length() - 1, 0) // 10, len(UNITS) - 1)
    return f"{size} B" if exponent == 0 else f"{size / 1024**exponent:.1f} {UNITS[exponent]}"


def _step_order(step: lp.LineageStep) -> tuple[int, str, str]:
    return (step.created_at.ToNanoseconds(), full_name(step.id.execution_id), step.id.node_id)
