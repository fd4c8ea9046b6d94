"""Lineage graphs, walked over the index a level at a time.

A step is a node execution (or an execution's inputs), seen through the records it wrote:
what it consumed and what it produced. Walking upstream goes from artifacts to the steps
that produced them and on to their inputs; downstream, to the steps that consumed them and
on to their outputs.

Content is shared: the same bytes may be produced by many executions. So the walk starts in
every execution (the producers and consumers of the subject artifact anywhere; for an
execution subject, those of the values it took in and gave out), and past that first hop it
stays inside the execution of each step it reached: the inputs of a node were produced by its
upstream nodes or its execution's inputs, not by whatever other run happened to compute equal
bytes. Every answer derives from the records alone, ordered by their content, so it is the
same after a reindex.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable

from graven.control_plane.persistence.lineage_repository import (
    ExecutionName,
    LineageIndex,
    StepKey,
)
from graven.v1.identifier_pb2 import ExecutionIdentifier, NodeExecutionIdentifier
from graven.v1.lineage_pb2 import Artifact, LineageGraph, LineageRecord, LineageStep

# Where a walk looks for the next steps: inside one execution, or anywhere (None).
Frontier = dict[ExecutionName | None, set[str]]


def step_of(key: StepKey, records: Iterable[LineageRecord]) -> LineageStep:
    """A step from its records: per output, the record of the latest attempt."""
    latest: dict[str, LineageRecord] = {}
    # Records arrive oldest first; a later attempt of an output replaces an earlier one.
    for record in sorted(records, key=lambda r: r.attempt):
        latest[record.name] = record
    step = LineageStep(
        id=NodeExecutionIdentifier(
            execution_id=ExecutionIdentifier(project=key.project, domain=key.domain, name=key.name),
            node_id=key.node_id,
        )
    )
    chosen = [latest[name] for name in sorted(latest)]
    if not chosen:
        return step
    newest = max(chosen, key=lambda r: (r.attempt, r.created_at.seconds, r.created_at.nanos))
    step.workflow_id.CopyFrom(newest.workflow_id)
    step.attempt = newest.attempt
    if newest.HasField("task_id"):
        step.task_id.CopyFrom(newest.task_id)
    step.code_digest = newest.code_digest
    step.cache_key = newest.cache_key
    if newest.HasField("cache_source"):
        step.cache_source.CopyFrom(newest.cache_source)
    step.created_at.CopyFrom(
        min((r.created_at for r in chosen), key=lambda t: (t.seconds, t.nanos))
    )
    for record in chosen:
        step.inputs.update(record.inputs)
        step.outputs[record.name] = record.artifact_hash
    return step


class LineageWalk:
    """The steps and artifacts of one answer, gathered over one index reader.

    ``order`` lists the steps as the walk reached them: level by level, each level in key
    order, so the same records always give the same order (what a page of it is cut from).
    With a ``limit``, a walk stops once it has reached that many steps: it loads no more
    than it may answer with, however widely an artifact is shared. Of the level that fills
    it, the first steps up to ``skip`` (those of earlier pages) are placed in the order but
    not loaded: the walk goes no further, so nothing needs their records."""

    def __init__(self, index: LineageIndex, limit: int | None = None, skip: int = 0) -> None:
        self._index = index
        self._limit = limit
        self._skip = skip
        self.steps: dict[StepKey, LineageStep] = {}
        self.order: list[StepKey] = []
        self.artifacts: set[str] = set()

    @property
    def full(self) -> bool:
        return self._limit is not None and len(self.order) >= self._limit

    def load(self, keys: Collection[StepKey], bounded: bool = False) -> list[StepKey]:
        """Make sure the steps are loaded; the given keys in order. ``bounded``: of the steps
        not loaded yet, only as many as the limit leaves room for (the first in key order)
        are taken, and only the keys taken are returned (those before ``skip`` placed but not
        loaded, when they fill the walk)."""
        wanted = sorted(keys)
        missing = [key for key in wanted if key not in self.steps]
        if bounded and self._limit is not None:
            room = max(0, self._limit - len(self.order))
            if len(missing) >= room:
                left_out = set(missing[room:])
                missing = missing[:room]
                wanted = [key for key in wanted if key not in left_out]
                unread = max(0, self._skip - len(self.order))
                self.order.extend(missing[:unread])
                missing = missing[unread:]
        if missing:
            found = self._index.step_records(missing)
            for key in missing:
                step = self.steps[key] = step_of(key, found.get(key, ()))
                self.artifacts.update(step.inputs.values(), step.outputs.values())
            self.order.extend(missing)
        return wanted

    def walk(
        self, frontier: Frontier, upstream: bool, depth: int, expanded: Collection[StepKey] = ()
    ) -> None:
        """Walk ``depth`` steps (0: to the end) from ``frontier``, in one direction, skipping
        the steps already ``expanded``, until the end or the limit."""
        done = set(expanded)
        looked: set[tuple[ExecutionName | None, str]] = set()
        level = 0
        while frontier and (depth == 0 or level < depth) and not self.full:
            level += 1
            reached: set[StepKey] = set()
            for within, hashes in frontier.items():
                fresh = {h for h in hashes if (within, h) not in looked}
                looked.update((within, h) for h in fresh)
                if fresh:
                    find = self._index.producers if upstream else self._index.consumers
                    reached |= find(fresh, within)
            new = self.load(reached - done, bounded=True)
            done.update(new)
            frontier = defaultdict(set)
            for key in new:
                if key not in self.steps:
                    # Placed, not loaded: this level filled the walk, which ends here.
                    continue
                step = self.steps[key]
                edges = step.inputs if upstream else step.outputs
                frontier[key.execution].update(edges.values())

    def graph(
        self, keys: Iterable[StepKey] | None = None, also: Iterable[str] = ()
    ) -> LineageGraph:
        """The graph of the steps ``keys`` (None: all) with the artifacts they consumed or
        produced, and the artifacts ``also``."""
        if keys is None:
            chosen = list(self.steps.values())
            hashes = set(self.artifacts)
        else:
            chosen = [self.steps[key] for key in keys]
            hashes = {h for step in chosen for h in (*step.inputs.values(), *step.outputs.values())}
        hashes.update(also)
        indexed = self._index.artifacts(hashes)
        artifacts = [indexed.get(h) or Artifact(hash=h) for h in hashes]
        artifacts.sort(key=lambda a: (a.created_at.seconds, a.created_at.nanos, a.hash))
        steps = sorted(chosen, key=step_order)
        return LineageGraph(artifacts=artifacts, steps=steps)


def step_order(step: LineageStep) -> tuple[int, int, str, str, str, str]:
    """Oldest first; ties (a cached chain written in one moment) by identity."""
    execution = step.id.execution_id
    return (
        step.created_at.seconds,
        step.created_at.nanos,
        execution.project,
        execution.domain,
        execution.name,
        step.id.node_id,
    )


def execution_boundary(steps: Iterable[LineageStep]) -> tuple[set[str], set[str]]:
    """What an execution took in (its inputs, and constants no step of it produced) and
    what it gave out (outputs no step of it consumed)."""
    steps = list(steps)
    consumed = {h for step in steps for h in step.inputs.values()}
    produced = {h for step in steps if step.id.node_id for h in step.outputs.values()}
    taken_in = {h for step in steps if not step.id.node_id for h in step.outputs.values()}
    return taken_in | (consumed - produced), produced - consumed
