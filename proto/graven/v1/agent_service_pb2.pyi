import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from graven.v1 import cache_pb2 as _cache_pb2
from graven.v1 import execution_pb2 as _execution_pb2
from graven.v1 import identifier_pb2 as _identifier_pb2
from graven.v1 import literals_pb2 as _literals_pb2
from graven.v1 import signal_pb2 as _signal_pb2
from graven.v1 import types_pb2 as _types_pb2
from graven.v1 import workflow_pb2 as _workflow_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CacheDecision(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CACHE_DECISION_UNSPECIFIED: _ClassVar[CacheDecision]
    CACHE_DECISION_HIT: _ClassVar[CacheDecision]
    CACHE_DECISION_RUN: _ClassVar[CacheDecision]
    CACHE_DECISION_WAIT: _ClassVar[CacheDecision]
CACHE_DECISION_UNSPECIFIED: CacheDecision
CACHE_DECISION_HIT: CacheDecision
CACHE_DECISION_RUN: CacheDecision
CACHE_DECISION_WAIT: CacheDecision

class ClaimExecutionRequest(_message.Message):
    __slots__ = ("agent_id", "wait_for")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    WAIT_FOR_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    wait_for: _duration_pb2.Duration
    def __init__(self, agent_id: _Optional[str] = ..., wait_for: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class ClaimExecutionResponse(_message.Message):
    __slots__ = ("execution", "workflow", "node_executions", "lease_expires_at", "store_url")
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    NODE_EXECUTIONS_FIELD_NUMBER: _ClassVar[int]
    LEASE_EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    STORE_URL_FIELD_NUMBER: _ClassVar[int]
    execution: _execution_pb2.Execution
    workflow: _workflow_pb2.Workflow
    node_executions: _containers.RepeatedCompositeFieldContainer[_execution_pb2.NodeExecution]
    lease_expires_at: _timestamp_pb2.Timestamp
    store_url: str
    def __init__(self, execution: _Optional[_Union[_execution_pb2.Execution, _Mapping]] = ..., workflow: _Optional[_Union[_workflow_pb2.Workflow, _Mapping]] = ..., node_executions: _Optional[_Iterable[_Union[_execution_pb2.NodeExecution, _Mapping]]] = ..., lease_expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., store_url: _Optional[str] = ...) -> None: ...

class HeartbeatRequest(_message.Message):
    __slots__ = ("agent_id", "execution_ids")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_IDS_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    execution_ids: _containers.RepeatedCompositeFieldContainer[_identifier_pb2.ExecutionIdentifier]
    def __init__(self, agent_id: _Optional[str] = ..., execution_ids: _Optional[_Iterable[_Union[_identifier_pb2.ExecutionIdentifier, _Mapping]]] = ...) -> None: ...

class HeartbeatResponse(_message.Message):
    __slots__ = ("lease_expires_at", "terminate", "lost")
    LEASE_EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    TERMINATE_FIELD_NUMBER: _ClassVar[int]
    LOST_FIELD_NUMBER: _ClassVar[int]
    lease_expires_at: _timestamp_pb2.Timestamp
    terminate: _containers.RepeatedCompositeFieldContainer[_identifier_pb2.ExecutionIdentifier]
    lost: _containers.RepeatedCompositeFieldContainer[_identifier_pb2.ExecutionIdentifier]
    def __init__(self, lease_expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., terminate: _Optional[_Iterable[_Union[_identifier_pb2.ExecutionIdentifier, _Mapping]]] = ..., lost: _Optional[_Iterable[_Union[_identifier_pb2.ExecutionIdentifier, _Mapping]]] = ...) -> None: ...

class ReportEventsRequest(_message.Message):
    __slots__ = ("agent_id", "events")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    events: _containers.RepeatedCompositeFieldContainer[_execution_pb2.Event]
    def __init__(self, agent_id: _Optional[str] = ..., events: _Optional[_Iterable[_Union[_execution_pb2.Event, _Mapping]]] = ...) -> None: ...

class ReportEventsResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CacheRequest(_message.Message):
    __slots__ = ("node_id", "key", "components")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    COMPONENTS_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    key: str
    components: _cache_pb2.CacheKeyComponents
    def __init__(self, node_id: _Optional[str] = ..., key: _Optional[str] = ..., components: _Optional[_Union[_cache_pb2.CacheKeyComponents, _Mapping]] = ...) -> None: ...

class ReserveCacheRequest(_message.Message):
    __slots__ = ("agent_id", "execution_id", "requests", "overwrite")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    OVERWRITE_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    execution_id: _identifier_pb2.ExecutionIdentifier
    requests: _containers.RepeatedCompositeFieldContainer[CacheRequest]
    overwrite: bool
    def __init__(self, agent_id: _Optional[str] = ..., execution_id: _Optional[_Union[_identifier_pb2.ExecutionIdentifier, _Mapping]] = ..., requests: _Optional[_Iterable[_Union[CacheRequest, _Mapping]]] = ..., overwrite: _Optional[bool] = ...) -> None: ...

class CacheAnswer(_message.Message):
    __slots__ = ("node_id", "decision", "entry")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    decision: CacheDecision
    entry: _cache_pb2.CacheEntry
    def __init__(self, node_id: _Optional[str] = ..., decision: _Optional[_Union[CacheDecision, str]] = ..., entry: _Optional[_Union[_cache_pb2.CacheEntry, _Mapping]] = ...) -> None: ...

class ReserveCacheResponse(_message.Message):
    __slots__ = ("answers",)
    ANSWERS_FIELD_NUMBER: _ClassVar[int]
    answers: _containers.RepeatedCompositeFieldContainer[CacheAnswer]
    def __init__(self, answers: _Optional[_Iterable[_Union[CacheAnswer, _Mapping]]] = ...) -> None: ...

class SignalWait(_message.Message):
    __slots__ = ("id", "type", "node_id", "deadline")
    ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_FIELD_NUMBER: _ClassVar[int]
    id: _signal_pb2.SignalIdentifier
    type: _types_pb2.LiteralType
    node_id: str
    deadline: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[_Union[_signal_pb2.SignalIdentifier, _Mapping]] = ..., type: _Optional[_Union[_types_pb2.LiteralType, _Mapping]] = ..., node_id: _Optional[str] = ..., deadline: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class WaitSignalsRequest(_message.Message):
    __slots__ = ("agent_id", "waits")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    WAITS_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    waits: _containers.RepeatedCompositeFieldContainer[SignalWait]
    def __init__(self, agent_id: _Optional[str] = ..., waits: _Optional[_Iterable[_Union[SignalWait, _Mapping]]] = ...) -> None: ...

class WaitSignalsResponse(_message.Message):
    __slots__ = ("signals",)
    SIGNALS_FIELD_NUMBER: _ClassVar[int]
    signals: _containers.RepeatedCompositeFieldContainer[_signal_pb2.Signal]
    def __init__(self, signals: _Optional[_Iterable[_Union[_signal_pb2.Signal, _Mapping]]] = ...) -> None: ...

class ChildExecutionRequest(_message.Message):
    __slots__ = ("parent", "launch_plan_id", "inputs")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    LAUNCH_PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    parent: _identifier_pb2.NodeExecutionIdentifier
    launch_plan_id: _identifier_pb2.Identifier
    inputs: _literals_pb2.LiteralMap
    def __init__(self, parent: _Optional[_Union[_identifier_pb2.NodeExecutionIdentifier, _Mapping]] = ..., launch_plan_id: _Optional[_Union[_identifier_pb2.Identifier, _Mapping]] = ..., inputs: _Optional[_Union[_literals_pb2.LiteralMap, _Mapping]] = ...) -> None: ...

class StartChildExecutionsRequest(_message.Message):
    __slots__ = ("agent_id", "requests")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    requests: _containers.RepeatedCompositeFieldContainer[ChildExecutionRequest]
    def __init__(self, agent_id: _Optional[str] = ..., requests: _Optional[_Iterable[_Union[ChildExecutionRequest, _Mapping]]] = ...) -> None: ...

class StartChildExecutionsResponse(_message.Message):
    __slots__ = ("executions",)
    EXECUTIONS_FIELD_NUMBER: _ClassVar[int]
    executions: _containers.RepeatedCompositeFieldContainer[_execution_pb2.Execution]
    def __init__(self, executions: _Optional[_Iterable[_Union[_execution_pb2.Execution, _Mapping]]] = ...) -> None: ...
