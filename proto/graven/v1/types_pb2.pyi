from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SimpleType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SIMPLE_TYPE_UNSPECIFIED: _ClassVar[SimpleType]
    SIMPLE_TYPE_NONE: _ClassVar[SimpleType]
    SIMPLE_TYPE_INTEGER: _ClassVar[SimpleType]
    SIMPLE_TYPE_FLOAT: _ClassVar[SimpleType]
    SIMPLE_TYPE_STRING: _ClassVar[SimpleType]
    SIMPLE_TYPE_BOOLEAN: _ClassVar[SimpleType]
    SIMPLE_TYPE_BYTES: _ClassVar[SimpleType]
    SIMPLE_TYPE_DATETIME: _ClassVar[SimpleType]
    SIMPLE_TYPE_DURATION: _ClassVar[SimpleType]

class BlobDimensionality(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BLOB_DIMENSIONALITY_UNSPECIFIED: _ClassVar[BlobDimensionality]
    BLOB_DIMENSIONALITY_SINGLE: _ClassVar[BlobDimensionality]
    BLOB_DIMENSIONALITY_MULTIPART: _ClassVar[BlobDimensionality]
SIMPLE_TYPE_UNSPECIFIED: SimpleType
SIMPLE_TYPE_NONE: SimpleType
SIMPLE_TYPE_INTEGER: SimpleType
SIMPLE_TYPE_FLOAT: SimpleType
SIMPLE_TYPE_STRING: SimpleType
SIMPLE_TYPE_BOOLEAN: SimpleType
SIMPLE_TYPE_BYTES: SimpleType
SIMPLE_TYPE_DATETIME: SimpleType
SIMPLE_TYPE_DURATION: SimpleType
BLOB_DIMENSIONALITY_UNSPECIFIED: BlobDimensionality
BLOB_DIMENSIONALITY_SINGLE: BlobDimensionality
BLOB_DIMENSIONALITY_MULTIPART: BlobDimensionality

class BlobType(_message.Message):
    __slots__ = ("format", "dimensionality")
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    DIMENSIONALITY_FIELD_NUMBER: _ClassVar[int]
    format: str
    dimensionality: BlobDimensionality
    def __init__(self, format: _Optional[str] = ..., dimensionality: _Optional[_Union[BlobDimensionality, str]] = ...) -> None: ...

class EnumType(_message.Message):
    __slots__ = ("name", "values")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    name: str
    values: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, name: _Optional[str] = ..., values: _Optional[_Iterable[str]] = ...) -> None: ...

class StructuredField(_message.Message):
    __slots__ = ("name", "type")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    name: str
    type: LiteralType
    def __init__(self, name: _Optional[str] = ..., type: _Optional[_Union[LiteralType, _Mapping]] = ...) -> None: ...

class StructuredType(_message.Message):
    __slots__ = ("name", "fields")
    NAME_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    name: str
    fields: _containers.RepeatedCompositeFieldContainer[StructuredField]
    def __init__(self, name: _Optional[str] = ..., fields: _Optional[_Iterable[_Union[StructuredField, _Mapping]]] = ...) -> None: ...

class UnionType(_message.Message):
    __slots__ = ("variants",)
    VARIANTS_FIELD_NUMBER: _ClassVar[int]
    variants: _containers.RepeatedCompositeFieldContainer[LiteralType]
    def __init__(self, variants: _Optional[_Iterable[_Union[LiteralType, _Mapping]]] = ...) -> None: ...

class TabularType(_message.Message):
    __slots__ = ("format",)
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    format: str
    def __init__(self, format: _Optional[str] = ...) -> None: ...

class PickleType(_message.Message):
    __slots__ = ("python_type",)
    PYTHON_TYPE_FIELD_NUMBER: _ClassVar[int]
    python_type: str
    def __init__(self, python_type: _Optional[str] = ...) -> None: ...

class LiteralType(_message.Message):
    __slots__ = ("simple", "collection_type", "map_value_type", "union_type", "enum_type", "structured_type", "blob", "tabular", "pickle")
    SIMPLE_FIELD_NUMBER: _ClassVar[int]
    COLLECTION_TYPE_FIELD_NUMBER: _ClassVar[int]
    MAP_VALUE_TYPE_FIELD_NUMBER: _ClassVar[int]
    UNION_TYPE_FIELD_NUMBER: _ClassVar[int]
    ENUM_TYPE_FIELD_NUMBER: _ClassVar[int]
    STRUCTURED_TYPE_FIELD_NUMBER: _ClassVar[int]
    BLOB_FIELD_NUMBER: _ClassVar[int]
    TABULAR_FIELD_NUMBER: _ClassVar[int]
    PICKLE_FIELD_NUMBER: _ClassVar[int]
    simple: SimpleType
    collection_type: LiteralType
    map_value_type: LiteralType
    union_type: UnionType
    enum_type: EnumType
    structured_type: StructuredType
    blob: BlobType
    tabular: TabularType
    pickle: PickleType
    def __init__(self, simple: _Optional[_Union[SimpleType, str]] = ..., collection_type: _Optional[_Union[LiteralType, _Mapping]] = ..., map_value_type: _Optional[_Union[LiteralType, _Mapping]] = ..., union_type: _Optional[_Union[UnionType, _Mapping]] = ..., enum_type: _Optional[_Union[EnumType, _Mapping]] = ..., structured_type: _Optional[_Union[StructuredType, _Mapping]] = ..., blob: _Optional[_Union[BlobType, _Mapping]] = ..., tabular: _Optional[_Union[TabularType, _Mapping]] = ..., pickle: _Optional[_Union[PickleType, _Mapping]] = ...) -> None: ...
