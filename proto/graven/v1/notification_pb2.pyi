import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from graven.v1 import execution_pb2 as _execution_pb2
from graven.v1 import identifier_pb2 as _identifier_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DeliveryState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DELIVERY_STATE_UNSPECIFIED: _ClassVar[DeliveryState]
    DELIVERY_STATE_PENDING: _ClassVar[DeliveryState]
    DELIVERY_STATE_DELIVERED: _ClassVar[DeliveryState]
    DELIVERY_STATE_FAILED: _ClassVar[DeliveryState]
DELIVERY_STATE_UNSPECIFIED: DeliveryState
DELIVERY_STATE_PENDING: DeliveryState
DELIVERY_STATE_DELIVERED: DeliveryState
DELIVERY_STATE_FAILED: DeliveryState

class Notification(_message.Message):
    __slots__ = ("phases", "webhook", "email")
    PHASES_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    phases: _containers.RepeatedScalarFieldContainer[_execution_pb2.ExecutionPhase]
    webhook: WebhookNotification
    email: EmailNotification
    def __init__(self, phases: _Optional[_Iterable[_Union[_execution_pb2.ExecutionPhase, str]]] = ..., webhook: _Optional[_Union[WebhookNotification, _Mapping]] = ..., email: _Optional[_Union[EmailNotification, _Mapping]] = ...) -> None: ...

class WebhookNotification(_message.Message):
    __slots__ = ("url", "secret", "slack_compatible")
    URL_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    SLACK_COMPATIBLE_FIELD_NUMBER: _ClassVar[int]
    url: str
    secret: str
    slack_compatible: bool
    def __init__(self, url: _Optional[str] = ..., secret: _Optional[str] = ..., slack_compatible: _Optional[bool] = ...) -> None: ...

class EmailNotification(_message.Message):
    __slots__ = ("recipients",)
    RECIPIENTS_FIELD_NUMBER: _ClassVar[int]
    recipients: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, recipients: _Optional[_Iterable[str]] = ...) -> None: ...

class DeliveryAttempt(_message.Message):
    __slots__ = ("number", "at", "status_code", "error")
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    STATUS_CODE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    number: int
    at: _timestamp_pb2.Timestamp
    status_code: int
    error: str
    def __init__(self, number: _Optional[int] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., status_code: _Optional[int] = ..., error: _Optional[str] = ...) -> None: ...

class NotificationDelivery(_message.Message):
    __slots__ = ("execution_id", "notification_index", "notification", "phase", "state", "attempts", "created_at", "next_attempt_at")
    EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    NOTIFICATION_INDEX_FIELD_NUMBER: _ClassVar[int]
    NOTIFICATION_FIELD_NUMBER: _ClassVar[int]
    PHASE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    NEXT_ATTEMPT_AT_FIELD_NUMBER: _ClassVar[int]
    execution_id: _identifier_pb2.ExecutionIdentifier
    notification_index: int
    notification: Notification
    phase: _execution_pb2.ExecutionPhase
    state: DeliveryState
    attempts: _containers.RepeatedCompositeFieldContainer[DeliveryAttempt]
    created_at: _timestamp_pb2.Timestamp
    next_attempt_at: _timestamp_pb2.Timestamp
    def __init__(self, execution_id: _Optional[_Union[_identifier_pb2.ExecutionIdentifier, _Mapping]] = ..., notification_index: _Optional[int] = ..., notification: _Optional[_Union[Notification, _Mapping]] = ..., phase: _Optional[_Union[_execution_pb2.ExecutionPhase, str]] = ..., state: _Optional[_Union[DeliveryState, str]] = ..., attempts: _Optional[_Iterable[_Union[DeliveryAttempt, _Mapping]]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., next_attempt_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
