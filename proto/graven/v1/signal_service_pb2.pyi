from graven.v1 import identifier_pb2 as _identifier_pb2
from graven.v1 import literals_pb2 as _literals_pb2
from graven.v1 import signal_pb2 as _signal_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SetSignalRequest(_message.Message):
    __slots__ = ("id", "value", "set_by")
    ID_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    SET_BY_FIELD_NUMBER: _ClassVar[int]
    id: _signal_pb2.SignalIdentifier
    value: _literals_pb2.Literal
    set_by: str
    def __init__(self, id: _Optional[_Union[_signal_pb2.SignalIdentifier, _Mapping]] = ..., value: _Optional[_Union[_literals_pb2.Literal, _Mapping]] = ..., set_by: _Optional[str] = ...) -> None: ...

class SetSignalResponse(_message.Message):
    __slots__ = ("signal",)
    SIGNAL_FIELD_NUMBER: _ClassVar[int]
    signal: _signal_pb2.Signal
    def __init__(self, signal: _Optional[_Union[_signal_pb2.Signal, _Mapping]] = ...) -> None: ...

class GetSignalRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: _signal_pb2.SignalIdentifier
    def __init__(self, id: _Optional[_Union[_signal_pb2.SignalIdentifier, _Mapping]] = ...) -> None: ...

class GetSignalResponse(_message.Message):
    __slots__ = ("signal",)
    SIGNAL_FIELD_NUMBER: _ClassVar[int]
    signal: _signal_pb2.Signal
    def __init__(self, signal: _Optional[_Union[_signal_pb2.Signal, _Mapping]] = ...) -> None: ...

class ListSignalsRequest(_message.Message):
    __slots__ = ("execution_id", "page_size", "page_token")
    EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    execution_id: _identifier_pb2.ExecutionIdentifier
    page_size: int
    page_token: str
    def __init__(self, execution_id: _Optional[_Union[_identifier_pb2.ExecutionIdentifier, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListSignalsResponse(_message.Message):
    __slots__ = ("signals", "next_page_token")
    SIGNALS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    signals: _containers.RepeatedCompositeFieldContainer[_signal_pb2.Signal]
    next_page_token: str
    def __init__(self, signals: _Optional[_Iterable[_Union[_signal_pb2.Signal, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
