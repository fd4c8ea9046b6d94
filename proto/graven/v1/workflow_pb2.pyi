import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from graven.v1 import identifier_pb2 as _identifier_pb2
from graven.v1 import interface_pb2 as _interface_pb2
from graven.v1 import literals_pb2 as _literals_pb2
from graven.v1 import launch_plan_pb2 as _launch_plan_pb2
from graven.v1 import task_pb2 as _task_pb2
from graven.v1 import types_pb2 as _types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ComparisonOperator(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COMPARISON_OPERATOR_UNSPECIFIED: _ClassVar[ComparisonOperator]
    COMPARISON_OPERATOR_EQ: _ClassVar[ComparisonOperator]
    COMPARISON_OPERATOR_NE: _ClassVar[ComparisonOperator]
    COMPARISON_OPERATOR_LT: _ClassVar[ComparisonOperator]
    COMPARISON_OPERATOR_LE: _ClassVar[ComparisonOperator]
    COMPARISON_OPERATOR_GT: _ClassVar[ComparisonOperator]
    COMPARISON_OPERATOR_GE: _ClassVar[ComparisonOperator]

class UnaryOperator(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    UNARY_OPERATOR_UNSPECIFIED: _ClassVar[UnaryOperator]
    UNARY_OPERATOR_IS_TRUE: _ClassVar[UnaryOperator]
    UNARY_OPERATOR_IS_FALSE: _ClassVar[UnaryOperator]
    UNARY_OPERATOR_IS_NONE: _ClassVar[UnaryOperator]

class LogicalOperator(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LOGICAL_OPERATOR_UNSPECIFIED: _ClassVar[LogicalOperator]
    LOGICAL_OPERATOR_AND: _ClassVar[LogicalOperator]
    LOGICAL_OPERATOR_OR: _ClassVar[LogicalOperator]

class FailurePolicy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FAILURE_POLICY_UNSPECIFIED: _ClassVar[FailurePolicy]
    FAILURE_POLICY_FAIL_IMMEDIATELY: _ClassVar[FailurePolicy]
    FAILURE_POLICY_FAIL_AFTER_EXECUTABLE_NODES_COMPLETE: _ClassVar[FailurePolicy]
COMPARISON_OPERATOR_UNSPECIFIED: ComparisonOperator
COMPARISON_OPERATOR_EQ: ComparisonOperator
COMPARISON_OPERATOR_NE: ComparisonOperator
COMPARISON_OPERATOR_LT: ComparisonOperator
COMPARISON_OPERATOR_LE: ComparisonOperator
COMPARISON_OPERATOR_GT: ComparisonOperator
COMPARISON_OPERATOR_GE: ComparisonOperator
UNARY_OPERATOR_UNSPECIFIED: UnaryOperator
UNARY_OPERATOR_IS_TRUE: UnaryOperator
UNARY_OPERATOR_IS_FALSE: UnaryOperator
UNARY_OPERATOR_IS_NONE: UnaryOperator
LOGICAL_OPERATOR_UNSPECIFIED: LogicalOperator
LOGICAL_OPERATOR_AND: LogicalOperator
LOGICAL_OPERATOR_OR: LogicalOperator
FAILURE_POLICY_UNSPECIFIED: FailurePolicy
FAILURE_POLICY_FAIL_IMMEDIATELY: FailurePolicy
FAILURE_POLICY_FAIL_AFTER_EXECUTABLE_NODES_COMPLETE: FailurePolicy

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

class PromiseAttribute(_message.Message):
    __slots__ = ("name", "index")
    NAME_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    name: str
    index: int
    def __init__(self, name: _Optional[str] = ..., index: _Optional[int] = ...) -> None: ...

class BindingData(_message.Message):
    __slots__ = ("literal", "promise", "workflow_input", "collection", "map", "workflow_error", "attr_path")
    LITERAL_FIELD_NUMBER: _ClassVar[int]
    PROMISE_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_INPUT_FIELD_NUMBER: _ClassVar[int]
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    MAP_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ERROR_FIELD_NUMBER: _ClassVar[int]
    ATTR_PATH_FIELD_NUMBER: _ClassVar[int]
    literal: _literals_pb2.Literal
    promise: OutputReference
    workflow_input: str
    collection: BindingCollection
    map: BindingMap
    workflow_error: bool
    attr_path: _containers.RepeatedCompositeFieldContainer[PromiseAttribute]
    def __init__(self, literal: _Optional[_Union[_literals_pb2.Literal, _Mapping]] = ..., promise: _Optional[_Union[OutputReference, _Mapping]] = ..., workflow_input: _Optional[str] = ..., collection: _Optional[_Union[BindingCollection, _Mapping]] = ..., map: _Optional[_Union[BindingMap, _Mapping]] = ..., workflow_error: _Optional[bool] = ..., attr_path: _Optional[_Iterable[_Union[PromiseAttribute, _Mapping]]] = ...) -> None: ...

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

class ComparisonExpression(_message.Message):
    __slots__ = ("operator", "left", "right")
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    LEFT_FIELD_NUMBER: _ClassVar[int]
    RIGHT_FIELD_NUMBER: _ClassVar[int]
    operator: ComparisonOperator
    left: BindingData
    right: BindingData
    def __init__(self, operator: _Optional[_Union[ComparisonOperator, str]] = ..., left: _Optional[_Union[BindingData, _Mapping]] = ..., right: _Optional[_Union[BindingData, _Mapping]] = ...) -> None: ...

class UnaryExpression(_message.Message):
    __slots__ = ("operator", "operand")
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    OPERAND_FIELD_NUMBER: _ClassVar[int]
    operator: UnaryOperator
    operand: BindingData
    def __init__(self, operator: _Optional[_Union[UnaryOperator, str]] = ..., operand: _Optional[_Union[BindingData, _Mapping]] = ...) -> None: ...

class ConjunctionExpression(_message.Message):
    __slots__ = ("operator", "left", "right")
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    LEFT_FIELD_NUMBER: _ClassVar[int]
    RIGHT_FIELD_NUMBER: _ClassVar[int]
    operator: LogicalOperator
    left: BooleanExpression
    right: BooleanExpression
    def __init__(self, operator: _Optional[_Union[LogicalOperator, str]] = ..., left: _Optional[_Union[BooleanExpression, _Mapping]] = ..., right: _Optional[_Union[BooleanExpression, _Mapping]] = ...) -> None: ...

class BooleanExpression(_message.Message):
    __slots__ = ("comparison", "unary", "conjunction")
    COMPARISON_FIELD_NUMBER: _ClassVar[int]
    UNARY_FIELD_NUMBER: _ClassVar[int]
    CONJUNCTION_FIELD_NUMBER: _ClassVar[int]
    comparison: ComparisonExpression
    unary: UnaryExpression
    conjunction: ConjunctionExpression
    def __init__(self, comparison: _Optional[_Union[ComparisonExpression, _Mapping]] = ..., unary: _Optional[_Union[UnaryExpression, _Mapping]] = ..., conjunction: _Optional[_Union[ConjunctionExpression, _Mapping]] = ...) -> None: ...

class BranchCase(_message.Message):
    __slots__ = ("condition", "then_node")
    CONDITION_FIELD_NUMBER: _ClassVar[int]
    THEN_NODE_FIELD_NUMBER: _ClassVar[int]
    condition: BooleanExpression
    then_node: Node
    def __init__(self, condition: _Optional[_Union[BooleanExpression, _Mapping]] = ..., then_node: _Optional[_Union[Node, _Mapping]] = ...) -> None: ...

class BranchNode(_message.Message):
    __slots__ = ("cases", "else_node", "else_fail")
    CASES_FIELD_NUMBER: _ClassVar[int]
    ELSE_NODE_FIELD_NUMBER: _ClassVar[int]
    ELSE_FAIL_FIELD_NUMBER: _ClassVar[int]
    cases: _containers.RepeatedCompositeFieldContainer[BranchCase]
    else_node: Node
    else_fail: str
    def __init__(self, cases: _Optional[_Iterable[_Union[BranchCase, _Mapping]]] = ..., else_node: _Optional[_Union[Node, _Mapping]] = ..., else_fail: _Optional[str] = ...) -> None: ...

class ArrayNode(_message.Message):
    __slots__ = ("task_id", "mapped_inputs", "concurrency", "min_success_ratio")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    MAPPED_INPUTS_FIELD_NUMBER: _ClassVar[int]
    CONCURRENCY_FIELD_NUMBER: _ClassVar[int]
    MIN_SUCCESS_RATIO_FIELD_NUMBER: _ClassVar[int]
    task_id: _identifier_pb2.Identifier
    mapped_inputs: _containers.RepeatedScalarFieldContainer[str]
    concurrency: int
    min_success_ratio: float
    def __init__(self, task_id: _Optional[_Union[_identifier_pb2.Identifier, _Mapping]] = ..., mapped_inputs: _Optional[_Iterable[str]] = ..., concurrency: _Optional[int] = ..., min_success_ratio: _Optional[float] = ...) -> None: ...

class WorkflowNode(_message.Message):
    __slots__ = ("sub_workflow_id", "launch_plan_id")
    SUB_WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    LAUNCH_PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    sub_workflow_id: _identifier_pb2.Identifier
    launch_plan_id: _identifier_pb2.Identifier
    def __init__(self, sub_workflow_id: _Optional[_Union[_identifier_pb2.Identifier, _Mapping]] = ..., launch_plan_id: _Optional[_Union[_identifier_pb2.Identifier, _Mapping]] = ...) -> None: ...

class SignalCondition(_message.Message):
    __slots__ = ("signal_id", "type")
    SIGNAL_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    signal_id: str
    type: _types_pb2.LiteralType
    def __init__(self, signal_id: _Optional[str] = ..., type: _Optional[_Union[_types_pb2.LiteralType, _Mapping]] = ...) -> None: ...

class ApproveCondition(_message.Message):
    __slots__ = ("signal_id",)
    SIGNAL_ID_FIELD_NUMBER: _ClassVar[int]
    signal_id: str
    def __init__(self, signal_id: _Optional[str] = ...) -> None: ...

class GateNode(_message.Message):
    __slots__ = ("sleep", "signal", "approve", "timeout")
    SLEEP_FIELD_NUMBER: _ClassVar[int]
    SIGNAL_FIELD_NUMBER: _ClassVar[int]
    APPROVE_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    sleep: _duration_pb2.Duration
    signal: SignalCondition
    approve: ApproveCondition
    timeout: _duration_pb2.Duration
    def __init__(self, sleep: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., signal: _Optional[_Union[SignalCondition, _Mapping]] = ..., approve: _Optional[_Union[ApproveCondition, _Mapping]] = ..., timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class NodeMetadata(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class Node(_message.Message):
    __slots__ = ("id", "metadata", "inputs", "upstream_node_ids", "task_node", "branch_node", "array_node", "workflow_node", "gate_node")
    ID_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    UPSTREAM_NODE_IDS_FIELD_NUMBER: _ClassVar[int]
    TASK_NODE_FIELD_NUMBER: _ClassVar[int]
    BRANCH_NODE_FIELD_NUMBER: _ClassVar[int]
    ARRAY_NODE_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_NODE_FIELD_NUMBER: _ClassVar[int]
    GATE_NODE_FIELD_NUMBER: _ClassVar[int]
    id: str
    metadata: NodeMetadata
    inputs: _containers.RepeatedCompositeFieldContainer[Binding]
    upstream_node_ids: _containers.RepeatedScalarFieldContainer[str]
    task_node: TaskNode
    branch_node: BranchNode
    array_node: ArrayNode
    workflow_node: WorkflowNode
    gate_node: GateNode
    def __init__(self, id: _Optional[str] = ..., metadata: _Optional[_Union[NodeMetadata, _Mapping]] = ..., inputs: _Optional[_Iterable[_Union[Binding, _Mapping]]] = ..., upstream_node_ids: _Optional[_Iterable[str]] = ..., task_node: _Optional[_Union[TaskNode, _Mapping]] = ..., branch_node: _Optional[_Union[BranchNode, _Mapping]] = ..., array_node: _Optional[_Union[ArrayNode, _Mapping]] = ..., workflow_node: _Optional[_Union[WorkflowNode, _Mapping]] = ..., gate_node: _Optional[_Union[GateNode, _Mapping]] = ...) -> None: ...

class WorkflowMetadata(_message.Message):
    __slots__ = ("failure_policy",)
    FAILURE_POLICY_FIELD_NUMBER: _ClassVar[int]
    failure_policy: FailurePolicy
    def __init__(self, failure_policy: _Optional[_Union[FailurePolicy, str]] = ...) -> None: ...

class WorkflowTemplate(_message.Message):
    __slots__ = ("interface", "nodes", "outputs", "metadata", "failure_node")
    INTERFACE_FIELD_NUMBER: _ClassVar[int]
    NODES_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    FAILURE_NODE_FIELD_NUMBER: _ClassVar[int]
    interface: _interface_pb2.TypedInterface
    nodes: _containers.RepeatedCompositeFieldContainer[Node]
    outputs: _containers.RepeatedCompositeFieldContainer[Binding]
    metadata: WorkflowMetadata
    failure_node: Node
    def __init__(self, interface: _Optional[_Union[_interface_pb2.TypedInterface, _Mapping]] = ..., nodes: _Optional[_Iterable[_Union[Node, _Mapping]]] = ..., outputs: _Optional[_Iterable[_Union[Binding, _Mapping]]] = ..., metadata: _Optional[_Union[WorkflowMetadata, _Mapping]] = ..., failure_node: _Optional[_Union[Node, _Mapping]] = ...) -> None: ...

class WorkflowSpec(_message.Message):
    __slots__ = ("template", "description")
    TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    template: WorkflowTemplate
    description: str
    def __init__(self, template: _Optional[_Union[WorkflowTemplate, _Mapping]] = ..., description: _Optional[str] = ...) -> None: ...

class WorkflowClosure(_message.Message):
    __slots__ = ("digest", "created_at", "tasks", "node_order", "sub_workflows", "launch_plans")
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    TASKS_FIELD_NUMBER: _ClassVar[int]
    NODE_ORDER_FIELD_NUMBER: _ClassVar[int]
    SUB_WORKFLOWS_FIELD_NUMBER: _ClassVar[int]
    LAUNCH_PLANS_FIELD_NUMBER: _ClassVar[int]
    digest: str
    created_at: _timestamp_pb2.Timestamp
    tasks: _containers.RepeatedCompositeFieldContainer[_task_pb2.Task]
    node_order: _containers.RepeatedScalarFieldContainer[str]
    sub_workflows: _containers.RepeatedCompositeFieldContainer[Workflow]
    launch_plans: _containers.RepeatedCompositeFieldContainer[_launch_plan_pb2.LaunchPlan]
    def __init__(self, digest: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., tasks: _Optional[_Iterable[_Union[_task_pb2.Task, _Mapping]]] = ..., node_order: _Optional[_Iterable[str]] = ..., sub_workflows: _Optional[_Iterable[_Union[Workflow, _Mapping]]] = ..., launch_plans: _Optional[_Iterable[_Union[_launch_plan_pb2.LaunchPlan, _Mapping]]] = ...) -> None: ...

class Workflow(_message.Message):
    __slots__ = ("id", "spec", "closure")
    ID_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    CLOSURE_FIELD_NUMBER: _ClassVar[int]
    id: _identifier_pb2.Identifier
    spec: WorkflowSpec
    closure: WorkflowClosure
    def __init__(self, id: _Optional[_Union[_identifier_pb2.Identifier, _Mapping]] = ..., spec: _Optional[_Union[WorkflowSpec, _Mapping]] = ..., closure: _Optional[_Union[WorkflowClosure, _Mapping]] = ...) -> None: ...
