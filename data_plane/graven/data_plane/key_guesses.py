"""Asking ahead: the keys of cached nodes below a node whose hit the agent can foresee.

A cached node's key holds its inputs' content, so it is known only once its upstream nodes
have succeeded, and a chain of cached nodes would cost one cache round trip per node. But
where the agent remembers which outputs a key's hits give (``CacheService.remembered``) and
they are still in the store, the keys below follow at once and go in the same question. The
control plane still decides every answer; a guessed node's answer stands only if the upstream
answers it assumed came true (``came_true``), else the node is asked again, with its real
key, once its upstream nodes really succeed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from graven.data_plane.bindings import BindingError, UpstreamOutputs
from graven.data_plane.cache_hits import output_hashes
from graven.data_plane.walk_nodes import DONE, NodeRun, Status
from graven.store import StoreError
from graven.v1 import execution_pb2 as pb
from graven.v1.literals_pb2 import Literal, LiteralMap

# The outputs the agent expects a key's hit to give, if it remembers them and they are
# still in the store.
Foresight = Callable[[str], LiteralMap | None]


def guess_downstream(
    asked: list[NodeRun],
    workflow_inputs: dict[str, Literal],
    outputs_of: UpstreamOutputs,
    foresee: Foresight,
) -> list[NodeRun]:
    """The cached nodes below ``asked`` whose keys can be told, upstream first; each is
    marked asking, with the upstream outputs it assumed."""
    frontier = [run for run in asked if _expect(run, foresee)]
    guessed: list[NodeRun] = []
    while frontier:
        for down in frontier.pop(0).downstream:
            if not _guessable(down):
                continue
            assumed = {
                up.id: up.expected
                for up in down.upstream
                if up.status not in DONE and up.expected is not None
            }
            try:
                down.make_key(down.resolve(workflow_inputs, _assuming(assumed, outputs_of)))
            except (BindingError, StoreError, ValueError):
                down.forget_key()
                continue
            down.assumed = {node_id: output_hashes(outputs) for node_id, outputs in assumed.items()}
            down.status = Status.ASKING
            guessed.append(down)
            if _expect(down, foresee):
                frontier.append(down)
    return guessed


def came_true(run: NodeRun, runs: Mapping[str, NodeRun], outputs_of: UpstreamOutputs) -> bool:
    """Whether ``run``'s key stands: it was not guessed, or every upstream node it assumed
    succeeded with the outputs assumed."""
    if run.assumed is None:
        return True
    return all(
        runs[node_id].status in DONE and output_hashes(outputs_of(node_id)) == hashes
        for node_id, hashes in run.assumed.items()
    )


def _guessable(run: NodeRun) -> bool:
    return (
        run.cached
        and run.enabled
        and run.status == Status.PENDING
        # A key this execution holds already: a retry of it runs without asking.
        and run.cache_status != pb.CACHE_STATUS_MISS
        and all(up.status in DONE or up.expected is not None for up in run.upstream)
    )


def _expect(run: NodeRun, foresee: Foresight) -> bool:
    """Set ``run.expected`` if the agent foresees the outputs of its key's hits."""
    run.expected = foresee(run.cache_key)
    return run.expected is not None


def _assuming(assumed: dict[str, LiteralMap], outputs_of: UpstreamOutputs) -> UpstreamOutputs:
    return lambda node_id: assumed[node_id] if node_id in assumed else outputs_of(node_id)
