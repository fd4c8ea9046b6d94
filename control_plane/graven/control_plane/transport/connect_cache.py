"""CacheService over Connect: each method hands the request to the service layer."""

from __future__ import annotations

from graven.control_plane.service.cache import CacheService
from graven.control_plane.transport.connect_calls import Blocking, Context
from graven.v1 import cache_service_connect as cs_connect
from graven.v1 import cache_service_pb2 as cs


class CacheConnect(cs_connect.CacheService):
    def __init__(self, cache: CacheService, blocking: Blocking) -> None:
        self._cache = cache
        self._blocking = blocking

    async def explain_cache(
        self, request: cs.ExplainCacheRequest, ctx: Context
    ) -> cs.ExplainCacheResponse:
        return await self._blocking.call(self._cache.explain_cache, request)

    async def list_cache_entries(
        self, request: cs.ListCacheEntriesRequest, ctx: Context
    ) -> cs.ListCacheEntriesResponse:
        return await self._blocking.call(self._cache.list_cache_entries, request)

    async def evict_cache(
        self, request: cs.EvictCacheRequest, ctx: Context
    ) -> cs.EvictCacheResponse:
        return await self._blocking.call(self._cache.evict_cache, request)
