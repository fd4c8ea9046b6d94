"""How identifiers read in messages, and the key the repository stores them under."""

from __future__ import annotations

from graven.control_plane.persistence.registry_repository import EntityName, NewEntity
from graven.v1.identifier_pb2 import (
    RESOURCE_TYPE_LAUNCH_PLAN,
    RESOURCE_TYPE_TASK,
    RESOURCE_TYPE_WORKFLOW,
    Identifier,
    ResourceType,
)

KIND_LABELS = {
    RESOURCE_TYPE_TASK: "task",
    RESOURCE_TYPE_WORKFLOW: "workflow",
    RESOURCE_TYPE_LAUNCH_PLAN: "launch plan",
}


def resource_type_name(value: int) -> str:
    try:
        return ResourceType.Name(value)
    except ValueError:
        return f"unknown resource type {value}"


def describe(identifier: Identifier) -> str:
    """ "task p/d/name@version" (no "@" part for an empty version)."""
    kind = KIND_LABELS.get(identifier.resource_type, resource_type_name(identifier.resource_type))
    path = f"{identifier.project}/{identifier.domain}/{identifier.name}"
    return f"{kind} {path}@{identifier.version}" if identifier.version else f"{kind} {path}"


def entity_name(identifier: Identifier) -> EntityName:
    return EntityName(
        identifier.resource_type, identifier.project, identifier.domain, identifier.name
    )


def identifier_of(entity: NewEntity) -> Identifier:
    name = entity.name
    return Identifier(
        resource_type=name.resource_type,  # type: ignore[arg-type]
        project=name.project,
        domain=name.domain,
        name=name.name,
        version=entity.version,
    )
