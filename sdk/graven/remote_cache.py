"""Remote's cache calls: why a node hit or missed, what is cached, and eviction."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

from graven.errors import GravenValueError
from graven.remote_pages import pages
from graven.v1 import cache_pb2
from graven.v1 import cache_service_pb2 as cs
from graven.v1 import identifier_pb2 as idl
from graven.v1.cache_service_pb2_grpc import CacheServiceStub


class CacheCalls:
    """Mixed into ``Remote``, which supplies the stub."""

    cache_service: CacheServiceStub

    def cache_explain(
        self, execution_id: idl.ExecutionIdentifier, node_id: str
    ) -> cs.ExplainCacheResponse:
        """Hit or miss, the key's components, and which of them changed against the nearest
        earlier entry of the same task."""
        node = idl.NodeExecutionIdentifier(execution_id=execution_id, node_id=node_id)
        return self.cache_service.ExplainCache(cs.ExplainCacheRequest(node_execution_id=node))

    def cache_entries(
        self, project: str, domain: str, task_name: str = ""
    ) -> Iterator[cache_pb2.CacheEntry]:
        """Cache entries newest first, across as many pages as the caller reads."""
        request = cs.ListCacheEntriesRequest(project=project, domain=domain, task_name=task_name)
        return pages(self.cache_service.ListCacheEntries, request, "entries")

    def cache_evict(
        self,
        project: str,
        domain: str,
        *,
        task_name: str = "",
        key: str = "",
        created_before: datetime.datetime | None = None,
    ) -> int:
        """Stop reusing the entries every given filter matches; the artifacts stay. At least
        one filter is required: evicting a whole project's cache by accident is not undone."""
        if not (task_name or key or created_before):
            raise GravenValueError("cache eviction needs a task name, a key or a creation time")
        request = cs.EvictCacheRequest(project=project, domain=domain, task_name=task_name, key=key)
        if created_before is not None:
            request.created_before.FromDatetime(created_before)
        return self.cache_service.EvictCache(request).evicted
