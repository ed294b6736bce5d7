import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from yibao.type.v1 import conventions_pb2 as _conventions_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Identity(_message.Message):
    __slots__ = ("id_hash", "person_id", "province", "create_time", "update_time")
    ID_HASH_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    PROVINCE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    id_hash: str
    person_id: str
    province: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, id_hash: _Optional[str] = ..., person_id: _Optional[str] = ..., province: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class PersonLocation(_message.Message):
    __slots__ = ("person_id", "province")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    PROVINCE_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    province: str
    def __init__(self, person_id: _Optional[str] = ..., province: _Optional[str] = ...) -> None: ...

class ClaimIdentityRequest(_message.Message):
    __slots__ = ("id_hash", "person_id", "province")
    ID_HASH_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    PROVINCE_FIELD_NUMBER: _ClassVar[int]
    id_hash: str
    person_id: str
    province: str
    def __init__(self, id_hash: _Optional[str] = ..., person_id: _Optional[str] = ..., province: _Optional[str] = ...) -> None: ...

class ClaimIdentityResponse(_message.Message):
    __slots__ = ("identity", "claimed")
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    CLAIMED_FIELD_NUMBER: _ClassVar[int]
    identity: Identity
    claimed: bool
    def __init__(self, identity: _Optional[_Union[Identity, _Mapping]] = ..., claimed: _Optional[bool] = ...) -> None: ...

class FindIdentityRequest(_message.Message):
    __slots__ = ("id_hash",)
    ID_HASH_FIELD_NUMBER: _ClassVar[int]
    id_hash: str
    def __init__(self, id_hash: _Optional[str] = ...) -> None: ...

class FindIdentityResponse(_message.Message):
    __slots__ = ("identity",)
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    identity: Identity
    def __init__(self, identity: _Optional[_Union[Identity, _Mapping]] = ...) -> None: ...

class LocatePersonsRequest(_message.Message):
    __slots__ = ("person_ids",)
    PERSON_IDS_FIELD_NUMBER: _ClassVar[int]
    person_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, person_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class LocatePersonsResponse(_message.Message):
    __slots__ = ("locations",)
    LOCATIONS_FIELD_NUMBER: _ClassVar[int]
    locations: _containers.RepeatedCompositeFieldContainer[PersonLocation]
    def __init__(self, locations: _Optional[_Iterable[_Union[PersonLocation, _Mapping]]] = ...) -> None: ...

class MoveIdentityRequest(_message.Message):
    __slots__ = ("person_id", "province", "request_id")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    PROVINCE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    province: str
    request_id: str
    def __init__(self, person_id: _Optional[str] = ..., province: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class MoveIdentityResponse(_message.Message):
    __slots__ = ("identity",)
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    identity: Identity
    def __init__(self, identity: _Optional[_Union[Identity, _Mapping]] = ...) -> None: ...
