import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from graven.v1 import identifier_pb2 as _identifier_pb2
from graven.v1 import interface_pb2 as _interface_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CodeReference(_message.Message):
    __slots__ = ("bundle_digest", "module", "function", "code_digest")
    BUNDLE_DIGEST_FIELD_NUMBER: _ClassVar[int]
    MODULE_FIELD_NUMBER: _ClassVar[int]
    FUNCTION_FIELD_NUMBER: _ClassVar[int]
    CODE_DIGEST_FIELD_NUMBER: _ClassVar[int]
    bundle_digest: str
    module: str
    function: str
    code_digest: str
    def __init__(self, bundle_digest: _Optional[str] = ..., module: _Optional[str] = ..., function: _Optional[str] = ..., code_digest: _Optional[str] = ...) -> None: ...

class Resources(_message.Message):
    __slots__ = ("cpus", "gpus", "memory_bytes", "custom")
    class CustomEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    CPUS_FIELD_NUMBER: _ClassVar[int]
    GPUS_FIELD_NUMBER: _ClassVar[int]
    MEMORY_BYTES_FIELD_NUMBER: _ClassVar[int]
    CUSTOM_FIELD_NUMBER: _ClassVar[int]
    cpus: float
    gpus: float
    memory_bytes: int
    custom: _containers.ScalarMap[str, float]
    def __init__(self, cpus: _Optional[float] = ..., gpus: _Optional[float] = ..., memory_bytes: _Optional[int] = ..., custom: _Optional[_Mapping[str, float]] = ...) -> None: ...

class CachePolicy(_message.Message):
    __slots__ = ("enabled", "version", "ignore_inputs")
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    IGNORE_INPUTS_FIELD_NUMBER: _ClassVar[int]
    enabled: bool
    version: str
    ignore_inputs: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, enabled: _Optional[bool] = ..., version: _Optional[str] = ..., ignore_inputs: _Optional[_Iterable[str]] = ...) -> None: ...

class TaskMetadata(_message.Message):
    __slots__ = ("retries", "timeout", "cache", "resources", "graven_version")
    RETRIES_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    CACHE_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    GRAVEN_VERSION_FIELD_NUMBER: _ClassVar[int]
    retries: int
    timeout: _duration_pb2.Duration
    cache: CachePolicy
    resources: Resources
    graven_version: str
    def __init__(self, retries: _Optional[int] = ..., timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., cache: _Optional[_Union[CachePolicy, _Mapping]] = ..., resources: _Optional[_Union[Resources, _Mapping]] = ..., graven_version: _Optional[str] = ...) -> None: ...

class TaskTemplate(_message.Message):
    __slots__ = ("interface", "code", "metadata")
    INTERFACE_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    interface: _interface_pb2.TypedInterface
    code: CodeReference
    metadata: TaskMetadata
    def __init__(self, interface: _Optional[_Union[_interface_pb2.TypedInterface, _Mapping]] = ..., code: _Optional[_Union[CodeReference, _Mapping]] = ..., metadata: _Optional[_Union[TaskMetadata, _Mapping]] = ...) -> None: ...

class TaskSpec(_message.Message):
    __slots__ = ("template", "description")
    TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    template: TaskTemplate
    description: str
    def __init__(self, template: _Optional[_Union[TaskTemplate, _Mapping]] = ..., description: _Optional[str] = ...) -> None: ...

class TaskClosure(_message.Message):
    __slots__ = ("digest", "created_at")
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    digest: str
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, digest: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Task(_message.Message):
    __slots__ = ("id", "spec", "closure")
    ID_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    CLOSURE_FIELD_NUMBER: _ClassVar[int]
    id: _identifier_pb2.Identifier
    spec: TaskSpec
    closure: TaskClosure
    def __init__(self, id: _Optional[_Union[_identifier_pb2.Identifier, _Mapping]] = ..., spec: _Optional[_Union[TaskSpec, _Mapping]] = ..., closure: _Optional[_Union[TaskClosure, _Mapping]] = ...) -> None: ...
