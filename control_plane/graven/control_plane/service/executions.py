"""Executions: launch a workflow version, follow it, stop it, run it again.

An execution's spec (workflow version, inputs uri, mode, source) is fixed at creation; its
closure (phase, times, error, outputs) follows the agent's events. Inputs and outputs live in
the object store as serialized LiteralMaps; the database holds their uris.
"""

from __future__ import annotations

import bisect
import functools
import secrets
import string
from collections.abc import AsyncIterator, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from graven.artifacts import read_artifact
from graven.control_plane.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from graven.control_plane.execution_phases import EXECUTION_TERMINAL, NODE_DONE
from graven.control_plane.persistence.execution_repository import (
    ExecutionFilter,
    ExecutionKey,
    ExecutionRepository,
    NewExecution,
    StoredExecution,
)
from graven.control_plane.persistence.lineage_repository import (
    IndexedRecord,
    LineageRepository,
    StepKey,
)
from graven.control_plane.persistence.notification_repository import NewDelivery
from graven.control_plane.persistence.proto_columns import to_timestamp
from graven.control_plane.persistence.upload_repository import UploadRepository
from graven.control_plane.service.clock import Clock, utc_now
from graven.control_plane.service.execution_inputs import resolve_inputs
from graven.control_plane.service.execution_workflows import WorkflowVersions
from graven.control_plane.service.group_commit import GroupCommit
from graven.control_plane.service.identifiers import describe
from graven.control_plane.service.lineage_records import InputArtifacts, store_records, taken_over
from graven.control_plane.service.node_paths import UNKNOWN_KEY, in_order
from graven.control_plane.service.notifications import planned_deliveries
from graven.control_plane.service.paging import decode_page_token, page_size, paginate
from graven.control_plane.service.validation import (
    check_labels,
    check_name,
    checked_time,
    require,
)
from graven.control_plane.service.watch import CLAIMABLE, Cancellation, Notifier, Offload
from graven.errors import GravenValueError
from graven.shown import shown
from graven.store import ObjectStore, StoreError
from graven.store.layout import INPUTS, execution_prefix
from graven.v1 import execution_pb2 as pb
from graven.v1 import execution_service_pb2 as es
from graven.v1.identifier_pb2 import ExecutionIdentifier, Identifier, NodeExecutionIdentifier
from graven.v1.lineage_pb2 import LineageRecord
from graven.v1.literals_pb2 import LiteralMap

# Generated names: a letter, then letters and digits; 36^11 names make a clash negligible,
# and a clash is retried anyway.
NAME_ALPHABET = string.ascii_lowercase + string.digits
NAME_LENGTH = 12
NAME_ATTEMPTS = 5
# A watcher re-reads the database this often even without a notification, for changes
# written by another control plane process.
WATCH_SAFETY_NET_SECONDS = 5.0
RECOVERABLE = frozenset(
    {pb.EXECUTION_PHASE_FAILED, pb.EXECUTION_PHASE_TERMINATED, pb.EXECUTION_PHASE_TIMED_OUT}
)
DEFAULT_TERMINATE_REASON = "terminated on request"


@dataclass(frozen=True)
class _Launch:
    execution: NewExecution
    inputs_key: str
    inputs: bytes
    records: list[LineageRecord]


