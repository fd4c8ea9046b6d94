"""Registering entities: the one path behind CreateTask, CreateWorkflow, CreateLaunchPlan and
the batch Register.

A registration is a list of entries applied in order and stored in one transaction, all or
none. Each entry's id is looked up first, for the whole list in one query: an id that exists
is decided on its digest alone (the rule is ``graven.versioning``'s), and only new ids are
compiled. An entry sees the ones before it, so a workflow may run tasks created earlier in
the same list. Errors name the entry's fields by their path in the request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from graven.control_plane.errors import AlreadyExists, InvalidArgument
from graven.control_plane.persistence.proto_columns import to_timestamp
from graven.control_plane.persistence.registry_repository import (
    EntityKey,
    IdTaken,
    NewEntity,
    RegistryRepository,
)
from graven.control_plane.service.compiler import (
    Resolvers,
    compile_launch_plan,
    compile_task,
    compile_workflow,
)
from graven.control_plane.service.diff import describe_differences, diff_messages
from graven.control_plane.service.identifiers import describe, entity_name, identifier_of
from graven.control_plane.service.validation import check_identifier, require
from graven.digests import canonical_bytes
from graven.v1 import registry_service_pb2 as rs
from graven.v1.identifier_pb2 import (
    RESOURCE_TYPE_LAUNCH_PLAN,
    RESOURCE_TYPE_TASK,
    RESOURCE_TYPE_WORKFLOW,
    Identifier,
)
from graven.v1.launch_plan_pb2 import LaunchPlan, LaunchPlanClosure, LaunchPlanSpec
from graven.v1.task_pb2 import Task, TaskClosure, TaskSpec
from graven.v1.workflow_pb2 import Workflow, WorkflowClosure, WorkflowSpec
from graven.versioning import Spec, version_digest, versioned_part

Entity = TypeVar("Entity", Task, Workflow, LaunchPlan)
CreateRequest = rs.CreateTaskRequest | rs.CreateWorkflowRequest | rs.CreateLaunchPlanRequest

RESOURCE_TYPES: dict[type[CreateRequest], int] = {
    rs.CreateTaskRequest: RESOURCE_TYPE_TASK,
    rs.CreateWorkflowRequest: RESOURCE_TYPE_WORKFLOW,
    rs.CreateLaunchPlanRequest: RESOURCE_TYPE_LAUNCH_PLAN,
}


@dataclass(frozen=True)
class Entry:
    """One entity to register. ``at`` is the request path of its Create message ("" for a
    single Create, "entries[3].workflow." in a batch), which prefixes every error field."""

    at: str
    id: Identifier
    spec: Spec
    key: EntityKey
    digest: str


@dataclass(frozen=True)
class Registered:
    """An entry's entity, stored now (``created``) or before."""

    entity: NewEntity
    created: bool


def entry_of(request: CreateRequest, at: str = "") -> Entry:
    """Check the id and presence of the spec; the spec itself is compiled only if new."""
    require(request.HasField("id"), f"{at}id")
    check_identifier(request.id, f"{at}id", RESOURCE_TYPES[type(request)])
    require(request.HasField("spec"), f"{at}spec")
    key = entity_name(request.id), request.id.version
    return Entry(at, request.id, request.spec, key, version_digest(request.spec))


def entries_of(request: rs.RegisterRequest) -> list[Entry]:
    entries = []
    for i, entry in enumerate(request.entries):
        kind = entry.WhichOneof("entity")
        if kind is None:
            raise InvalidArgument(f"entries[{i}]", "set one of task, workflow or launch_plan")
        entries.append(entry_of(getattr(entry, kind), f"entries[{i}].{kind}."))
    return entries


class Registrar:
    def __init__(self, repository: RegistryRepository) -> None:
        self._repository = repository

    def register(self, entries: Sequence[Entry]) -> list[Registered]:
        """Store the new entries in one transaction; one result per entry, in order.

        A concurrent registration may store one of the new ids between the lookup and the
        insert; the unique constraint then rolls the whole insert back and the entries are
        decided again, against the winner. Each retry follows one more id taken, so there
        are at most as many retries as entries.
        """
        retries = len(entries)
        while True:
            batch = _Batch(self._repository, entries)
            registered = [batch.register(entry) for entry in entries]
            try:
                self._repository.insert_all([r.entity for r in registered if r.created])
            except IdTaken:
                if retries == 0:
                    raise
                retries -= 1
            else:
                return registered


