"""Lineage graphs as trees a person reads.

Upstream, each artifact sits over the step that produced it, and that step over the
artifacts it consumed, down to the workflow inputs; downstream is the same walk towards the
consumers. A step names its node, execution, task version and code digest, and a cache hit
names the node execution whose outputs it reused. An artifact met twice (a diamond in the
graph) is shown once and referred to after.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

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
        tree = Tree(f"[bold]artifact[/] {self.artifact_label(artifact_hash)}")
        if upstream:
            self._walk(self._section(tree, "upstream", downstream), artifact_hash, True, None)
        if downstream:
            self._walk(self._section(tree, "downstream", upstream), artifact_hash, False, None)
        return tree

    def execution_tree(
        self, execution_id: idl.ExecutionIdentifier, *, upstream: bool, downstream: bool
    ) -> Tree:
        """Upstream from the execution's final outputs (the outputs no other of its nodes
        consumed); downstream from its inputs."""
        own = [s for s in self.graph.steps if s.id.execution_id == execution_id]
        tree = Tree(f"[bold]execution[/] {escape(full_name(execution_id))}")
        if own and own[0].workflow_id.name:
            w = own[0].workflow_id
            tree.label = f"{tree.label}  workflow {escape(w.name)} [cyan]{escape(w.version)}[/]"
        if upstream:
            consumed = {h for s in own for h in s.inputs.values()}
            finals = [
                (f"{s.id.node_id}.{name}", h)
                for s in sorted(own, key=_step_order)
                if s.id.node_id
                for name, h in sorted(s.outputs.items())
                if h not in consumed
            ]
            section = self._section(tree, "upstream (from its final outputs)", downstream)
            self._roots(section, finals, True, execution_id)
        if downstream:
            inputs = [
                (name, h) for s in own if not s.id.node_id for name, h in sorted(s.outputs.items())
            ]
            section = self._section(tree, "downstream (from its inputs)", upstream)
            self._roots(section, inputs, False, execution_id)
        return tree

    def artifact_label(self, artifact_hash: str, name: str = "") -> str:
        label = f"[bold]{escape(name)}[/] = {artifact_hash}" if name else artifact_hash
        found = self.artifacts.get(artifact_hash)
        if found is not None:
            label += f"  [magenta]{escape(describe_type(found.type))}[/]  {human_size(found.size)}"
        return label

    def _roots(
        self,
        parent: Tree,
        roots: Iterable[tuple[str, str]],
        upstream: bool,
        execution_id: idl.ExecutionIdentifier,
    ) -> None:
        seen: set[str] = set()
        for name, artifact_hash in roots:
            child = parent.add(self.artifact_label(artifact_hash, name))
            if artifact_hash in seen:
                child.label = f"{child.label}  [dim](shown above)[/]"
                continue
            seen.add(artifact_hash)
            self._walk(child, artifact_hash, upstream, execution_id, seen)

    def _walk(
        self,
        parent: Tree,
        artifact_hash: str,
        upstream: bool,
        execution_id: idl.ExecutionIdentifier | None,
        seen: set[str] | None = None,
    ) -> None:
        """The steps on one side of an artifact, then the artifacts on their far side."""
        seen = seen if seen is not None else {artifact_hash}
        steps = (self.producers if upstream else self.consumers).get(artifact_hash, [])
        if execution_id is not None:
            # Within an execution, its own steps tell its story; other executions' records of
            # the same value (say, the run a cache hit reused) only when it has none.
            steps = [s for s in steps if s.id.execution_id == execution_id] or steps
        for step in steps:
            branch = parent.add(step_label(step))
            far_side = step.inputs if upstream else step.outputs
            for name, next_hash in sorted(far_side.items()):
                child = branch.add(self.artifact_label(next_hash, name))
                if next_hash in seen:
                    child.label = f"{child.label}  [dim](shown above)[/]"
                    continue
                seen.add(next_hash)
                self._walk(child, next_hash, upstream, execution_id, seen)

    @staticmethod
    def _section(tree: Tree, title: str, titled: bool) -> Tree:
        """A titled branch when both directions are shown, else the tree itself."""
        return tree.add(f"[dim]{title}[/]") if titled else tree


def step_label(step: lp.LineageStep) -> str:
    where = escape(full_name(step.id.execution_id))
    if not step.id.node_id:
        w = step.workflow_id
        return (
            f"[green]inputs[/] of {where}  workflow {escape(w.name)} [cyan]{escape(w.version)}[/]"
        )
    task = step.task_id
    label = (
        f"[green]node {escape(step.id.node_id)}[/] of {where}  "
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
