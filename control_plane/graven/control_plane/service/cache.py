"""The task cache as users see it: why a node hit or missed, what is cached, eviction.

Evicting deletes cache entries only; the artifacts and lineage records they point at are
never touched, so lineage answers the same after an eviction.
"""

from __future__ import annotations

from graven.control_plane.errors import InvalidArgument
from graven.control_plane.persistence.cache_repository import CacheRepository, EvictFilter
from graven.control_plane.persistence.proto_columns import to_datetime
from graven.control_plane.service.cache_explain import changed_components, hit_reason, miss_reason
from graven.control_plane.service.executions import ExecutionService
from graven.control_plane.service.paging import decode_page_token, page_size, paginate
from graven.control_plane.service.validation import check_digest, check_name, checked_time
from graven.v1 import cache_service_pb2 as cs
from graven.v1 import execution_pb2 as pb
from graven.v1.identifier_pb2 import Identifier


class CacheService:
    def __init__(self, cache: CacheRepository, executions: ExecutionService) -> None:
        self._cache = cache
        self._executions = executions

    def explain_cache(self, request: cs.ExplainCacheRequest) -> cs.ExplainCacheResponse:
        """A hit: the entry it reused. A miss: the nearest entry of the same task made
        before the node started, and the key components that differ from it."""
        identifier = request.node_execution_id
        node = self._executions.node_execution(identifier, "node_execution_id")
        status = node.cache_status
        response = cs.ExplainCacheResponse(status=status, key=node.cache_key)
        if not node.cache_key:
            response.reason = (
                f"node {identifier.node_id} does not use the cache: its task is not cached"
                if status == pb.CACHE_STATUS_DISABLED
                else f"node {identifier.node_id} has no cache key: its task is not cached, "
                "or it has not run yet"
            )
            return response
        components = node.cache_key_components
        response.components.CopyFrom(components)
        if status == pb.CACHE_STATUS_HIT:
            source = node.source_execution_id
            entry = self._cache.source_entry(node.cache_key, source)
            if entry is not None:
                response.entry.CopyFrom(entry)
            response.reason = hit_reason(
                entry, f"execution {source.project}/{source.domain}/{source.name}"
            )
            return response
        task = components.task if components.task.name else node.task_id
        earlier = self._cache.nearest_earlier(
            task.project,
            task.domain,
            task.name,
            to_datetime(node.started_at) if node.HasField("started_at") else None,
            node.id,
        )
        changed = [] if earlier is None else changed_components(earlier.components, components)
        if earlier is not None:
            response.entry.CopyFrom(earlier)
        response.changed.extend(name for name, _ in changed)
        response.reason = miss_reason(status, _task_name(task), earlier, changed)
        return response

    def list_cache_entries(
        self, request: cs.ListCacheEntriesRequest
    ) -> cs.ListCacheEntriesResponse:
        check_name("project", request.project, "project")
        check_name("domain", request.domain, "domain")
        if request.task_name:
            check_name("name", request.task_name, "task_name")
        size = page_size(request.page_size)
        query = ("cache", request.project, request.domain, request.task_name)
        before = decode_page_token(request.page_token, query, int)
        rows = self._cache.list_entries(
            request.project, request.domain, request.task_name, before, size + 1
        )
        page, next_token = paginate(rows, size, query, lambda row: row[0])
        return cs.ListCacheEntriesResponse(
            entries=[entry for _, entry in page], next_page_token=next_token
        )

    def evict_cache(self, request: cs.EvictCacheRequest) -> cs.EvictCacheResponse:
        check_name("project", request.project, "project")
        check_name("domain", request.domain, "domain")
        if request.task_name:
            check_name("name", request.task_name, "task_name")
        if request.key:
            check_digest(request.key, "key")
        created_before = checked_time(request, "created_before", "created_before")
        if not (request.task_name or request.key or created_before is not None):
            raise InvalidArgument(
                "task_name",
                "set at least one of task_name, key and created_before: a filter is required "
                "to evict",
            )
        where = EvictFilter(
            project=request.project,
            domain=request.domain,
            task_name=request.task_name,
            key=request.key,
            created_before=created_before,
        )
        return cs.EvictCacheResponse(evicted=self._cache.evict(where))


def _task_name(task: Identifier) -> str:
    return f"{task.project}/{task.domain}/{task.name}"
