from graven.v1 import identifier_pb2 as _identifier_pb2
from graven.v1 import lineage_pb2 as _lineage_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class LineageDirection(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LINEAGE_DIRECTION_UNSPECIFIED: _ClassVar[LineageDirection]
    LINEAGE_DIRECTION_UPSTREAM: _ClassVar[LineageDirection]
    LINEAGE_DIRECTION_DOWNSTREAM: _ClassVar[LineageDirection]
    LINEAGE_DIRECTION_BOTH: _ClassVar[LineageDirection]

class NodeDifference(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NODE_DIFFERENCE_UNSPECIFIED: _ClassVar[NodeDifference]
    NODE_DIFFERENCE_MISSING: _ClassVar[NodeDifference]
    NODE_DIFFERENCE_TASK_VERSION: _ClassVar[NodeDifference]
    NODE_DIFFERENCE_CODE: _ClassVar[NodeDifference]
    NODE_DIFFERENCE_INPUTS: _ClassVar[NodeDifference]
    NODE_DIFFERENCE_OUTPUTS: _ClassVar[NodeDifference]
LINEAGE_DIRECTION_UNSPECIFIED: LineageDirection
LINEAGE_DIRECTION_UPSTREAM: LineageDirection
LINEAGE_DIRECTION_DOWNSTREAM: LineageDirection
LINEAGE_DIRECTION_BOTH: LineageDirection
NODE_DIFFERENCE_UNSPECIFIED: NodeDifference
NODE_DIFFERENCE_MISSING: NodeDifference
NODE_DIFFERENCE_TASK_VERSION: NodeDifference
NODE_DIFFERENCE_CODE: NodeDifference
NODE_DIFFERENCE_INPUTS: NodeDifference
NODE_DIFFERENCE_OUTPUTS: NodeDifference

class GetArtifactRequest(_message.Message):
    __slots__ = ("hash",)
    HASH_FIELD_NUMBER: _ClassVar[int]
    hash: str
    def __init__(self, hash: _Optional[str] = ...) -> None: ...

class GetArtifactResponse(_message.Message):
    __slots__ = ("artifact",)
    ARTIFACT_FIELD_NUMBER: _ClassVar[int]
    artifact: _lineage_pb2.Artifact
    def __init__(self, artifact: _Optional[_Union[_lineage_pb2.Artifact, _Mapping]] = ...) -> None: ...

class GetLineageRequest(_message.Message):
    __slots__ = ("artifact_hash", "execution_id", "direction", "depth", "page_size", "page_token")
    ARTIFACT_HASH_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    DEPTH_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    artifact_hash: str
    execution_id: _identifier_pb2.ExecutionIdentifier
    direction: LineageDirection
    depth: int
    page_size: int
    page_token: str
    def __init__(self, artifact_hash: _Optional[str] = ..., execution_id: _Optional[_Union[_identifier_pb2.ExecutionIdentifier, _Mapping]] = ..., direction: _Optional[_Union[LineageDirection, str]] = ..., depth: _Optional[int] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class GetLineageResponse(_message.Message):
    __slots__ = ("graph", "next_page_token")
    GRAPH_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    graph: _lineage_pb2.LineageGraph
    next_page_token: str
    def __init__(self, graph: _Optional[_Union[_lineage_pb2.LineageGraph, _Mapping]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class FindByContentRequest(_message.Message):
    __slots__ = ("content_hash",)
    CONTENT_HASH_FIELD_NUMBER: _ClassVar[int]
    content_hash: str
    def __init__(self, content_hash: _Optional[str] = ...) -> None: ...

class FindByContentResponse(_message.Message):
    __slots__ = ("artifacts",)
    ARTIFACTS_FIELD_NUMBER: _ClassVar[int]
    artifacts: _containers.RepeatedCompositeFieldContainer[_lineage_pb2.Artifact]
    def __init__(self, artifacts: _Optional[_Iterable[_Union[_lineage_pb2.Artifact, _Mapping]]] = ...) -> None: ...

class DiffExecutionsRequest(_message.Message):
    __slots__ = ("a", "b")
    A_FIELD_NUMBER: _ClassVar[int]
    B_FIELD_NUMBER: _ClassVar[int]
    a: _identifier_pb2.ExecutionIdentifier
    b: _identifier_pb2.ExecutionIdentifier
    def __init__(self, a: _Optional[_Union[_identifier_pb2.ExecutionIdentifier, _Mapping]] = ..., b: _Optional[_Union[_identifier_pb2.ExecutionIdentifier, _Mapping]] = ...) -> None: ...

class NodeDiff(_message.Message):
    __slots__ = ("node_id", "differences", "a", "b", "changed_inputs", "changed_outputs")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    DIFFERENCES_FIELD_NUMBER: _ClassVar[int]
    A_FIELD_NUMBER: _ClassVar[int]
    B_FIELD_NUMBER: _ClassVar[int]
    CHANGED_INPUTS_FIELD_NUMBER: _ClassVar[int]
    CHANGED_OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    differences: _containers.RepeatedScalarFieldContainer[NodeDifference]
    a: _lineage_pb2.LineageStep
    b: _lineage_pb2.LineageStep
    changed_inputs: _containers.RepeatedScalarFieldContainer[str]
    changed_outputs: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, node_id: _Optional[str] = ..., differences: _Optional[_Iterable[_Union[NodeDifference, str]]] = ..., a: _Optional[_Union[_lineage_pb2.LineageStep, _Mapping]] = ..., b: _Optional[_Union[_lineage_pb2.LineageStep, _Mapping]] = ..., changed_inputs: _Optional[_Iterable[str]] = ..., changed_outputs: _Optional[_Iterable[str]] = ...) -> None: ...

class DiffExecutionsResponse(_message.Message):
    __slots__ = ("a_workflow_id", "b_workflow_id", "nodes")
    A_WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    B_WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    NODES_FIELD_NUMBER: _ClassVar[int]
    a_workflow_id: _identifier_pb2.Identifier
    b_workflow_id: _identifier_pb2.Identifier
    nodes: _containers.RepeatedCompositeFieldContainer[NodeDiff]
    def __init__(self, a_workflow_id: _Optional[_Union[_identifier_pb2.Identifier, _Mapping]] = ..., b_workflow_id: _Optional[_Union[_identifier_pb2.Identifier, _Mapping]] = ..., nodes: _Optional[_Iterable[_Union[NodeDiff, _Mapping]]] = ...) -> None: ...

class ContentHeader(_message.Message):
    __slots__ = ("hash", "size")
    HASH_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    hash: str
    size: int
    def __init__(self, hash: _Optional[str] = ..., size: _Optional[int] = ...) -> None: ...

class UploadContentRequest(_message.Message):
    __slots__ = ("header", "chunk")
    HEADER_FIELD_NUMBER: _ClassVar[int]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    header: ContentHeader
    chunk: bytes
    def __init__(self, header: _Optional[_Union[ContentHeader, _Mapping]] = ..., chunk: _Optional[bytes] = ...) -> None: ...

class UploadContentResponse(_message.Message):
    __slots__ = ("hash", "size")
    HASH_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    hash: str
    size: int
    def __init__(self, hash: _Optional[str] = ..., size: _Optional[int] = ...) -> None: ...

class ReadContentRequest(_message.Message):
    __slots__ = ("hash",)
    HASH_FIELD_NUMBER: _ClassVar[int]
    hash: str
    def __init__(self, hash: _Optional[str] = ...) -> None: ...

class ReadContentResponse(_message.Message):
    __slots__ = ("chunk",)
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    chunk: bytes
    def __init__(self, chunk: _Optional[bytes] = ...) -> None: ...
