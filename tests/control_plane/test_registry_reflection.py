"""A client that knows the API only through server reflection: no generated stubs."""

from __future__ import annotations

import grpc
from google.protobuf.descriptor_pool import DescriptorPool
from google.protobuf.message_factory import GetMessageClass
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)


def test_a_reflection_client_lists_services_and_calls_list_names(
    grpc_channel: grpc.Channel, registered_task_name: str
) -> None:
    database = ProtoReflectionDescriptorDatabase(grpc_channel)
    services = set(database.get_services())
    assert {
        "graven.v1.RegistryService",
        "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection",
    } <= services

    # A pool of its own: nothing here comes from the descriptors this process compiled in.
    pool = DescriptorPool(database)
    service = pool.FindServiceByName("graven.v1.RegistryService")
    assert {"CreateTask", "ListNames", "ListVersions", "DiffVersions", "UploadBundle"} <= set(
        service.methods_by_name
    )
    method = service.methods_by_name["ListNames"]
    request_class = GetMessageClass(method.input_type)
    response_class = GetMessageClass(method.output_type)
    list_names = grpc_channel.unary_unary(
        f"/{service.full_name}/{method.name}",
        request_serializer=request_class.SerializeToString,
        response_deserializer=response_class.FromString,
    )
    resource_types = method.input_type.fields_by_name["resource_type"].enum_type
    request = request_class(
        resource_type=resource_types.values_by_name["RESOURCE_TYPE_TASK"].number,
        project="cp-tests",
        domain="dev",
        name_prefix=registered_task_name,
    )
    response = list_names(request)
    assert [entity.name for entity in response.entities] == [registered_task_name]
    assert response.entities[0].latest_version == "v1"
