"""Workflow versions as executions need them: resolved through the registry, and kept.

A registered version never changes, so an exact identifier can be cached for good; claims,
event batches and node listings of a running execution then cost no database read and no
parse of a possibly large closure.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

from graven.control_plane.service.node_paths import NodePaths
from graven.control_plane.service.registry import RegistryService
from graven.control_plane.service.validation import check_identifier
from graven.v1.identifier_pb2 import RESOURCE_TYPE_LAUNCH_PLAN, RESOURCE_TYPE_WORKFLOW, Identifier
from graven.v1.launch_plan_pb2 import LaunchPlan
from graven.v1.registry_service_pb2 import GetLaunchPlanRequest, GetWorkflowRequest
from graven.v1.workflow_pb2 import Node, Workflow

CACHED_VERSIONS = 256

VersionKey = tuple[str, str, str, str]


class WorkflowVersions:
    def __init__(self, registry: RegistryService) -> None:
        self._registry = registry
        self._exact = functools.lru_cache(maxsize=CACHED_VERSIONS)(self._load)
        self._nodes = functools.lru_cache(maxsize=CACHED_VERSIONS)(self._load_nodes)
        self._paths = functools.lru_cache(maxsize=CACHED_VERSIONS)(
            lambda key: NodePaths(self._exact(key))
        )

    def resolve(self, identifier: Identifier, field: str) -> Workflow:
        """The workflow ``identifier`` names, the latest version when it has none; NotFound
        when it is not registered. Treat the result as read-only: it may be shared."""
        check_identifier(identifier, field, RESOURCE_TYPE_WORKFLOW, version_required=False)
        if not identifier.version:
            latest = self._registry.get_workflow(GetWorkflowRequest(id=identifier)).workflow
            return self.exact(latest.id)
        return self.exact(identifier)

    def exact(self, identifier: Identifier) -> Workflow:
        return self._exact(_key(identifier))

    def nodes(self, identifier: Identifier) -> Mapping[str, Node]:
        """The nodes of an exact workflow version by id, in topological order; kept like
        the version, since every event batch and watch update looks its nodes up."""
        return self._nodes(_key(identifier))

    def paths(self, identifier: Identifier) -> NodePaths:
        """The nested node ids of an exact workflow version (see node_paths)."""
        paths: NodePaths = self._paths(_key(identifier))
        return paths

    def launch_plan(self, identifier: Identifier, field: str) -> LaunchPlan:
        check_identifier(identifier, field, RESOURCE_TYPE_LAUNCH_PLAN, version_required=False)
        return self._registry.get_launch_plan(GetLaunchPlanRequest(id=identifier)).launch_plan

    def _load(self, key: VersionKey) -> Workflow:
        project, domain, name, version = key
        identifier = Identifier(
            resource_type=RESOURCE_TYPE_WORKFLOW,
            project=project,
            domain=domain,
            name=name,
            version=version,
        )
        return self._registry.get_workflow(GetWorkflowRequest(id=identifier)).workflow

    def _load_nodes(self, key: VersionKey) -> dict[str, Node]:
        workflow = self._exact(key)
        by_id = {node.id: node for node in workflow.spec.template.nodes}
        return {node_id: by_id[node_id] for node_id in workflow.closure.node_order or by_id}


def _key(identifier: Identifier) -> VersionKey:
    return (identifier.project, identifier.domain, identifier.name, identifier.version)