class _Batch:
    """The entities one registration can see: those stored before it (its own ids fetched
    up front, referenced ones on demand) and those it creates, in order."""

    def __init__(self, repository: RegistryRepository, entries: Sequence[Entry]) -> None:
        self._repository = repository
        self._known: dict[EntityKey, NewEntity] = dict(
            repository.get_many(entry.key for entry in entries)
        )
        # The entries' specs, by id: those not known yet are still to be compiled.
        self._specs: dict[EntityKey, Spec] = {}
        for entry in entries:
            self._specs.setdefault(entry.key, entry.spec)
        # Where a new entity came from, to name the earlier entry in a clash.
        self._created_by: dict[EntityKey, str] = {}
        self._now = datetime.now(UTC)

    def register(self, entry: Entry) -> Registered:
        known = self._known.get(entry.key)
        if known is not None:
            if known.digest != entry.digest:
                raise AlreadyExists(self._conflict(entry, known))
            return Registered(known, created=False)
        closure = self._compile(entry)
        closure.digest = entry.digest
        closure.created_at.CopyFrom(to_timestamp(self._now))
        spec = entry.spec
        entity = NewEntity(
            name=entry.key[0],
            version=entry.key[1],
            digest=entry.digest,
            code_digest=spec.template.code.code_digest if isinstance(spec, TaskSpec) else "",
            spec=canonical_bytes(spec),
            closure=canonical_bytes(closure),
            created_at=self._now,
        )
        self._known[entry.key] = entity
        self._created_by[entry.key] = entry.at.rstrip(".")
        return Registered(entity, created=True)

    def _compile(self, entry: Entry) -> TaskClosure | WorkflowClosure | LaunchPlanClosure:
        spec, field = entry.spec, f"{entry.at}spec"
        if isinstance(spec, TaskSpec):
            return compile_task(spec, field)
        if isinstance(spec, WorkflowSpec):
            resolvers = Resolvers(self._tasks, self._workflow, self._launch_plan, self._pending)
            return compile_workflow(spec, resolvers, field, registering=entry.id)
        return compile_launch_plan(spec, self._workflow, field)

    def _tasks(self, identifiers: Sequence[Identifier]) -> list[Task]:
        found = self._lookup([(entity_name(i), i.version) for i in identifiers])
        return [entity_message(Task, entity) for entity in found.values()]

    def _workflow(self, identifier: Identifier) -> Workflow | None:
        key = entity_name(identifier), identifier.version
        found = self._lookup([key]).get(key)
        return None if found is None else entity_message(Workflow, found)

    def _launch_plan(self, identifier: Identifier) -> LaunchPlan | None:
        key = entity_name(identifier), identifier.version
        found = self._lookup([key]).get(key)
        return None if found is None else entity_message(LaunchPlan, found)

    def _pending(self, identifier: Identifier) -> WorkflowSpec | LaunchPlanSpec | None:
        """The spec of an entry of this registration that is not compiled yet."""
        key = entity_name(identifier), identifier.version
        spec = None if key in self._known else self._specs.get(key)
        return spec if isinstance(spec, WorkflowSpec | LaunchPlanSpec) else None

    def _lookup(self, keys: Sequence[EntityKey]) -> dict[EntityKey, NewEntity]:
        """The entities among ``keys`` this registration can see; the stored ones it did not
        know yet are fetched in one query."""
        found = {key: self._known[key] for key in keys if key in self._known}
        stored = self._repository.get_many(key for key in keys if key not in found)
        self._known.update(stored)
        return {**found, **stored}

    def _conflict(self, entry: Entry, known: NewEntity) -> str:
        """Which fields differ, of those the digest covers."""
        where = f"{entry.at.rstrip('.')}: " if entry.at else ""
        given = versioned_part(entry.spec)
        differences = diff_messages(versioned_part(type(entry.spec).FromString(known.spec)), given)
        earlier = self._created_by.get(entry.key)
        clash = (
            f"is also {earlier}, with different content"
            if earlier is not None
            else f"is already registered with different content (stored digest {known.digest})"
        )
        labels = ("earlier", "given") if earlier is not None else ("stored", "given")
        return f"{where}{describe(entry.id)} {clash}; differing fields: " + describe_differences(
            differences, labels
        )


def entity_message(cls: type[Entity], entity: NewEntity) -> Entity:
    message = cls(id=identifier_of(entity))
    message.spec.MergeFromString(entity.spec)
    message.closure.MergeFromString(entity.closure)
    return message
