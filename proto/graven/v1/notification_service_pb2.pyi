from graven.v1 import identifier_pb2 as _identifier_pb2
from graven.v1 import notification_pb2 as _notification_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ListNotificationDeliveriesRequest(_message.Message):
    __slots__ = ("execution_id",)
    EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    execution_id: _identifier_pb2.ExecutionIdentifier
    def __init__(self, execution_id: _Optional[_Union[_identifier_pb2.ExecutionIdentifier, _Mapping]] = ...) -> None: ...

class ListNotificationDeliveriesResponse(_message.Message):
    __slots__ = ("deliveries",)
    DELIVERIES_FIELD_NUMBER: _ClassVar[int]
    deliveries: _containers.RepeatedCompositeFieldContainer[_notification_pb2.NotificationDelivery]
    def __init__(self, deliveries: _Optional[_Iterable[_Union[_notification_pb2.NotificationDelivery, _Mapping]]] = ...) -> None: ...
