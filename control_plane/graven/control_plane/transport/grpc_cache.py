"""CacheService over gRPC: each method hands the request to the service layer."""

# Method names are the rpc names gRPC dispatches on.
# ruff: noqa: N802

from __future__ import annotations

import grpc

from graven.control_plane.service.cache import CacheService
from graven.control_plane.transport.grpc_errors import grpc_method
from graven.control_plane.transport.grpc_offload import Offload
from graven.v1 import cache_service_pb2 as cs
from graven.v1 import cache_service_pb2_grpc as cs_grpc


class CacheServicer(cs_grpc.CacheServiceServicer):
    service_name = cs.DESCRIPTOR.services_by_name["CacheService"].full_name
    reserved = False
    offload: Offload

    def __init__(self, cache: CacheService) -> None:
        self._cache = cache

    def add_to_server(self, server: grpc.aio.Server, offload: Offload) -> None:
        self.offload = offload
        cs_grpc.add_CacheServiceServicer_to_server(self, server)

    @grpc_method
    def ExplainCache(self, request: cs.ExplainCacheRequest) -> cs.ExplainCacheResponse:
        return self._cache.explain_cache(request)

    @grpc_method
    def ListCacheEntries(self, request: cs.ListCacheEntriesRequest) -> cs.ListCacheEntriesResponse:
        return self._cache.list_cache_entries(request)

    @grpc_method
    def EvictCache(self, request: cs.EvictCacheRequest) -> cs.EvictCacheResponse:
        return self._cache.evict_cache(request)
