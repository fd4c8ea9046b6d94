from graven.v1 import literals_pb2 as _literals_pb2
from graven.v1 import types_pb2 as _types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Variable(_message.Message):
    __slots__ = ("name", "type", "description", "default")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_FIELD_NUMBER: _ClassVar[int]
    name: str
    type: _types_pb2.LiteralType
    description: str
    default: _literals_pb2.Literal
    def __init__(self, name: _Optional[str] = ..., type: _Optional[_Union[_types_pb2.LiteralType, _Mapping]] = ..., description: _Optional[str] = ..., default: _Optional[_Union[_literals_pb2.Literal, _Mapping]] = ...) -> None: ...

class TypedInterface(_message.Message):
    __slots__ = ("inputs", "outputs")
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    inputs: _containers.RepeatedCompositeFieldContainer[Variable]
    outputs: _containers.RepeatedCompositeFieldContainer[Variable]
    def __init__(self, inputs: _Optional[_Iterable[_Union[Variable, _Mapping]]] = ..., outputs: _Optional[_Iterable[_Union[Variable, _Mapping]]] = ...) -> None: ...
