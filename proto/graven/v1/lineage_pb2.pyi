import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from graven.v1 import identifier_pb2 as _identifier_pb2
from graven.v1 import types_pb2 as _types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class LineageRecord(_message.Message):
    __slots__ = ("artifact_hash", "type", "size", "content_hashes", "execution_id", "workflow_id", "node_id", "name", "attempt", "task_id", "code_digest", "cache_key", "inputs", "cache_source", "created_at")
    class InputsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ARTIFACT_HASH_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_HASHES_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    CODE_DIGEST_FIELD_NUMBER: _ClassVar[int]
    CACHE_KEY_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    CACHE_SOURCE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    artifact_hash: str
    type: _types_pb2.LiteralType
    size: int
    content_hashes: _containers.RepeatedScalarFieldContainer[str]
    execution_id: _identifier_pb2.ExecutionIdentifier
    workflow_id: _identifier_pb2.Identifier
    node_id: str
    name: str
    attempt: int
    task_id: _identifier_pb2.Identifier
    code_digest: str
    cache_key: str
    inputs: _containers.ScalarMap[str, str]
    cache_source: _identifier_pb2.NodeExecutionIdentifier
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, artifact_hash: _Optional[str] = ..., type: _Optional[_Union[_types_pb2.LiteralType, _Mapping]] = ..., size: _Optional[int] = ..., content_hashes: _Optional[_Iterable[str]] = ..., execution_id: _Optional[_Union[_identifier_pb2.ExecutionIdentifier, _Mapping]] = ..., workflow_id: _Optional[_Union[_identifier_pb2.Identifier, _Mapping]] = ..., node_id: _Optional[str] = ..., name: _Optional[str] = ..., attempt: _Optional[int] = ..., task_id: _Optional[_Union[_identifier_pb2.Identifier, _Mapping]] = ..., code_digest: _Optional[str] = ..., cache_key: _Optional[str] = ..., inputs: _Optional[_Mapping[str, str]] = ..., cache_source: _Optional[_Union[_identifier_pb2.NodeExecutionIdentifier, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Artifact(_message.Message):
    __slots__ = ("hash", "type", "size", "content_hashes", "created_at", "records")
    HASH_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_HASHES_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    hash: str
    type: _types_pb2.LiteralType
    size: int
    content_hashes: _containers.RepeatedScalarFieldContainer[str]
    created_at: _timestamp_pb2.Timestamp
    records: _containers.RepeatedCompositeFieldContainer[LineageRecord]
    def __init__(self, hash: _Optional[str] = ..., type: _Optional[_Union[_types_pb2.LiteralType, _Mapping]] = ..., size: _Optional[int] = ..., content_hashes: _Optional[_Iterable[str]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., records: _Optional[_Iterable[_Union[LineageRecord, _Mapping]]] = ...) -> None: ...

class LineageStep(_message.Message):
    __slots__ = ("id", "workflow_id", "attempt", "task_id", "code_digest", "cache_key", "cache_source", "inputs", "outputs", "created_at")
    class InputsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class OutputsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    CODE_DIGEST_FIELD_NUMBER: _ClassVar[int]
    CACHE_KEY_FIELD_NUMBER: _ClassVar[int]
    CACHE_SOURCE_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: _identifier_pb2.NodeExecutionIdentifier
    workflow_id: _identifier_pb2.Identifier
    attempt: int
    task_id: _identifier_pb2.Identifier
    code_digest: str
    cache_key: str
    cache_source: _identifier_pb2.NodeExecutionIdentifier
    inputs: _containers.ScalarMap[str, str]
    outputs: _containers.ScalarMap[str, str]
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[_Union[_identifier_pb2.NodeExecutionIdentifier, _Mapping]] = ..., workflow_id: _Optional[_Union[_identifier_pb2.Identifier, _Mapping]] = ..., attempt: _Optional[int] = ..., task_id: _Optional[_Union[_identifier_pb2.Identifier, _Mapping]] = ..., code_digest: _Optional[str] = ..., cache_key: _Optional[str] = ..., cache_source: _Optional[_Union[_identifier_pb2.NodeExecutionIdentifier, _Mapping]] = ..., inputs: _Optional[_Mapping[str, str]] = ..., outputs: _Optional[_Mapping[str, str]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class LineageGraph(_message.Message):
    __slots__ = ("artifacts", "steps")
    ARTIFACTS_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    artifacts: _containers.RepeatedCompositeFieldContainer[Artifact]
    steps: _containers.RepeatedCompositeFieldContainer[LineageStep]
    def __init__(self, artifacts: _Optional[_Iterable[_Union[Artifact, _Mapping]]] = ..., steps: _Optional[_Iterable[_Union[LineageStep, _Mapping]]] = ...) -> None: ...
