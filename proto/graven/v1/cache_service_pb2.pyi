import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from graven.v1 import cache_pb2 as _cache_pb2
from graven.v1 import execution_pb2 as _execution_pb2
from graven.v1 import identifier_pb2 as _identifier_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ExplainCacheRequest(_message.Message):
    __slots__ = ("node_execution_id",)
    NODE_EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    node_execution_id: _identifier_pb2.NodeExecutionIdentifier
    def __init__(self, node_execution_id: _Optional[_Union[_identifier_pb2.NodeExecutionIdentifier, _Mapping]] = ...) -> None: ...

class ExplainCacheResponse(_message.Message):
    __slots__ = ("status", "key", "components", "entry", "changed", "reason")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    COMPONENTS_FIELD_NUMBER: _ClassVar[int]
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    CHANGED_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    status: _execution_pb2.CacheStatus
    key: str
    components: _cache_pb2.CacheKeyComponents
    entry: _cache_pb2.CacheEntry
    changed: _containers.RepeatedScalarFieldContainer[str]
    reason: str
    def __init__(self, status: _Optional[_Union[_execution_pb2.CacheStatus, str]] = ..., key: _Optional[str] = ..., components: _Optional[_Union[_cache_pb2.CacheKeyComponents, _Mapping]] = ..., entry: _Optional[_Union[_cache_pb2.CacheEntry, _Mapping]] = ..., changed: _Optional[_Iterable[str]] = ..., reason: _Optional[str] = ...) -> None: ...

class ListCacheEntriesRequest(_message.Message):
    __slots__ = ("project", "domain", "task_name", "page_size", "page_token")
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    TASK_NAME_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    project: str
    domain: str
    task_name: str
    page_size: int
    page_token: str
    def __init__(self, project: _Optional[str] = ..., domain: _Optional[str] = ..., task_name: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListCacheEntriesResponse(_message.Message):
    __slots__ = ("entries", "next_page_token")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[_cache_pb2.CacheEntry]
    next_page_token: str
    def __init__(self, entries: _Optional[_Iterable[_Union[_cache_pb2.CacheEntry, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class EvictCacheRequest(_message.Message):
    __slots__ = ("project", "domain", "task_name", "key", "created_before")
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    TASK_NAME_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    CREATED_BEFORE_FIELD_NUMBER: _ClassVar[int]
    project: str
    domain: str
    task_name: str
    key: str
    created_before: _timestamp_pb2.Timestamp
    def __init__(self, project: _Optional[str] = ..., domain: _Optional[str] = ..., task_name: _Optional[str] = ..., key: _Optional[str] = ..., created_before: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class EvictCacheResponse(_message.Message):
    __slots__ = ("evicted",)
    EVICTED_FIELD_NUMBER: _ClassVar[int]
    evicted: int
    def __init__(self, evicted: _Optional[int] = ...) -> None: ...
