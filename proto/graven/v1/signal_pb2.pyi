import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from graven.v1 import identifier_pb2 as _identifier_pb2
from graven.v1 import literals_pb2 as _literals_pb2
from graven.v1 import types_pb2 as _types_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SignalIdentifier(_message.Message):
    __slots__ = ("execution_id", "signal_id")
    EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    SIGNAL_ID_FIELD_NUMBER: _ClassVar[int]
    execution_id: _identifier_pb2.ExecutionIdentifier
    signal_id: str
    def __init__(self, execution_id: _Optional[_Union[_identifier_pb2.ExecutionIdentifier, _Mapping]] = ..., signal_id: _Optional[str] = ...) -> None: ...

class Signal(_message.Message):
    __slots__ = ("id", "type", "node_id", "created_at", "deadline", "value", "set_at", "set_by")
    ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    SET_AT_FIELD_NUMBER: _ClassVar[int]
    SET_BY_FIELD_NUMBER: _ClassVar[int]
    id: SignalIdentifier
    type: _types_pb2.LiteralType
    node_id: str
    created_at: _timestamp_pb2.Timestamp
    deadline: _timestamp_pb2.Timestamp
    value: _literals_pb2.Literal
    set_at: _timestamp_pb2.Timestamp
    set_by: str
    def __init__(self, id: _Optional[_Union[SignalIdentifier, _Mapping]] = ..., type: _Optional[_Union[_types_pb2.LiteralType, _Mapping]] = ..., node_id: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., deadline: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., value: _Optional[_Union[_literals_pb2.Literal, _Mapping]] = ..., set_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., set_by: _Optional[str] = ...) -> None: ...
