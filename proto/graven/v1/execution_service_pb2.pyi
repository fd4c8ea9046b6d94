import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from graven.v1 import execution_pb2 as _execution_pb2
from graven.v1 import identifier_pb2 as _identifier_pb2
from graven.v1 import literals_pb2 as _literals_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateExecutionRequest(_message.Message):
    __slots__ = ("project", "domain", "name", "workflow_id", "launch_plan_id", "inputs", "overwrite_cache", "labels")
    class LabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    LAUNCH_PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    OVERWRITE_CACHE_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    project: str
    domain: str
    name: str
    workflow_id: _identifier_pb2.Identifier
    launch_plan_id: _identifier_pb2.Identifier
    inputs: _literals_pb2.LiteralMap
    overwrite_cache: bool
    labels: _containers.ScalarMap[str, str]
    def __init__(self, project: _Optional[str] = ..., domain: _Optional[str] = ..., name: _Optional[str] = ..., workflow_id: _Optional[_Union[_identifier_pb2.Identifier, _Mapping]] = ..., launch_plan_id: _Optional[_Union[_identifier_pb2.Identifier, _Mapping]] = ..., inputs: _Optional[_Union[_literals_pb2.LiteralMap, _Mapping]] = ..., overwrite_cache: _Optional[bool] = ..., labels: _Optional[_Mapping[str, str]] = ...) -> None: ...

class CreateExecutionResponse(_message.Message):
    __slots__ = ("execution",)
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    execution: _execution_pb2.Execution
    def __init__(self, execution: _Optional[_Union[_execution_pb2.Execution, _Mapping]] = ...) -> None: ...

class GetExecutionRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: _identifier_pb2.ExecutionIdentifier
    def __init__(self, id: _Optional[_Union[_identifier_pb2.ExecutionIdentifier, _Mapping]] = ...) -> None: ...

class GetExecutionResponse(_message.Message):
    __slots__ = ("execution",)
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    execution: _execution_pb2.Execution
    def __init__(self, execution: _Optional[_Union[_execution_pb2.Execution, _Mapping]] = ...) -> None: ...

