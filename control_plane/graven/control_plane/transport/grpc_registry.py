"""RegistryService over gRPC: each method hands the request to the service layer."""

# Method names are the rpc names gRPC dispatches on.
# ruff: noqa: N802

from __future__ import annotations

from collections.abc import Iterator

import grpc

from graven.control_plane.service.bundles import split_upload
from graven.control_plane.service.registry import RegistryService
from graven.control_plane.transport.grpc_errors import grpc_method, grpc_upload_method
from graven.control_plane.transport.grpc_offload import Offload
from graven.v1 import registry_service_pb2 as rs
from graven.v1 import registry_service_pb2_grpc as rs_grpc


class RegistryServicer(rs_grpc.RegistryServiceServicer):
    service_name = rs.DESCRIPTOR.services_by_name["RegistryService"].full_name
    reserved = False
    offload: Offload

    def __init__(self, registry: RegistryService) -> None:
        self._registry = registry

    def add_to_server(self, server: grpc.aio.Server, offload: Offload) -> None:
        self.offload = offload
        rs_grpc.add_RegistryServiceServicer_to_server(self, server)

    @grpc_method
    def Register(self, request: rs.RegisterRequest) -> rs.RegisterResponse:
        return self._registry.register(request)

    @grpc_method
    def CreateTask(self, request: rs.CreateTaskRequest) -> rs.CreateTaskResponse:
        return self._registry.create_task(request)

    @grpc_method
    def GetTask(self, request: rs.GetTaskRequest) -> rs.GetTaskResponse:
        return self._registry.get_task(request)

    @grpc_method
    def CreateWorkflow(self, request: rs.CreateWorkflowRequest) -> rs.CreateWorkflowResponse:
        return self._registry.create_workflow(request)

    @grpc_method
    def GetWorkflow(self, request: rs.GetWorkflowRequest) -> rs.GetWorkflowResponse:
        return self._registry.get_workflow(request)

    @grpc_method
    def CreateLaunchPlan(self, request: rs.CreateLaunchPlanRequest) -> rs.CreateLaunchPlanResponse:
        return self._registry.create_launch_plan(request)

    @grpc_method
    def GetLaunchPlan(self, request: rs.GetLaunchPlanRequest) -> rs.GetLaunchPlanResponse:
        return self._registry.get_launch_plan(request)

    @grpc_method
    def ListNames(self, request: rs.ListNamesRequest) -> rs.ListNamesResponse:
        return self._registry.list_names(request)

    @grpc_method
    def ListVersions(self, request: rs.ListVersionsRequest) -> rs.ListVersionsResponse:
        return self._registry.list_versions(request)

    @grpc_method
    def DiffVersions(self, request: rs.DiffVersionsRequest) -> rs.DiffVersionsResponse:
        return self._registry.diff_versions(request)

    @grpc_upload_method
    def UploadBundle(
        self, request_iterator: Iterator[rs.UploadBundleRequest]
    ) -> rs.UploadBundleResponse:
        header, chunks = split_upload(request_iterator)
        return self._registry.upload_bundle(header, chunks)

    @grpc_method
    def GetBundle(self, request: rs.GetBundleRequest) -> rs.GetBundleResponse:
        return self._registry.get_bundle(request)
