import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from graven.v1 import identifier_pb2 as _identifier_pb2
from graven.v1 import interface_pb2 as _interface_pb2
from graven.v1 import literals_pb2 as _literals_pb2
from graven.v1 import task_pb2 as _task_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class OutputReference(_message.Message):
    __slots__ = ("node_id", "output_name")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_NAME_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    output_name: str
    def __init__(self, node_id: _Optional[str] = ..., output_name: _Optional[str] = ...) -> None: ...

class BindingCollection(_message.Message):
    __slots__ = ("bindings",)
    BINDINGS_FIELD_NUMBER: _ClassVar[int]
    bindings: _containers.RepeatedCompositeFieldContainer[BindingData]
    def __init__(self, bindings: _Optional[_Iterable[_Union[BindingData, _Mapping]]] = ...) -> None: ...

class BindingMap(_message.Message):
    __slots__ = ("bindings",)
    class BindingsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: BindingData
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[BindingData, _Mapping]] = ...) -> None: ...
    BINDINGS_FIELD_NUMBER: _ClassVar[int]
    bindings: _containers.MessageMap[str, BindingData]
    def __init__(self, bindings: _Optional[_Mapping[str, BindingData]] = ...) -> None: ...

class BindingData(_message.Message):
    __slots__ = ("literal", "promise", "workflow_input", "collection", "map")
    LITERAL_FIELD_NUMBER: _ClassVar[int]
    PROMISE_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_INPUT_FIELD_NUMBER: _ClassVar[int]
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    MAP_FIELD_NUMBER: _ClassVar[int]
    literal: _literals_pb2.Literal
    promise: OutputReference
    workflow_input: str
    collection: BindingCollection
    map: BindingMap
    def __init__(self, literal: _Optional[_Union[_literals_pb2.Literal, _Mapping]] = ..., promise: _Optional[_Union[OutputReference, _Mapping]] = ..., workflow_input: _Optional[str] = ..., collection: _Optional[_Union[BindingCollection, _Mapping]] = ..., map: _Optional[_Union[BindingMap, _Mapping]] = ...) -> None: ...

class Binding(_message.Message):
    __slots__ = ("name", "binding")
    NAME_FIELD_NUMBER: _ClassVar[int]
    BINDING_FIELD_NUMBER: _ClassVar[int]
    name: str
    binding: BindingData
    def __init__(self, name: _Optional[str] = ..., binding: _Optional[_Union[BindingData, _Mapping]] = ...) -> None: ...

class TaskNode(_message.Message):
    __slots__ = ("task_id",)
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    task_id: _identifier_pb2.Identifier
    def __init__(self, task_id: _Optional[_Union[_identifier_pb2.Identifier, _Mapping]] = ...) -> None: ...

class NodeMetadata(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class Node(_message.Message):
    __slots__ = ("id", "metadata", "inputs", "upstream_node_ids", "task_node")
    ID_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    UPSTREAM_NODE_IDS_FIELD_NUMBER: _ClassVar[int]
    TASK_NODE_FIELD_NUMBER: _ClassVar[int]
    id: str
    metadata: NodeMetadata
    inputs: _containers.RepeatedCompositeFieldContainer[Binding]
    upstream_node_ids: _containers.RepeatedScalarFieldContainer[str]
    task_node: TaskNode
    def __init__(self, id: _Optional[str] = ..., metadata: _Optional[_Union[NodeMetadata, _Mapping]] = ..., inputs: _Optional[_Iterable[_Union[Binding, _Mapping]]] = ..., upstream_node_ids: _Optional[_Iterable[str]] = ..., task_node: _Optional[_Union[TaskNode, _Mapping]] = ...) -> None: ...

class WorkflowTemplate(_message.Message):
    __slots__ = ("interface", "nodes", "outputs")
    INTERFACE_FIELD_NUMBER: _ClassVar[int]
    NODES_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    interface: _interface_pb2.TypedInterface
    nodes: _containers.RepeatedCompositeFieldContainer[Node]
    outputs: _containers.RepeatedCompositeFieldContainer[Binding]
    def __init__(self, interface: _Optional[_Union[_interface_pb2.TypedInterface, _Mapping]] = ..., nodes: _Optional[_Iterable[_Union[Node, _Mapping]]] = ..., outputs: _Optional[_Iterable[_Union[Binding, _Mapping]]] = ...) -> None: ...

class WorkflowSpec(_message.Message):
    __slots__ = ("template", "description")
    TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    template: WorkflowTemplate
    description: str
    def __init__(self, template: _Optional[_Union[WorkflowTemplate, _Mapping]] = ..., description: _Optional[str] = ...) -> None: ...

class WorkflowClosure(_message.Message):
    __slots__ = ("digest", "created_at", "tasks", "node_order")
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    TASKS_FIELD_NUMBER: _ClassVar[int]
    NODE_ORDER_FIELD_NUMBER: _ClassVar[int]
    digest: str
    created_at: _timestamp_pb2.Timestamp
    tasks: _containers.RepeatedCompositeFieldContainer[_task_pb2.Task]
    node_order: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, digest: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., tasks: _Optional[_Iterable[_Union[_task_pb2.Task, _Mapping]]] = ..., node_order: _Optional[_Iterable[str]] = ...) -> None: ...

class Workflow(_message.Message):
    __slots__ = ("id", "spec", "closure")
    ID_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    CLOSURE_FIELD_NUMBER: _ClassVar[int]
    id: _identifier_pb2.Identifier
    spec: WorkflowSpec
    closure: WorkflowClosure
    def __init__(self, id: _Optional[_Union[_identifier_pb2.Identifier, _Mapping]] = ..., spec: _Optional[_Union[WorkflowSpec, _Mapping]] = ..., closure: _Optional[_Union[WorkflowClosure, _Mapping]] = ...) -> None: ...
