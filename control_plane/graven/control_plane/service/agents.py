"""The data plane's side of executions: claims under a lease, heartbeats, events.

An agent holds an execution from its claim until another agent claims it after the lease
ran out; while it holds it, its heartbeats extend the lease and its events are applied.
Everything an agent learns (workflow closure, recorded nodes, store) comes in the claim, so
a resuming agent needs nothing from the agent it replaces.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from google.protobuf.timestamp_pb2 import Timestamp

from graven.control_plane.auth.caller import CALLER
from graven.control_plane.errors import FailedPrecondition, InvalidArgument, NotFound
from graven.control_plane.execution_phases import (
    EXECUTION_RANKS,
    EXECUTION_TERMINAL,
    NODE_RANKS,
)
from graven.control_plane.persistence.cache_repository import (
    CacheRepository,
    ExecutionNotHeld,
    KeyRequest,
)
from graven.control_plane.persistence.execution_repository import (
    ExecutionKey,
    ExecutionRepository,
    ExecutionState,
    LeaseLost,
    StoredExecution,
)
from graven.control_plane.persistence.proto_columns import to_timestamp
from graven.control_plane.service.child_executions import ChildExecutions
from graven.control_plane.service.event_indexing import (
    POPULATING,
    index_execution_event,
    index_node_event,
)
from graven.control_plane.service.execution_events import apply_execution_event, apply_node_event
from graven.control_plane.service.execution_workflows import WorkflowVersions
from graven.control_plane.service.executions import checked_key, notification_deliveries
from graven.control_plane.service.lineage_records import check_record
from graven.control_plane.service.node_paths import in_order
from graven.control_plane.service.signals import SignalService
from graven.control_plane.service.validation import check_digest, checked_time
from graven.control_plane.service.watch import CLAIMABLE, Cancellation, Notifier, Offload
from graven.shown import shown
from graven.store import ObjectStore
from graven.v1 import agent_service_pb2 as ag
from graven.v1 import execution_pb2 as pb
from graven.v1.identifier_pb2 import ExecutionIdentifier

log = logging.getLogger(__name__)

# Agent ids arrive as "<token name>/<agent's own id>" (transport/grpc_auth binds them).
MAX_AGENT_ID_LENGTH = 253
# The shortest wait between claim attempts while a lease is about to run out, so a lease
# that expires "now" is not polled in a tight loop.
MIN_CLAIM_WAIT_SECONDS = 0.01
# Phases an agent may report; QUEUED is the control plane's alone.
REPORTABLE_EXECUTION_PHASES = frozenset(EXECUTION_RANKS) - {pb.EXECUTION_PHASE_QUEUED}


@dataclass(frozen=True)
class LeaseSettings:
    """How long a claim or heartbeat holds an execution, and how long a claim may wait.

    Agents should heartbeat several times per lease (the data plane does four), so one slow
    call does not cost the execution; terminate requests travel on the heartbeat answer.
    """

    lease: timedelta = timedelta(seconds=10)
    max_claim_wait: timedelta = timedelta(seconds=30)
    # A waiting claim re-reads the database at least this often, for executions queued by
    # another control plane process.
    safety_net: timedelta = timedelta(seconds=5)


class AgentService:
    def __init__(
        self,
        repository: ExecutionRepository,
        workflows: WorkflowVersions,
        store: ObjectStore,
        notifier: Notifier,
        settings: LeaseSettings,
        cache: CacheRepository,
        signals: SignalService,
        children: ChildExecutions,
    ) -> None:
        self._repository = repository
        self._workflows = workflows
        self._store = store
        self._notifier = notifier
        self._settings = settings
        self._cache = cache
        self._signals = signals
        self._children = children

    @property
    def waiting_claims(self) -> int:
        """How many ClaimExecution calls of this process are waiting for work."""
        return self._notifier.waiting(CLAIMABLE)

    async def claim_execution(
        self,
        request: ag.ClaimExecutionRequest,
        offload: Offload,
        cancellation: Cancellation | None = None,
    ) -> ag.ClaimExecutionResponse:
        """The oldest claimable execution, waiting for one up to ``wait_for``; an empty
        answer when none came, or when the agent gave up waiting (``cancellation``), so no
        execution is claimed on behalf of an agent that is gone. The wait is on the event
        loop, holding no thread; each database step runs with ``offload``."""
        agent = _checked_agent(request.agent_id)
        wait = request.wait_for.ToTimedelta()
        if wait < timedelta(0):
            raise InvalidArgument("wait_for", "must not be negative")
        deadline = time.monotonic() + min(wait, self._settings.max_claim_wait).total_seconds()
        scopes = _claim_scopes()
        with self._notifier.subscribe(CLAIMABLE, cancellation) as subscription:
            while not subscription.cancelled:
                stored, wake = await offload(
                    functools.partial(self._try_claim, agent, deadline, scopes)
                )
                if stored is not None:
                    return await offload(functools.partial(self._claimed, stored))
                if wake <= 0:
                    break
                await subscription.wait(wake)
        return ag.ClaimExecutionResponse()

    def _try_claim(
        self, agent: str, deadline: float, scopes: Sequence[tuple[str, str]] | None
    ) -> tuple[StoredExecution | None, float]:
        """An execution claimed for ``agent`` (in ``scopes``), or none and how long to sleep
        before the next try: until new work is queued, or until a lease runs out and its
        execution becomes claimable again (0 or less: the wait is over)."""
        now = datetime.now(UTC)
        stored = self._repository.claim(agent, now, now + self._settings.lease, scopes)
        remaining = deadline - time.monotonic()
        if stored is not None or remaining <= 0:
            return stored, 0.0
        wake = min(remaining, self._settings.safety_net.total_seconds())
        next_expiry = self._repository.next_lease_expiry()
        if next_expiry is not None:
            until_expiry = (next_expiry - datetime.now(UTC)).total_seconds()
            wake = min(wake, max(until_expiry, MIN_CLAIM_WAIT_SECONDS))
        return None, wake

    def _claimed(self, stored: StoredExecution) -> ag.ClaimExecutionResponse:
        execution = stored.execution
        self._notifier.publish(ExecutionKey.of(execution.id))
        workflow_id = execution.spec.workflow_id
        recorded = self._repository.nodes(stored)
        return ag.ClaimExecutionResponse(
            execution=execution,
            workflow=self._workflows.exact(workflow_id),
            # Nested ones included: a resuming agent reruns no map element that succeeded.
            node_executions=in_order(self._workflows.paths(workflow_id), recorded.values()),
            lease_expires_at=stored.lease_expires_at and to_timestamp(stored.lease_expires_at),
            store_url=self._store.url,
        )

    def heartbeat(self, request: ag.HeartbeatRequest) -> ag.HeartbeatResponse:
        agent = _checked_agent(request.agent_id)
        keys = [
            checked_key(identifier, f"execution_ids[{i}]")
            for i, identifier in enumerate(request.execution_ids)
        ]
        expires_at = datetime.now(UTC) + self._settings.lease
        result = self._repository.heartbeat(agent, keys, expires_at)
        return ag.HeartbeatResponse(
            lease_expires_at=to_timestamp(expires_at),
            terminate=[key.identifier() for key in result.terminate],
            lost=[key.identifier() for key in result.lost],
        )

    def report_events(self, request: ag.ReportEventsRequest) -> ag.ReportEventsResponse:
        """Apply a batch in order, all or nothing. Applying an event twice, late or out of
        order changes nothing it should not (see execution_events)."""
        agent = _checked_agent(request.agent_id)
        batches: dict[ExecutionKey, list[pb.Event]] = {}
        checked: set[ExecutionKey] = set()
        for i, event in enumerate(request.events):
            batches.setdefault(_checked_event(event, f"events[{i}]", checked), []).append(event)
        moment = datetime.now(UTC)
        now = to_timestamp(moment)
        finished: list[tuple[ExecutionKey, int]] = []

        def apply(states: dict[ExecutionKey, ExecutionState]) -> None:
            for key, events in batches.items():
                closure = states[key].execution.closure
                was_terminal = closure.phase in EXECUTION_TERMINAL
                _apply(states[key], events, self._workflows, now)
                if not was_terminal and closure.phase in EXECUTION_TERMINAL:
                    finished.append((key, closure.phase))
                    deliveries = notification_deliveries(
                        self._workflows, states[key].execution, moment
                    )
                    states[key].indexing.deliveries.extend(deliveries)

        touched = {
            key: {event.node.id.node_id for event in events if event.HasField("node")}
            for key, events in batches.items()
        }
        try:
            changed = self._repository.update(agent, touched, apply, moment)
        except LeaseLost as lost:
            raise _refused(
                f"agent {shown(agent)} does not hold the lease of execution(s) {lost}: another "
                "agent took over or they never ran here; stop working on them"
            ) from None
        self._notifier.publish(*changed)
        # After the commit: a control plane that stops in between leaves the children
        # running, and a TerminateExecution of the finished parent stops them.
        self._children.parents_finished(finished)
        return ag.ReportEventsResponse()

    def reserve_cache(self, request: ag.ReserveCacheRequest) -> ag.ReserveCacheResponse:
        """Per key: HIT (reuse the newest entry), RUN (the key is now the node's until it
        settles) or WAIT (another live execution is computing it); see CacheRepository."""
        agent = _checked_agent(request.agent_id)
        key = checked_key(request.execution_id, "execution_id")
        stored = self._repository.get(key)
        if stored is None:
            raise NotFound(f"execution {key} does not exist")
        paths = self._workflows.paths(stored.execution.spec.workflow_id)
        wanted = []
        for i, asked in enumerate(request.requests):
            if paths.resolve(asked.node_id) is None:
                raise InvalidArgument(
                    f"requests[{i}].node_id", f"execution {key} has no node {shown(asked.node_id)}"
                )
            check_digest(asked.key, f"requests[{i}].key")
            wanted.append(KeyRequest(asked.node_id, asked.key))
        try:
            answers = self._cache.reserve(
                agent, key.identifier(), wanted, request.overwrite, datetime.now(UTC)
            )
        except ExecutionNotHeld:
            raise _refused(
                f"agent {shown(agent)} does not hold the lease of execution {key}, or it is not "
                "running: only the agent running an execution reserves its cache keys"
            ) from None
        return ag.ReserveCacheResponse(answers=answers)

    def wait_signals(self, request: ag.WaitSignalsRequest) -> ag.WaitSignalsResponse:
        """Create the signals the agent's gates wait for and answer their state (see
        SignalService.wait_signals); only for executions the agent holds."""
        agent = _checked_agent(request.agent_id)
        lost = self._repository.not_held(agent, self._signals.held_executions(request))
        if lost:
            raise _refused(
                f"agent {shown(agent)} does not hold the lease of execution(s) "
                f"{', '.join(map(str, lost))}: only the agent running an execution waits for "
                "its signals"
            )
        return self._signals.wait_signals(agent, request)

    def start_child_executions(
        self, request: ag.StartChildExecutionsRequest
    ) -> ag.StartChildExecutionsResponse:
        agent = _checked_agent(request.agent_id)
        try:
            executions = self._children.start(agent, request)
        except FailedPrecondition as error:
            raise _refused(str(error)) from None
        return ag.StartChildExecutionsResponse(executions=executions)


def _apply(
    state: ExecutionState, events: Sequence[pb.Event], workflows: WorkflowVersions, now: Timestamp
) -> None:
    workflow_id = state.execution.spec.workflow_id
    paths = workflows.paths(workflow_id)
    for event in events:
        if event.HasField("execution"):
            apply_execution_event(state, event.execution, now)
            index_execution_event(state, event.execution)
            continue
        node_id = event.node.id.node_id
        resolved = paths.resolve(node_id)
        if resolved is None:
            raise InvalidArgument(
                "events",
                f"execution {ExecutionKey.of(state.execution.id)} runs "
                f"{workflow_id.name}@{workflow_id.version}, which has no node {shown(node_id)}",
            )
        if event.node.parent_node_id and event.node.parent_node_id != resolved.parent_id:
            raise InvalidArgument(
                "events",
                f"node {shown(node_id)} is nested in "
                f"{shown(resolved.parent_id or 'the top level')}, "
                f"not in {shown(event.node.parent_node_id)}",
            )
        apply_node_event(state, event.node, now)
        recorded = state.nodes[node_id].node
        # The id says where the node is nested; the agent need not repeat it.
        recorded.parent_node_id = resolved.parent_id
        if not recorded.HasField("task_id") and resolved.task_id is not None:
            # The workflow says which task the node runs; the agent need not repeat it.
            recorded.task_id.CopyFrom(resolved.task_id)
        index_node_event(state, event.node, now)


def _claim_scopes() -> tuple[tuple[str, str], ...] | None:
    """The projects and domains the calling agent's token covers: an agent claims only
    executions there (None: every one, for a ``*/*`` token or a call from within)."""
    principal = CALLER.get()
    if principal is None or principal.everywhere:
        return None
    return tuple((scope.project, scope.domain) for scope in principal.scopes)


def _refused(message: str) -> FailedPrecondition:
    """A report or request for an execution the agent does not hold: refused, and logged,
    since it is either an agent that lost its lease or one posing as another."""
    log.warning("agent call refused: %s", message)
    return FailedPrecondition(message)


def _checked_agent(agent_id: str) -> str:
    if not agent_id or len(agent_id) > MAX_AGENT_ID_LENGTH or not agent_id.isprintable():
        raise InvalidArgument(
            "agent_id", f"must be 1 to {MAX_AGENT_ID_LENGTH} printable characters"
        )
    return agent_id


def _checked_event(event: pb.Event, field: str, checked: set[ExecutionKey]) -> ExecutionKey:
    """The execution the event is about, once the event is well-formed; ``checked`` holds
    the executions already found well-named in this batch, which names a few many times."""
    kind = event.WhichOneof("event")
    if kind == "execution":
        if event.execution.phase not in REPORTABLE_EXECUTION_PHASES:
            raise InvalidArgument(
                f"{field}.execution.phase", f"{event.execution.phase} cannot be reported"
            )
        checked_time(event.execution, "occurred_at", f"{field}.execution.occurred_at")
        return _checked_execution(event.execution.id, f"{field}.execution.id", checked)
    if kind == "node":
        node = event.node
        if node.phase not in NODE_RANKS:
            raise InvalidArgument(f"{field}.node.phase", f"{node.phase} is not a node phase")
        if not node.id.node_id:
            raise InvalidArgument(f"{field}.node.id.node_id", "is required")
        checked_time(node, "occurred_at", f"{field}.node.occurred_at")
        if node.HasField("child_execution_id"):
            checked_key(node.child_execution_id, f"{field}.node.child_execution_id")
        if node.cache_status in POPULATING:
            check_digest(node.cache_key, f"{field}.node.cache_key")
        for j, record in enumerate(node.lineage):
            at = f"{field}.node.lineage[{j}]"
            check_record(record, at)
            if record.execution_id != node.id.execution_id or record.node_id != node.id.node_id:
                raise InvalidArgument(
                    at, "a node's lineage records name the node's execution and node id"
                )
        return _checked_execution(node.id.execution_id, f"{field}.node.id.execution_id", checked)
    raise InvalidArgument(field, "is neither an execution nor a node event")


def _checked_execution(
    identifier: ExecutionIdentifier, field: str, checked: set[ExecutionKey]
) -> ExecutionKey:
    key = ExecutionKey.of(identifier)
    if key not in checked:
        checked.add(checked_key(identifier, field))
    return key