class ExecutionService:
    def __init__(
        self,
        repository: ExecutionRepository,
        workflows: WorkflowVersions,
        store: ObjectStore,
        notifier: Notifier,
        lineage: LineageRepository,
        uploads: UploadRepository,
        clock: Clock = utc_now,
    ) -> None:
        self._repository = repository
        self._workflows = workflows
        self._store = store
        self._notifier = notifier
        self._lineage = lineage
        self._uploads = uploads
        self._clock = clock
        # Concurrent launches share a transaction and a store flush.
        self._launches = GroupCommit(self._insert)

    # --- launching ------------------------------------------------------------------------

    def create_execution(self, request: es.CreateExecutionRequest) -> es.CreateExecutionResponse:
        target = request.WhichOneof("target")
        if target is None:
            raise InvalidArgument("target", "give a workflow_id or a launch_plan_id")
        launch_plan_id = Identifier()
        defaults = fixed = LiteralMap()
        if target == "launch_plan_id":
            launch_plan = self._workflows.launch_plan(request.launch_plan_id, "launch_plan_id")
            launch_plan_id = launch_plan.id
            workflow = self._workflows.exact(launch_plan.spec.workflow_id)
            defaults = launch_plan.spec.default_inputs
            fixed = launch_plan.spec.fixed_inputs
        else:
            workflow = self._workflows.resolve(request.workflow_id, "workflow_id")
        project = request.project or workflow.id.project
        domain = request.domain or workflow.id.domain
        check_name("project", project, "project")
        check_name("domain", domain, "domain")
        if request.name:
            check_name("name", request.name, "name")
        check_labels(request.labels, "labels")
        inputs = resolve_inputs(
            workflow.spec.template.interface,
            request.inputs,
            target=describe(workflow.id),
            defaults=defaults,
            fixed=fixed,
        )
        spec = pb.ExecutionSpec(
            workflow_id=workflow.id,
            launch_plan_id=launch_plan_id,
            mode=pb.EXECUTION_MODE_MANUAL,
            overwrite_cache=request.overwrite_cache,
            labels=request.labels,
        )
        execution = self.launch(project, domain, request.name, spec, inputs)
        return es.CreateExecutionResponse(execution=execution)

    def relaunch_execution(
        self, request: es.RelaunchExecutionRequest
    ) -> es.RelaunchExecutionResponse:
        source = self._get(request.id)
        source_spec = source.execution.spec
        inputs = self._read(source_spec.inputs_uri, "inputs")
        if request.name:
            check_name("name", request.name, "name")
        spec = pb.ExecutionSpec(
            workflow_id=source_spec.workflow_id,
            launch_plan_id=source_spec.launch_plan_id,
            mode=pb.EXECUTION_MODE_RELAUNCH,
            source_execution_id=source.execution.id,
            overwrite_cache=request.overwrite_cache,
            labels=source_spec.labels,
        )
        version = request.WhichOneof("version")
        if version is not None:
            wanted = Identifier()
            wanted.CopyFrom(source_spec.workflow_id)
            wanted.version = request.workflow_version if version == "workflow_version" else ""
            if version == "workflow_version":
                check_name("version", wanted.version, "workflow_version")
            workflow = self._workflows.resolve(wanted, "workflow_version")
            if workflow.id != source_spec.workflow_id:
                # Another version: its interface decides, and the launch plan (tied to the
                # source's version) no longer applies; its inputs are in the inputs already.
                try:
                    inputs = resolve_inputs(
                        workflow.spec.template.interface, inputs, target=describe(workflow.id)
                    )
                except InvalidArgument as problems:
                    raise InvalidArgument(
                        version,
                        f"the inputs of execution {_path(source.execution.id)} do not fit "
                        f"{describe(workflow.id)}: {problems}",
                    ) from None
                spec.workflow_id.CopyFrom(workflow.id)
                spec.ClearField("launch_plan_id")
        execution = self.launch(
            source.execution.id.project, source.execution.id.domain, request.name, spec, inputs
        )
        return es.RelaunchExecutionResponse(execution=execution)

    def recover_execution(self, request: es.RecoverExecutionRequest) -> es.RecoverExecutionResponse:
        source = self._get(request.id)
        source_id = source.execution.id
        phase = source.execution.closure.phase
        if phase not in RECOVERABLE:
            raise FailedPrecondition(
                f"execution {_path(source_id)} is {_phase(phase)}: only a failed, terminated "
                "or timed-out execution can be recovered"
            )
        if request.name:
            check_name("name", request.name, "name")
        source_spec = source.execution.spec
        spec = pb.ExecutionSpec(
            workflow_id=source_spec.workflow_id,
            launch_plan_id=source_spec.launch_plan_id,
            mode=pb.EXECUTION_MODE_RECOVER,
            source_execution_id=source_id,
            overwrite_cache=source_spec.overwrite_cache,
            labels=source_spec.labels,
        )
        now = _now()
        recovered = []
        for node in self._repository.nodes(source).values():
            if node.phase not in NODE_DONE:
                continue
            recovered.append(
                pb.NodeExecution(
                    id=NodeExecutionIdentifier(node_id=node.id.node_id),
                    task_id=node.task_id,
                    phase=pb.NODE_PHASE_RECOVERED,
                    cache_status=node.cache_status,
                    cache_key=node.cache_key,
                    # Whoever first produced the outputs, through any chain of recoveries.
                    source_execution_id=node.source_execution_id
                    if node.HasField("source_execution_id")
                    else source_id,
                    inputs_uri=node.inputs_uri,
                    outputs_uri=node.outputs_uri,
                    started_at=now,
                    finished_at=now,
                    cache_key_components=node.cache_key_components
                    if node.HasField("cache_key_components")
                    else None,
                    output_hashes=dict(node.output_hashes),
                    # Nested nodes keep their place: a map's elements, a branch's case.
                    parent_node_id=node.parent_node_id,
                    child_execution_id=node.child_execution_id
                    if node.HasField("child_execution_id")
                    else None,
                )
            )
        inputs = self._read(source_spec.inputs_uri, "inputs")
        execution = self.launch(
            source_id.project, source_id.domain, request.name, spec, inputs, recovered
        )
        return es.RecoverExecutionResponse(execution=execution)

    def launch(
        self,
        project: str,
        domain: str,
        name: str,
        spec: pb.ExecutionSpec,
        inputs: LiteralMap,
        recovered: Sequence[pb.NodeExecution] = (),
    ) -> pb.Execution:
        """Store a new queued execution and its inputs (each an artifact, with the lineage
        record of the execution's input beside it), and wake an agent waiting for work.
        Recovered nodes get records of their own, copies of their source's.

        A given name that is taken is AlreadyExists; a generated one is drawn again.
        """
        interface = self._workflows.exact(spec.workflow_id).spec.template.interface
        with self._store.deferred_sync() as store:
            artifacts = InputArtifacts(store, interface, inputs, self._hold_uploads)
        data = inputs.SerializeToString(deterministic=True)
        source_records = self._recovered_records(spec.source_execution_id, recovered)
        for _ in range(NAME_ATTEMPTS):
            execution_id = ExecutionIdentifier(
                project=project, domain=domain, name=name or _generated_name()
            )
            key = f"{execution_prefix(execution_id)}/{INPUTS}"
            now = _now()
            execution = pb.Execution(
                id=execution_id,
                spec=spec,
                closure=pb.ExecutionClosure(
                    phase=pb.EXECUTION_PHASE_QUEUED, created_at=now, updated_at=now
                ),
            )
            execution.spec.inputs_uri = self._store.uri(key)
            nodes = []
            for node in recovered:
                seeded = pb.NodeExecution()
                seeded.CopyFrom(node)
                seeded.id.execution_id.CopyFrom(execution_id)
                nodes.append(seeded)
            records = [
                *artifacts.records(execution),
                *taken_over(source_records, execution, now),
            ]
            launch = _Launch(NewExecution(execution, nodes), key, data, records)
            if self._launches.submit(launch):
                self._notifier.publish(CLAIMABLE)
                return execution
            if name:
                raise AlreadyExists(f"execution {_path(execution_id)} already exists")
        raise AlreadyExists(f"no free execution name after {NAME_ATTEMPTS} attempts")

    def _hold_uploads(self, content_hashes: Collection[str]) -> None:
        self._uploads.hold(content_hashes, self._clock())

    def _insert(self, launches: Sequence[_Launch]) -> list[bool]:
        """Launches arriving together, in one transaction: each one's inputs and their
        lineage records are written once its name is reserved, one flush for all, and are
        durable before the executions are committed."""

        def write_inputs(inserted: Sequence[bool]) -> list[IndexedRecord]:
            indexed: list[IndexedRecord] = []
            with self._store.deferred_sync() as store:
                for launch, new in zip(launches, inserted, strict=True):
                    if new:
                        store.put_bytes(launch.inputs_key, launch.inputs)
                        indexed += store_records(store, launch.records)
            return indexed

        return self._repository.insert([launch.execution for launch in launches], write_inputs)

    def _recovered_records(
        self, source: ExecutionIdentifier, recovered: Sequence[pb.NodeExecution]
    ) -> dict[str, list[LineageRecord]]:
        """The source execution's records of each recovered node."""
        if not recovered:
            return {}
        steps = [
            StepKey(source.project, source.domain, source.name, n.id.node_id) for n in recovered
        ]
        with self._lineage.reading() as index:
            found = index.step_records(steps)
        return {step.node_id: records for step, records in found.items()}

    # --- reading --------------------------------------------------------------------------

    def get_execution(self, request: es.GetExecutionRequest) -> es.GetExecutionResponse:
        return es.GetExecutionResponse(execution=self._get(request.id).execution)

    def list_executions(self, request: es.ListExecutionsRequest) -> es.ListExecutionsResponse:
        check_name("project", request.project, "project")
        check_name("domain", request.domain, "domain")
        if request.workflow_name:
            check_name("name", request.workflow_name, "workflow_name")
        if request.workflow_version:
            check_name("version", request.workflow_version, "workflow_version")
        for i, phase in enumerate(request.phases):
            if phase not in pb.ExecutionPhase.values() or phase == pb.EXECUTION_PHASE_UNSPECIFIED:
                raise InvalidArgument(f"phases[{i}]", f"{phase} is not an execution phase")
        where = ExecutionFilter(
            project=request.project,
            domain=request.domain,
            workflow_name=request.workflow_name,
            workflow_version=request.workflow_version,
            phases=tuple(sorted(set(request.phases))),
            created_after=checked_time(request, "created_after", "created_after"),
            created_before=checked_time(request, "created_before", "created_before"),
        )
        size = page_size(request.page_size)
        query = (
            "executions",
            where.project,
            where.domain,
            where.workflow_name,
            where.workflow_version,
            ",".join(map(str, where.phases)),
            str(where.created_after or ""),
            str(where.created_before or ""),
        )
        before = decode_page_token(request.page_token, query, int)
        rows = self._repository.list_executions(where, before, size + 1)
        page, next_token = paginate(rows, size, query, lambda row: row.seq)
        return es.ListExecutionsResponse(
            executions=[row.execution for row in page], next_page_token=next_token
        )

    def list_node_executions(
        self, request: es.ListNodeExecutionsRequest
    ) -> es.ListNodeExecutionsResponse:
        stored = self._get(request.execution_id, "execution_id")
        size = page_size(request.page_size)
        parent = request.parent_node_id if request.HasField("parent_node_id") else None
        paths = self._workflows.paths(stored.execution.spec.workflow_id)
        if parent and paths.resolve(parent) is None:
            raise NotFound(f"execution {_path(stored.execution.id)} has no node {shown(parent)}")
        scope = "*" if parent is None else f"={parent}"
        query = ("nodes", *ExecutionKey.of(stored.execution.id), scope)
        nodes = self.node_executions(stored, parent=parent)
        after = decode_page_token(request.page_token, query, str)
        start = 0
        if after is not None:
            # The cursor is the last node returned, so nodes recorded since (a map's elements
            # appear as they run) are placed by the order, not shifted by an offset.
            key = paths.sort_key(after)
            if key is None:
                raise InvalidArgument("page_token", "is not a page token this server issued")
            keys = [paths.sort_key(node.id.node_id) or UNKNOWN_KEY for node in nodes]
            start = bisect.bisect_right(keys, key)
        page, next_token = paginate(
            nodes[start : start + size + 1], size, query, lambda node: node.id.node_id
        )
        return es.ListNodeExecutionsResponse(node_executions=page, next_page_token=next_token)

    def node_executions(
        self, stored: StoredExecution, changed_after: int = 0, parent: str | None = None
    ) -> list[pb.NodeExecution]:
        """The execution's nodes in the order node_paths documents. All of them, top-level
        nodes not recorded yet as QUEUED (SKIPPED once the execution is over); or only those
        changed after a revision; or only those nested directly in ``parent`` ("": the top
        level)."""
        workflow_id = stored.execution.spec.workflow_id
        paths = self._workflows.paths(workflow_id)
        recorded = self._repository.nodes(stored, changed_after, parent)
        if changed_after or parent:
            return in_order(paths, recorded.values())
        phase = (
            pb.NODE_PHASE_SKIPPED
            if stored.execution.closure.phase in EXECUTION_TERMINAL
            else pb.NODE_PHASE_QUEUED
        )
        unrecorded = [
            pb.NodeExecution(
                id=NodeExecutionIdentifier(execution_id=stored.execution.id, node_id=node_id),
                task_id=node.task_node.task_id if node.HasField("task_node") else None,
                phase=phase,
            )
            for node_id, node in self._workflows.nodes(workflow_id).items()
            if node_id not in recorded
        ]
        return in_order(paths, [*recorded.values(), *unrecorded])

    def get_execution_data(
        self, request: es.GetExecutionDataRequest
    ) -> es.GetExecutionDataResponse:
        stored = self._get(request.id)
        return es.GetExecutionDataResponse(
            inputs=self._read(stored.execution.spec.inputs_uri, "inputs"),
            outputs=self._read(stored.execution.closure.outputs_uri, "outputs"),
        )

    def get_node_execution_data(
        self, request: es.GetNodeExecutionDataRequest
    ) -> es.GetNodeExecutionDataResponse:
        node = self.node_execution(request.id, "id")
        if node.cache_status == pb.CACHE_STATUS_HIT and node.output_hashes:
            # A hit ran nothing: its outputs are the artifacts the entry it reused named.
            outputs = self._read_artifacts(node.output_hashes)
        else:
            outputs = self._read(node.outputs_uri, "outputs")
        return es.GetNodeExecutionDataResponse(
            inputs=self._read(node.inputs_uri, "inputs"), outputs=outputs
        )

    def node_execution(self, identifier: NodeExecutionIdentifier, field: str) -> pb.NodeExecution:
        """A node of an execution as recorded (QUEUED, without an id's execution, when
        nothing is recorded yet); NotFound when the execution or the node does not exist."""
        require(identifier.ByteSize() > 0, field)
        stored = self._get(identifier.execution_id, f"{field}.execution_id")
        node_id = identifier.node_id
        require(bool(node_id), f"{field}.node_id")
        if self._workflows.paths(stored.execution.spec.workflow_id).resolve(node_id) is None:
            raise NotFound(f"execution {_path(stored.execution.id)} has no node {shown(node_id)}")
        return self._repository.node(stored, node_id) or pb.NodeExecution()

    def watch_execution(
        self,
        request: es.WatchExecutionRequest,
        offload: Offload,
        cancellation: Cancellation | None = None,
    ) -> ExecutionWatch:
        """The execution's state now, then every change until it is terminal, read with
        ``offload`` between waits on the event loop. Errors in the request are raised here,
        before anything streams."""
        key = ExecutionKey.of(self._get(request.id).execution.id)
        return ExecutionWatch(
            key,
            self._notifier,
            offload,
            cancellation,
            lambda: self._repository.get(key),
            self.node_executions,
        )

    # --- stopping -------------------------------------------------------------------------

    def terminate_execution(
        self, request: es.TerminateExecutionRequest
    ) -> es.TerminateExecutionResponse:
        before = self._get(request.id)
        key = ExecutionKey.of(before.execution.id)
        reason = request.reason or DEFAULT_TERMINATE_REASON
        terminated = self._request_terminate(before, reason)
        stored = self._get(request.id)
        phase = stored.execution.closure.phase
        if terminated:
            self._notifier.publish(key)
        # Whatever the parent's phase: asked again, a child started since (or one a stopped
        # control plane left running when the parent finished) is stopped too.
        self.terminate_children(key, f"parent execution {key} terminated: {reason}")
        if not terminated and phase in EXECUTION_TERMINAL:
            raise FailedPrecondition(
                f"execution {key} already finished ({_phase(phase)}); only a queued or "
                "running execution can be terminated"
            )
        return es.TerminateExecutionResponse(execution=stored.execution)

    def terminate_children(self, parent: ExecutionKey, reason: str) -> None:
        """Ask every unfinished descendant of ``parent`` to terminate, grandchildren
        included: a child that already finished may have children of its own still
        running (started before it finished)."""
        pending = [parent]
        seen = {parent}
        while pending:
            for child in self._repository.children(pending.pop()):
                key = ExecutionKey.of(child.execution.id)
                if key in seen:
                    continue
                seen.add(key)
                pending.append(key)
                if child.execution.closure.phase in EXECUTION_TERMINAL:
                    continue
                if self._request_terminate(child, reason):
                    self._notifier.publish(key)

    def _request_terminate(self, stored: StoredExecution, reason: str) -> bool:
        """ExecutionRepository.request_terminate, with the deliveries the execution's
        notifications make of TERMINATED should it be queued (it ends at once then)."""
        now = datetime.now(UTC)
        ended = pb.Execution()
        ended.CopyFrom(stored.execution)
        ended.closure.phase = pb.EXECUTION_PHASE_TERMINATED
        ended.closure.finished_at.CopyFrom(to_timestamp(now))
        ended.closure.error.CopyFrom(
            pb.ExecutionError(kind=pb.ERROR_KIND_TERMINATED, message=reason)
        )
        deliveries = notification_deliveries(self._workflows, ended, now)
        return self._repository.request_terminate(
            ExecutionKey.of(stored.execution.id), reason, now, deliveries
        )

    # --- shared steps ---------------------------------------------------------------------

    def _get(self, identifier: ExecutionIdentifier, field: str = "id") -> StoredExecution:
        key = checked_key(identifier, field)
        stored = self._repository.get(key)
        if stored is None:
            raise NotFound(f"execution {key} does not exist")
        return stored

    def _read_artifacts(self, hashes: Mapping[str, str]) -> LiteralMap:
        outputs = LiteralMap()
        for name, artifact_hash in hashes.items():
            try:
                outputs.literals[name].CopyFrom(read_artifact(self._store, artifact_hash))
            except (StoreError, GravenValueError) as error:
                raise FailedPrecondition(
                    f"output {shown(name)} (artifact {artifact_hash}) cannot be read: {error}"
                ) from None
        return outputs

    def _read(self, uri: str, what: str) -> LiteralMap:
        """A LiteralMap the store holds at ``uri``; empty for no uri (not produced yet)."""
        if not uri:
            return LiteralMap()
        try:
            return LiteralMap.FromString(self._store.get_bytes(self._store.key_of(uri)))
        except StoreError as error:
            raise FailedPrecondition(f"the {what} at {uri} cannot be read: {error}") from None


