"""The order a workflow's top-level nodes run in: a topological order of their dependencies,
deterministic (ties broken by declaration order), or the cycle that prevents one."""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence

from graven.control_plane.errors import InvalidArgument


def topological_order(
    node_ids: Sequence[str], upstream: Mapping[str, set[str]], field: str
) -> list[str]:
    """Kahn's algorithm. ``upstream`` maps each node to the nodes it waits for, all of them
    among ``node_ids``."""
    position = {node_id: i for i, node_id in enumerate(node_ids)}
    downstream: dict[str, list[str]] = {node_id: [] for node_id in node_ids}
    waiting = {node_id: len(upstream[node_id]) for node_id in node_ids}
    for node_id in node_ids:
        for other in upstream[node_id]:
            downstream[other].append(node_id)
    ready = [position[n] for n in node_ids if waiting[n] == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        node_id = node_ids[heapq.heappop(ready)]
        order.append(node_id)
        for other in downstream[node_id]:
            waiting[other] -= 1
            if waiting[other] == 0:
                heapq.heappush(ready, position[other])
    if len(order) < len(node_ids):
        cycle = _find_cycle({n for n in node_ids if waiting[n] > 0}, upstream, position)
        raise InvalidArgument(field, "the nodes form a cycle: " + " -> ".join(cycle))
    return order


def _find_cycle(
    stuck: set[str], upstream: Mapping[str, set[str]], position: dict[str, int]
) -> list[str]:
    """One cycle among the nodes Kahn's algorithm could not place, in data-flow order from
    its first-declared node. Every stuck node waits on a stuck node, so walking upstream
    must come back to a node already seen."""
    first = position.__getitem__
    node_id = min(stuck, key=first)
    path: list[str] = []
    seen: dict[str, int] = {}
    while node_id not in seen:
        seen[node_id] = len(path)
        path.append(node_id)
        node_id = min(upstream[node_id] & stuck, key=first)
    cycle = path[seen[node_id] :][::-1]
    start = cycle.index(min(cycle, key=first))
    cycle = cycle[start:] + cycle[:start]
    return [*cycle, cycle[0]]
