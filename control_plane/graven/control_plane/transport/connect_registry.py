"""RegistryService over Connect: each method hands the request to the service layer.

UploadBundle stays unimplemented here: browsers cannot stream a request, and clients that
upload bundles (the SDK, the CLI) speak gRPC.
"""

from __future__ import annotations

from graven.control_plane.service.registry import RegistryService
from graven.control_plane.transport.connect_calls import Blocking, Context
from graven.v1 import registry_service_connect as rs_connect
from graven.v1 import registry_service_pb2 as rs


class RegistryConnect(rs_connect.RegistryService):
    def __init__(self, registry: RegistryService, blocking: Blocking) -> None:
        self._registry = registry
        self._blocking = blocking

    async def register(self, request: rs.RegisterRequest, ctx: Context) -> rs.RegisterResponse:
        return await self._blocking.call(self._registry.register, request)

    async def create_task(
        self, request: rs.CreateTaskRequest, ctx: Context
    ) -> rs.CreateTaskResponse:
        return await self._blocking.call(self._registry.create_task, request)

    async def get_task(self, request: rs.GetTaskRequest, ctx: Context) -> rs.GetTaskResponse:
        return await self._blocking.call(self._registry.get_task, request)

    async def create_workflow(
        self, request: rs.CreateWorkflowRequest, ctx: Context
    ) -> rs.CreateWorkflowResponse:
        return await self._blocking.call(self._registry.create_workflow, request)

    async def get_workflow(
        self, request: rs.GetWorkflowRequest, ctx: Context
    ) -> rs.GetWorkflowResponse:
        return await self._blocking.call(self._registry.get_workflow, request)

    async def create_launch_plan(
        self, request: rs.CreateLaunchPlanRequest, ctx: Context
    ) -> rs.CreateLaunchPlanResponse:
        return await self._blocking.call(self._registry.create_launch_plan, request)

    async def get_launch_plan(
        self, request: rs.GetLaunchPlanRequest, ctx: Context
    ) -> rs.GetLaunchPlanResponse:
        return await self._blocking.call(self._registry.get_launch_plan, request)

    async def list_names(self, request: rs.ListNamesRequest, ctx: Context) -> rs.ListNamesResponse:
        return await self._blocking.call(self._registry.list_names, request)

    async def list_versions(
        self, request: rs.ListVersionsRequest, ctx: Context
    ) -> rs.ListVersionsResponse:
        return await self._blocking.call(self._registry.list_versions, request)

    async def diff_versions(
        self, request: rs.DiffVersionsRequest, ctx: Context
    ) -> rs.DiffVersionsResponse:
        return await self._blocking.call(self._registry.diff_versions, request)

    async def get_bundle(self, request: rs.GetBundleRequest, ctx: Context) -> rs.GetBundleResponse:
        return await self._blocking.call(self._registry.get_bundle, request)