class ExecutionWatch:
    """An execution's state, then each change, ending once it is terminal or the watcher
    went away (``cancellation``). An async iterator: it waits on the event loop, holding
    no thread, and reads the database with ``offload``."""

    def __init__(
        self,
        key: ExecutionKey,
        notifier: Notifier,
        offload: Offload,
        cancellation: Cancellation | None,
        read: Callable[[], StoredExecution | None],
        node_executions: Callable[[StoredExecution, int], list[pb.NodeExecution]],
    ) -> None:
        self._key = key
        self._notifier = notifier
        self._offload = offload
        self._cancellation = cancellation
        self._read = read
        self._node_executions = node_executions

    async def __aiter__(self) -> AsyncIterator[es.WatchExecutionResponse]:
        # Subscribe before reading, so a change between the read and the wait still wakes us.
        with self._notifier.subscribe(self._key, self._cancellation) as subscription:
            stored = await self._offload(self._read)
            if stored is None:
                return
            yield await self._offload(functools.partial(self._response, stored, 0))
            seen = stored.revision
            while stored.execution.closure.phase not in EXECUTION_TERMINAL:
                await subscription.wait(WATCH_SAFETY_NET_SECONDS)
                if subscription.cancelled:
                    return
                latest = await self._offload(self._read)
                if latest is None or latest.revision == seen:
                    continue
                stored = latest
                yield await self._offload(functools.partial(self._response, stored, seen))
                seen = stored.revision

    def _response(self, stored: StoredExecution, seen: int) -> es.WatchExecutionResponse:
        return es.WatchExecutionResponse(
            execution=stored.execution, node_executions=self._node_executions(stored, seen)
        )


