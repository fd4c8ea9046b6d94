import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CatchUpPolicy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CATCH_UP_POLICY_UNSPECIFIED: _ClassVar[CatchUpPolicy]
    CATCH_UP_POLICY_ALL: _ClassVar[CatchUpPolicy]
    CATCH_UP_POLICY_LATEST: _ClassVar[CatchUpPolicy]
CATCH_UP_POLICY_UNSPECIFIED: CatchUpPolicy
CATCH_UP_POLICY_ALL: CatchUpPolicy
CATCH_UP_POLICY_LATEST: CatchUpPolicy

class Schedule(_message.Message):
    __slots__ = ("cron", "fixed_rate", "kickoff_input", "catch_up", "max_catch_up")
    CRON_FIELD_NUMBER: _ClassVar[int]
    FIXED_RATE_FIELD_NUMBER: _ClassVar[int]
    KICKOFF_INPUT_FIELD_NUMBER: _ClassVar[int]
    CATCH_UP_FIELD_NUMBER: _ClassVar[int]
    MAX_CATCH_UP_FIELD_NUMBER: _ClassVar[int]
    cron: CronSchedule
    fixed_rate: FixedRateSchedule
    kickoff_input: str
    catch_up: CatchUpPolicy
    max_catch_up: int
    def __init__(self, cron: _Optional[_Union[CronSchedule, _Mapping]] = ..., fixed_rate: _Optional[_Union[FixedRateSchedule, _Mapping]] = ..., kickoff_input: _Optional[str] = ..., catch_up: _Optional[_Union[CatchUpPolicy, str]] = ..., max_catch_up: _Optional[int] = ...) -> None: ...

class CronSchedule(_message.Message):
    __slots__ = ("expression", "timezone")
    EXPRESSION_FIELD_NUMBER: _ClassVar[int]
    TIMEZONE_FIELD_NUMBER: _ClassVar[int]
    expression: str
    timezone: str
    def __init__(self, expression: _Optional[str] = ..., timezone: _Optional[str] = ...) -> None: ...

class FixedRateSchedule(_message.Message):
    __slots__ = ("interval",)
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    interval: _duration_pb2.Duration
    def __init__(self, interval: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...