class ListExecutionsRequest(_message.Message):
    __slots__ = ("project", "domain", "page_size", "page_token", "workflow_name", "workflow_version", "phases", "created_after", "created_before")
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_NAME_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_VERSION_FIELD_NUMBER: _ClassVar[int]
    PHASES_FIELD_NUMBER: _ClassVar[int]
    CREATED_AFTER_FIELD_NUMBER: _ClassVar[int]
    CREATED_BEFORE_FIELD_NUMBER: _ClassVar[int]
    project: str
    domain: str
    page_size: int
    page_token: str
    workflow_name: str
    workflow_version: str
    phases: _containers.RepeatedScalarFieldContainer[_execution_pb2.ExecutionPhase]
    created_after: _timestamp_pb2.Timestamp
    created_before: _timestamp_pb2.Timestamp
    def __init__(self, project: _Optional[str] = ..., domain: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., workflow_name: _Optional[str] = ..., workflow_version: _Optional[str] = ..., phases: _Optional[_Iterable[_Union[_execution_pb2.ExecutionPhase, str]]] = ..., created_after: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_before: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListExecutionsResponse(_message.Message):
    __slots__ = ("executions", "next_page_token")
    EXECUTIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    executions: _containers.RepeatedCompositeFieldContainer[_execution_pb2.Execution]
    next_page_token: str
    def __init__(self, executions: _Optional[_Iterable[_Union[_execution_pb2.Execution, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListNodeExecutionsRequest(_message.Message):
    __slots__ = ("execution_id", "page_size", "page_token", "parent_node_id")
    EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PARENT_NODE_ID_FIELD_NUMBER: _ClassVar[int]
    execution_id: _identifier_pb2.ExecutionIdentifier
    page_size: int
    page_token: str
    parent_node_id: str
    def __init__(self, execution_id: _Optional[_Union[_identifier_pb2.ExecutionIdentifier, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., parent_node_id: _Optional[str] = ...) -> None: ...

class ListNodeExecutionsResponse(_message.Message):
    __slots__ = ("node_executions", "next_page_token")
    NODE_EXECUTIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    node_executions: _containers.RepeatedCompositeFieldContainer[_execution_pb2.NodeExecution]
    next_page_token: str
    def __init__(self, node_executions: _Optional[_Iterable[_Union[_execution_pb2.NodeExecution, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetExecutionDataRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: _identifier_pb2.ExecutionIdentifier
    def __init__(self, id: _Optional[_Union[_identifier_pb2.ExecutionIdentifier, _Mapping]] = ...) -> None: ...

class GetExecutionDataResponse(_message.Message):
    __slots__ = ("inputs", "outputs")
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    inputs: _literals_pb2.LiteralMap
    outputs: _literals_pb2.LiteralMap
    def __init__(self, inputs: _Optional[_Union[_literals_pb2.LiteralMap, _Mapping]] = ..., outputs: _Optional[_Union[_literals_pb2.LiteralMap, _Mapping]] = ...) -> None: ...

class GetNodeExecutionDataRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: _identifier_pb2.NodeExecutionIdentifier
    def __init__(self, id: _Optional[_Union[_identifier_pb2.NodeExecutionIdentifier, _Mapping]] = ...) -> None: ...

class GetNodeExecutionDataResponse(_message.Message):
    __slots__ = ("inputs", "outputs")
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    inputs: _literals_pb2.LiteralMap
    outputs: _literals_pb2.LiteralMap
    def __init__(self, inputs: _Optional[_Union[_literals_pb2.LiteralMap, _Mapping]] = ..., outputs: _Optional[_Union[_literals_pb2.LiteralMap, _Mapping]] = ...) -> None: ...

class WatchExecutionRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: _identifier_pb2.ExecutionIdentifier
    def __init__(self, id: _Optional[_Union[_identifier_pb2.ExecutionIdentifier, _Mapping]] = ...) -> None: ...

class WatchExecutionResponse(_message.Message):
    __slots__ = ("execution", "node_executions")
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    NODE_EXECUTIONS_FIELD_NUMBER: _ClassVar[int]
    execution: _execution_pb2.Execution
    node_executions: _containers.RepeatedCompositeFieldContainer[_execution_pb2.NodeExecution]
    def __init__(self, execution: _Optional[_Union[_execution_pb2.Execution, _Mapping]] = ..., node_executions: _Optional[_Iterable[_Union[_execution_pb2.NodeExecution, _Mapping]]] = ...) -> None: ...

class TerminateExecutionRequest(_message.Message):
    __slots__ = ("id", "reason")
    ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    id: _identifier_pb2.ExecutionIdentifier
    reason: str
    def __init__(self, id: _Optional[_Union[_identifier_pb2.ExecutionIdentifier, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class TerminateExecutionResponse(_message.Message):
    __slots__ = ("execution",)
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    execution: _execution_pb2.Execution
    def __init__(self, execution: _Optional[_Union[_execution_pb2.Execution, _Mapping]] = ...) -> None: ...

class RelaunchExecutionRequest(_message.Message):
    __slots__ = ("id", "name", "workflow_version", "latest", "overwrite_cache")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_VERSION_FIELD_NUMBER: _ClassVar[int]
    LATEST_FIELD_NUMBER: _ClassVar[int]
    OVERWRITE_CACHE_FIELD_NUMBER: _ClassVar[int]
    id: _identifier_pb2.ExecutionIdentifier
    name: str
    workflow_version: str
    latest: bool
    overwrite_cache: bool
    def __init__(self, id: _Optional[_Union[_identifier_pb2.ExecutionIdentifier, _Mapping]] = ..., name: _Optional[str] = ..., workflow_version: _Optional[str] = ..., latest: _Optional[bool] = ..., overwrite_cache: _Optional[bool] = ...) -> None: ...

class RelaunchExecutionResponse(_message.Message):
    __slots__ = ("execution",)
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    execution: _execution_pb2.Execution
    def __init__(self, execution: _Optional[_Union[_execution_pb2.Execution, _Mapping]] = ...) -> None: ...

class RecoverExecutionRequest(_message.Message):
    __slots__ = ("id", "name")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    id: _identifier_pb2.ExecutionIdentifier
    name: str
    def __init__(self, id: _Optional[_Union[_identifier_pb2.ExecutionIdentifier, _Mapping]] = ..., name: _Optional[str] = ...) -> None: ...

class RecoverExecutionResponse(_message.Message):
    __slots__ = ("execution",)
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    execution: _execution_pb2.Execution
    def __init__(self, execution: _Optional[_Union[_execution_pb2.Execution, _Mapping]] = ...) -> None: ...