def notification_deliveries(
    workflows: WorkflowVersions, execution: pb.Execution, now: datetime
) -> list[NewDelivery]:
    """What the launch plan's notifications make of the (terminal) phase of ``execution``."""
    launch_plan_id = execution.spec.launch_plan_id
    if not launch_plan_id.name:
        return []
    launch_plan = workflows.launch_plan(launch_plan_id, "spec.launch_plan_id")
    return planned_deliveries(execution, launch_plan.spec.notifications, now)


def checked_key(identifier: ExecutionIdentifier, field: str) -> ExecutionKey:
    require(identifier.ByteSize() > 0, field)
    check_name("project", identifier.project, f"{field}.project")
    check_name("domain", identifier.domain, f"{field}.domain")
    check_name("name", identifier.name, f"{field}.name")
    return ExecutionKey.of(identifier)


def _generated_name() -> str:
    first = secrets.choice(string.ascii_lowercase)
    return first + "".join(secrets.choice(NAME_ALPHABET) for _ in range(NAME_LENGTH - 1))


def _now() -> Timestamp:
    """Now, to the microsecond: what the database keeps, so a reread gives the same."""
    return to_timestamp(datetime.now(UTC))


def _path(identifier: ExecutionIdentifier) -> str:
    return str(ExecutionKey.of(identifier))


def _phase(phase: int) -> str:
    return pb.ExecutionPhase.Name(phase).removeprefix("EXECUTION_PHASE_")
