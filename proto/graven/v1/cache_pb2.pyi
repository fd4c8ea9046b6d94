import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from graven.v1 import identifier_pb2 as _identifier_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CacheKeyComponents(_message.Message):
    __slots__ = ("task", "interface_digest", "code_digest", "cache_version", "inputs", "ignored_inputs")
    class InputsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    TASK_FIELD_NUMBER: _ClassVar[int]
    INTERFACE_DIGEST_FIELD_NUMBER: _ClassVar[int]
    CODE_DIGEST_FIELD_NUMBER: _ClassVar[int]
    CACHE_VERSION_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    IGNORED_INPUTS_FIELD_NUMBER: _ClassVar[int]
    task: _identifier_pb2.Identifier
    interface_digest: str
    code_digest: str
    cache_version: str
    inputs: _containers.ScalarMap[str, str]
    ignored_inputs: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, task: _Optional[_Union[_identifier_pb2.Identifier, _Mapping]] = ..., interface_digest: _Optional[str] = ..., code_digest: _Optional[str] = ..., cache_version: _Optional[str] = ..., inputs: _Optional[_Mapping[str, str]] = ..., ignored_inputs: _Optional[_Iterable[str]] = ...) -> None: ...

class CacheEntry(_message.Message):
    __slots__ = ("key", "components", "outputs", "artifact_hashes", "source", "task_id", "created_at")
    class OutputsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    KEY_FIELD_NUMBER: _ClassVar[int]
    COMPONENTS_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    ARTIFACT_HASHES_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    key: str
    components: CacheKeyComponents
    outputs: _containers.ScalarMap[str, str]
    artifact_hashes: _containers.RepeatedScalarFieldContainer[str]
    source: _identifier_pb2.NodeExecutionIdentifier
    task_id: _identifier_pb2.Identifier
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, key: _Optional[str] = ..., components: _Optional[_Union[CacheKeyComponents, _Mapping]] = ..., outputs: _Optional[_Mapping[str, str]] = ..., artifact_hashes: _Optional[_Iterable[str]] = ..., source: _Optional[_Union[_identifier_pb2.NodeExecutionIdentifier, _Mapping]] = ..., task_id: _Optional[_Union[_identifier_pb2.Identifier, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
