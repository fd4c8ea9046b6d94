import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from graven.v1 import cache_pb2 as _cache_pb2
from graven.v1 import identifier_pb2 as _identifier_pb2
from graven.v1 import lineage_pb2 as _lineage_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ExecutionPhase(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXECUTION_PHASE_UNSPECIFIED: _ClassVar[ExecutionPhase]
    EXECUTION_PHASE_QUEUED: _ClassVar[ExecutionPhase]
    EXECUTION_PHASE_RUNNING: _ClassVar[ExecutionPhase]
    EXECUTION_PHASE_TERMINATING: _ClassVar[ExecutionPhase]
    EXECUTION_PHASE_SUCCEEDED: _ClassVar[ExecutionPhase]
    EXECUTION_PHASE_FAILED: _ClassVar[ExecutionPhase]
    EXECUTION_PHASE_TERMINATED: _ClassVar[ExecutionPhase]
    EXECUTION_PHASE_TIMED_OUT: _ClassVar[ExecutionPhase]

class NodePhase(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NODE_PHASE_UNSPECIFIED: _ClassVar[NodePhase]
    NODE_PHASE_QUEUED: _ClassVar[NodePhase]
    NODE_PHASE_RUNNING: _ClassVar[NodePhase]
    NODE_PHASE_SUCCEEDED: _ClassVar[NodePhase]
    NODE_PHASE_FAILED: _ClassVar[NodePhase]
    NODE_PHASE_TIMED_OUT: _ClassVar[NodePhase]
    NODE_PHASE_TERMINATED: _ClassVar[NodePhase]
    NODE_PHASE_SKIPPED: _ClassVar[NodePhase]
    NODE_PHASE_RECOVERED: _ClassVar[NodePhase]
    NODE_PHASE_RETRYING: _ClassVar[NodePhase]

class CacheStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CACHE_STATUS_UNSPECIFIED: _ClassVar[CacheStatus]
    CACHE_STATUS_DISABLED: _ClassVar[CacheStatus]
    CACHE_STATUS_MISS: _ClassVar[CacheStatus]
    CACHE_STATUS_HIT: _ClassVar[CacheStatus]
    CACHE_STATUS_POPULATED: _ClassVar[CacheStatus]
    CACHE_STATUS_OVERWRITTEN: _ClassVar[CacheStatus]

class ExecutionMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXECUTION_MODE_UNSPECIFIED: _ClassVar[ExecutionMode]
    EXECUTION_MODE_MANUAL: _ClassVar[ExecutionMode]
    EXECUTION_MODE_RELAUNCH: _ClassVar[ExecutionMode]
    EXECUTION_MODE_RECOVER: _ClassVar[ExecutionMode]
    EXECUTION_MODE_CHILD: _ClassVar[ExecutionMode]

class ErrorKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ERROR_KIND_UNSPECIFIED: _ClassVar[ErrorKind]
    ERROR_KIND_USER: _ClassVar[ErrorKind]
    ERROR_KIND_SYSTEM: _ClassVar[ErrorKind]
    ERROR_KIND_TIMEOUT: _ClassVar[ErrorKind]
    ERROR_KIND_TERMINATED: _ClassVar[ErrorKind]
EXECUTION_PHASE_UNSPECIFIED: ExecutionPhase
EXECUTION_PHASE_QUEUED: ExecutionPhase
EXECUTION_PHASE_RUNNING: ExecutionPhase
EXECUTION_PHASE_TERMINATING: ExecutionPhase
EXECUTION_PHASE_SUCCEEDED: ExecutionPhase
EXECUTION_PHASE_FAILED: ExecutionPhase
EXECUTION_PHASE_TERMINATED: ExecutionPhase
EXECUTION_PHASE_TIMED_OUT: ExecutionPhase
NODE_PHASE_UNSPECIFIED: NodePhase
NODE_PHASE_QUEUED: NodePhase
NODE_PHASE_RUNNING: NodePhase
NODE_PHASE_SUCCEEDED: NodePhase
NODE_PHASE_FAILED: NodePhase
NODE_PHASE_TIMED_OUT: NodePhase
NODE_PHASE_TERMINATED: NodePhase
NODE_PHASE_SKIPPED: NodePhase
NODE_PHASE_RECOVERED: NodePhase
NODE_PHASE_RETRYING: NodePhase
CACHE_STATUS_UNSPECIFIED: CacheStatus
CACHE_STATUS_DISABLED: CacheStatus
CACHE_STATUS_MISS: CacheStatus
CACHE_STATUS_HIT: CacheStatus
CACHE_STATUS_POPULATED: CacheStatus
CACHE_STATUS_OVERWRITTEN: CacheStatus
EXECUTION_MODE_UNSPECIFIED: ExecutionMode
EXECUTION_MODE_MANUAL: ExecutionMode
EXECUTION_MODE_RELAUNCH: ExecutionMode
EXECUTION_MODE_RECOVER: ExecutionMode
EXECUTION_MODE_CHILD: ExecutionMode
ERROR_KIND_UNSPECIFIED: ErrorKind
ERROR_KIND_USER: ErrorKind
ERROR_KIND_SYSTEM: ErrorKind
ERROR_KIND_TIMEOUT: ErrorKind
ERROR_KIND_TERMINATED: ErrorKind

class ExecutionError(_message.Message):
    __slots__ = ("kind", "type", "message", "traceback", "node_id")
    KIND_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    TRACEBACK_FIELD_NUMBER: _ClassVar[int]
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    kind: ErrorKind
    type: str
    message: str
    traceback: str
    node_id: str
    def __init__(self, kind: _Optional[_Union[ErrorKind, str]] = ..., type: _Optional[str] = ..., message: _Optional[str] = ..., traceback: _Optional[str] = ..., node_id: _Optional[str] = ...) -> None: ...

class ExecutionSpec(_message.Message):
    __slots__ = ("workflow_id", "launch_plan_id", "mode", "source_execution_id", "overwrite_cache", "labels", "inputs_uri", "parent_node_execution")
    class LabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    LAUNCH_PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    OVERWRITE_CACHE_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    INPUTS_URI_FIELD_NUMBER: _ClassVar[int]
    PARENT_NODE_EXECUTION_FIELD_NUMBER: _ClassVar[int]
    workflow_id: _identifier_pb2.Identifier
    launch_plan_id: _identifier_pb2.Identifier
    mode: ExecutionMode
    source_execution_id: _identifier_pb2.ExecutionIdentifier
    overwrite_cache: bool
    labels: _containers.ScalarMap[str, str]
    inputs_uri: str
    parent_node_execution: _identifier_pb2.NodeExecutionIdentifier
    def __init__(self, workflow_id: _Optional[_Union[_identifier_pb2.Identifier, _Mapping]] = ..., launch_plan_id: _Optional[_Union[_identifier_pb2.Identifier, _Mapping]] = ..., mode: _Optional[_Union[ExecutionMode, str]] = ..., source_execution_id: _Optional[_Union[_identifier_pb2.ExecutionIdentifier, _Mapping]] = ..., overwrite_cache: _Optional[bool] = ..., labels: _Optional[_Mapping[str, str]] = ..., inputs_uri: _Optional[str] = ..., parent_node_execution: _Optional[_Union[_identifier_pb2.NodeExecutionIdentifier, _Mapping]] = ...) -> None: ...

class ExecutionClosure(_message.Message):
    __slots__ = ("phase", "created_at", "started_at", "updated_at", "finished_at", "error", "outputs_uri")
    PHASE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_URI_FIELD_NUMBER: _ClassVar[int]
    phase: ExecutionPhase
    created_at: _timestamp_pb2.Timestamp
    started_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    finished_at: _timestamp_pb2.Timestamp
    error: ExecutionError
    outputs_uri: str
    def __init__(self, phase: _Optional[_Union[ExecutionPhase, str]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finished_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., error: _Optional[_Union[ExecutionError, _Mapping]] = ..., outputs_uri: _Optional[str] = ...) -> None: ...

class Execution(_message.Message):
    __slots__ = ("id", "spec", "closure")
    ID_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    CLOSURE_FIELD_NUMBER: _ClassVar[int]
    id: _identifier_pb2.ExecutionIdentifier
    spec: ExecutionSpec
    closure: ExecutionClosure
    def __init__(self, id: _Optional[_Union[_identifier_pb2.ExecutionIdentifier, _Mapping]] = ..., spec: _Optional[_Union[ExecutionSpec, _Mapping]] = ..., closure: _Optional[_Union[ExecutionClosure, _Mapping]] = ...) -> None: ...

class NodeAttempt(_message.Message):
    __slots__ = ("attempt", "phase", "started_at", "finished_at", "error")
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    PHASE_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    attempt: int
    phase: NodePhase
    started_at: _timestamp_pb2.Timestamp
    finished_at: _timestamp_pb2.Timestamp
    error: ExecutionError
    def __init__(self, attempt: _Optional[int] = ..., phase: _Optional[_Union[NodePhase, str]] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finished_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., error: _Optional[_Union[ExecutionError, _Mapping]] = ...) -> None: ...

class NodeExecution(_message.Message):
    __slots__ = ("id", "task_id", "phase", "cache_status", "cache_key", "source_execution_id", "attempts", "inputs_uri", "outputs_uri", "started_at", "finished_at", "error", "cache_key_components", "output_hashes", "parent_node_id", "child_execution_id")
    class OutputHashesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    PHASE_FIELD_NUMBER: _ClassVar[int]
    CACHE_STATUS_FIELD_NUMBER: _ClassVar[int]
    CACHE_KEY_FIELD_NUMBER: _ClassVar[int]
    SOURCE_EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    INPUTS_URI_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_URI_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    CACHE_KEY_COMPONENTS_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_HASHES_FIELD_NUMBER: _ClassVar[int]
    PARENT_NODE_ID_FIELD_NUMBER: _ClassVar[int]
    CHILD_EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    id: _identifier_pb2.NodeExecutionIdentifier
    task_id: _identifier_pb2.Identifier
    phase: NodePhase
    cache_status: CacheStatus
    cache_key: str
    source_execution_id: _identifier_pb2.ExecutionIdentifier
    attempts: _containers.RepeatedCompositeFieldContainer[NodeAttempt]
    inputs_uri: str
    outputs_uri: str
    started_at: _timestamp_pb2.Timestamp
    finished_at: _timestamp_pb2.Timestamp
    error: ExecutionError
    cache_key_components: _cache_pb2.CacheKeyComponents
    output_hashes: _containers.ScalarMap[str, str]
    parent_node_id: str
    child_execution_id: _identifier_pb2.ExecutionIdentifier
    def __init__(self, id: _Optional[_Union[_identifier_pb2.NodeExecutionIdentifier, _Mapping]] = ..., task_id: _Optional[_Union[_identifier_pb2.Identifier, _Mapping]] = ..., phase: _Optional[_Union[NodePhase, str]] = ..., cache_status: _Optional[_Union[CacheStatus, str]] = ..., cache_key: _Optional[str] = ..., source_execution_id: _Optional[_Union[_identifier_pb2.ExecutionIdentifier, _Mapping]] = ..., attempts: _Optional[_Iterable[_Union[NodeAttempt, _Mapping]]] = ..., inputs_uri: _Optional[str] = ..., outputs_uri: _Optional[str] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finished_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., error: _Optional[_Union[ExecutionError, _Mapping]] = ..., cache_key_components: _Optional[_Union[_cache_pb2.CacheKeyComponents, _Mapping]] = ..., output_hashes: _Optional[_Mapping[str, str]] = ..., parent_node_id: _Optional[str] = ..., child_execution_id: _Optional[_Union[_identifier_pb2.ExecutionIdentifier, _Mapping]] = ...) -> None: ...

class ExecutionEvent(_message.Message):
    __slots__ = ("id", "phase", "occurred_at", "error", "outputs_uri")
    ID_FIELD_NUMBER: _ClassVar[int]
    PHASE_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_URI_FIELD_NUMBER: _ClassVar[int]
    id: _identifier_pb2.ExecutionIdentifier
    phase: ExecutionPhase
    occurred_at: _timestamp_pb2.Timestamp
    error: ExecutionError
    outputs_uri: str
    def __init__(self, id: _Optional[_Union[_identifier_pb2.ExecutionIdentifier, _Mapping]] = ..., phase: _Optional[_Union[ExecutionPhase, str]] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., error: _Optional[_Union[ExecutionError, _Mapping]] = ..., outputs_uri: _Optional[str] = ...) -> None: ...

class NodeEvent(_message.Message):
    __slots__ = ("id", "task_id", "phase", "attempt", "occurred_at", "error", "inputs_uri", "outputs_uri", "cache_status", "cache_key", "source_execution_id", "cache_key_components", "lineage", "parent_node_id", "child_execution_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    PHASE_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    INPUTS_URI_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_URI_FIELD_NUMBER: _ClassVar[int]
    CACHE_STATUS_FIELD_NUMBER: _ClassVar[int]
    CACHE_KEY_FIELD_NUMBER: _ClassVar[int]
    SOURCE_EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    CACHE_KEY_COMPONENTS_FIELD_NUMBER: _ClassVar[int]
    LINEAGE_FIELD_NUMBER: _ClassVar[int]
    PARENT_NODE_ID_FIELD_NUMBER: _ClassVar[int]
    CHILD_EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    id: _identifier_pb2.NodeExecutionIdentifier
    task_id: _identifier_pb2.Identifier
    phase: NodePhase
    attempt: int
    occurred_at: _timestamp_pb2.Timestamp
    error: ExecutionError
    inputs_uri: str
    outputs_uri: str
    cache_status: CacheStatus
    cache_key: str
    source_execution_id: _identifier_pb2.ExecutionIdentifier
    cache_key_components: _cache_pb2.CacheKeyComponents
    lineage: _containers.RepeatedCompositeFieldContainer[_lineage_pb2.LineageRecord]
    parent_node_id: str
    child_execution_id: _identifier_pb2.ExecutionIdentifier
    def __init__(self, id: _Optional[_Union[_identifier_pb2.NodeExecutionIdentifier, _Mapping]] = ..., task_id: _Optional[_Union[_identifier_pb2.Identifier, _Mapping]] = ..., phase: _Optional[_Union[NodePhase, str]] = ..., attempt: _Optional[int] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., error: _Optional[_Union[ExecutionError, _Mapping]] = ..., inputs_uri: _Optional[str] = ..., outputs_uri: _Optional[str] = ..., cache_status: _Optional[_Union[CacheStatus, str]] = ..., cache_key: _Optional[str] = ..., source_execution_id: _Optional[_Union[_identifier_pb2.ExecutionIdentifier, _Mapping]] = ..., cache_key_components: _Optional[_Union[_cache_pb2.CacheKeyComponents, _Mapping]] = ..., lineage: _Optional[_Iterable[_Union[_lineage_pb2.LineageRecord, _Mapping]]] = ..., parent_node_id: _Optional[str] = ..., child_execution_id: _Optional[_Union[_identifier_pb2.ExecutionIdentifier, _Mapping]] = ...) -> None: ...

class Event(_message.Message):
    __slots__ = ("execution", "node")
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    NODE_FIELD_NUMBER: _ClassVar[int]
    execution: ExecutionEvent
    node: NodeEvent
    def __init__(self, execution: _Optional[_Union[ExecutionEvent, _Mapping]] = ..., node: _Optional[_Union[NodeEvent, _Mapping]] = ...) -> None: ...
