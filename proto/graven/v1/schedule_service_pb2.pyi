import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from graven.v1 import identifier_pb2 as _identifier_pb2
from graven.v1 import schedule_pb2 as _schedule_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TickState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TICK_STATE_UNSPECIFIED: _ClassVar[TickState]
    TICK_STATE_CLAIMED: _ClassVar[TickState]
    TICK_STATE_LAUNCHED: _ClassVar[TickState]
    TICK_STATE_FAILED: _ClassVar[TickState]
TICK_STATE_UNSPECIFIED: TickState
TICK_STATE_CLAIMED: TickState
TICK_STATE_LAUNCHED: TickState
TICK_STATE_FAILED: TickState

class ActiveLaunchPlan(_message.Message):
    __slots__ = ("id", "schedule", "activated_at", "activated_by", "next_ticks")
    ID_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    ACTIVATED_AT_FIELD_NUMBER: _ClassVar[int]
    ACTIVATED_BY_FIELD_NUMBER: _ClassVar[int]
    NEXT_TICKS_FIELD_NUMBER: _ClassVar[int]
    id: _identifier_pb2.Identifier
    schedule: _schedule_pb2.Schedule
    activated_at: _timestamp_pb2.Timestamp
    activated_by: str
    next_ticks: _containers.RepeatedCompositeFieldContainer[_timestamp_pb2.Timestamp]
    def __init__(self, id: _Optional[_Union[_identifier_pb2.Identifier, _Mapping]] = ..., schedule: _Optional[_Union[_schedule_pb2.Schedule, _Mapping]] = ..., activated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., activated_by: _Optional[str] = ..., next_ticks: _Optional[_Iterable[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]]] = ...) -> None: ...

class ScheduleTick(_message.Message):
    __slots__ = ("launch_plan_id", "tick_at", "state", "execution_id", "skipped_before", "claimed_at", "launched_at", "error")
    LAUNCH_PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    TICK_AT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_BEFORE_FIELD_NUMBER: _ClassVar[int]
    CLAIMED_AT_FIELD_NUMBER: _ClassVar[int]
    LAUNCHED_AT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    launch_plan_id: _identifier_pb2.Identifier
    tick_at: _timestamp_pb2.Timestamp
    state: TickState
    execution_id: _identifier_pb2.ExecutionIdentifier
    skipped_before: int
    claimed_at: _timestamp_pb2.Timestamp
    launched_at: _timestamp_pb2.Timestamp
    error: str
    def __init__(self, launch_plan_id: _Optional[_Union[_identifier_pb2.Identifier, _Mapping]] = ..., tick_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., state: _Optional[_Union[TickState, str]] = ..., execution_id: _Optional[_Union[_identifier_pb2.ExecutionIdentifier, _Mapping]] = ..., skipped_before: _Optional[int] = ..., claimed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., launched_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., error: _Optional[str] = ...) -> None: ...

class ActivateLaunchPlanRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: _identifier_pb2.Identifier
    def __init__(self, id: _Optional[_Union[_identifier_pb2.Identifier, _Mapping]] = ...) -> None: ...

class ActivateLaunchPlanResponse(_message.Message):
    __slots__ = ("active",)
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    active: ActiveLaunchPlan
    def __init__(self, active: _Optional[_Union[ActiveLaunchPlan, _Mapping]] = ...) -> None: ...

class DeactivateLaunchPlanRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: _identifier_pb2.Identifier
    def __init__(self, id: _Optional[_Union[_identifier_pb2.Identifier, _Mapping]] = ...) -> None: ...

class DeactivateLaunchPlanResponse(_message.Message):
    __slots__ = ("deactivated",)
    DEACTIVATED_FIELD_NUMBER: _ClassVar[int]
    deactivated: _identifier_pb2.Identifier
    def __init__(self, deactivated: _Optional[_Union[_identifier_pb2.Identifier, _Mapping]] = ...) -> None: ...

class ListActiveLaunchPlansRequest(_message.Message):
    __slots__ = ("project", "domain", "next_ticks", "page_size", "page_token")
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    NEXT_TICKS_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    project: str
    domain: str
    next_ticks: int
    page_size: int
    page_token: str
    def __init__(self, project: _Optional[str] = ..., domain: _Optional[str] = ..., next_ticks: _Optional[int] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListActiveLaunchPlansResponse(_message.Message):
    __slots__ = ("launch_plans", "next_page_token")
    LAUNCH_PLANS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    launch_plans: _containers.RepeatedCompositeFieldContainer[ActiveLaunchPlan]
    next_page_token: str
    def __init__(self, launch_plans: _Optional[_Iterable[_Union[ActiveLaunchPlan, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListScheduleTicksRequest(_message.Message):
    __slots__ = ("id", "page_size", "page_token")
    ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    id: _identifier_pb2.Identifier
    page_size: int
    page_token: str
    def __init__(self, id: _Optional[_Union[_identifier_pb2.Identifier, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListScheduleTicksResponse(_message.Message):
    __slots__ = ("ticks", "next_page_token")
    TICKS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ticks: _containers.RepeatedCompositeFieldContainer[ScheduleTick]
    next_page_token: str
    def __init__(self, ticks: _Optional[_Iterable[_Union[ScheduleTick, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
