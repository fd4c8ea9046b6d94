"""Which phases end an execution or a node, and the order phases move in.

Ranks order the phases of one life: a phase is only ever replaced by one of a higher rank, so
events applied late, twice or out of order never move anything backwards. Every terminal
phase shares the highest rank: once terminal, nothing changes the phase again.
"""

from __future__ import annotations

from graven.v1 import execution_pb2 as pb

EXECUTION_TERMINAL = frozenset(
    {
        pb.EXECUTION_PHASE_SUCCEEDED,
        pb.EXECUTION_PHASE_FAILED,
        pb.EXECUTION_PHASE_TERMINATED,
        pb.EXECUTION_PHASE_TIMED_OUT,
    }
)
# Held by an agent under a lease.
EXECUTION_ACTIVE = frozenset({pb.EXECUTION_PHASE_RUNNING, pb.EXECUTION_PHASE_TERMINATING})

NODE_TERMINAL = frozenset(
    {
        pb.NODE_PHASE_SUCCEEDED,
        pb.NODE_PHASE_FAILED,
        pb.NODE_PHASE_TIMED_OUT,
        pb.NODE_PHASE_TERMINATED,
        pb.NODE_PHASE_SKIPPED,
        pb.NODE_PHASE_RECOVERED,
    }
)
# A node whose outputs a recovery can take over.
NODE_DONE = frozenset({pb.NODE_PHASE_SUCCEEDED, pb.NODE_PHASE_RECOVERED})

TERMINAL_RANK = 3

EXECUTION_RANKS: dict[int, int] = {
    pb.EXECUTION_PHASE_QUEUED: 0,
    pb.EXECUTION_PHASE_RUNNING: 1,
    pb.EXECUTION_PHASE_TERMINATING: 2,
    **{phase: TERMINAL_RANK for phase in EXECUTION_TERMINAL},
}

NODE_RANKS: dict[int, int] = {
    pb.NODE_PHASE_QUEUED: 0,
    pb.NODE_PHASE_RUNNING: 1,
    pb.NODE_PHASE_RETRYING: 2,
    **{phase: TERMINAL_RANK for phase in NODE_TERMINAL},
}


def execution_rank(phase: int) -> int:
    return EXECUTION_RANKS.get(phase, -1)


def node_rank(phase: int) -> int:
    return NODE_RANKS.get(phase, -1)
