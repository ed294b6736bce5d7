import datetime

from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from yibao.type.v1 import conventions_pb2 as _conventions_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RegionLevel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REGION_LEVEL_UNSPECIFIED: _ClassVar[RegionLevel]
    REGION_LEVEL_PROVINCE: _ClassVar[RegionLevel]
    REGION_LEVEL_PREFECTURE: _ClassVar[RegionLevel]
    REGION_LEVEL_COUNTY: _ClassVar[RegionLevel]

class RegionStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REGION_STATUS_UNSPECIFIED: _ClassVar[RegionStatus]
    REGION_STATUS_ENABLED: _ClassVar[RegionStatus]
    REGION_STATUS_DISABLED: _ClassVar[RegionStatus]
    REGION_STATUS_UNKNOWN: _ClassVar[RegionStatus]

class EnablementAction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ENABLEMENT_ACTION_UNSPECIFIED: _ClassVar[EnablementAction]
    ENABLEMENT_ACTION_ENABLE: _ClassVar[EnablementAction]
    ENABLEMENT_ACTION_DISABLE: _ClassVar[EnablementAction]
    ENABLEMENT_ACTION_INHERIT: _ClassVar[EnablementAction]

class InstitutionKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INSTITUTION_KIND_UNSPECIFIED: _ClassVar[InstitutionKind]
    INSTITUTION_KIND_HOSPITAL: _ClassVar[InstitutionKind]
    INSTITUTION_KIND_RETAIL_PHARMACY: _ClassVar[InstitutionKind]

class PlatformKeyState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PLATFORM_KEY_STATE_UNSPECIFIED: _ClassVar[PlatformKeyState]
    PLATFORM_KEY_STATE_ACTIVE: _ClassVar[PlatformKeyState]
    PLATFORM_KEY_STATE_REVOKED: _ClassVar[PlatformKeyState]
REGION_LEVEL_UNSPECIFIED: RegionLevel
REGION_LEVEL_PROVINCE: RegionLevel
REGION_LEVEL_PREFECTURE: RegionLevel
REGION_LEVEL_COUNTY: RegionLevel
REGION_STATUS_UNSPECIFIED: RegionStatus
REGION_STATUS_ENABLED: RegionStatus
REGION_STATUS_DISABLED: RegionStatus
REGION_STATUS_UNKNOWN: RegionStatus
ENABLEMENT_ACTION_UNSPECIFIED: EnablementAction
ENABLEMENT_ACTION_ENABLE: EnablementAction
ENABLEMENT_ACTION_DISABLE: EnablementAction
ENABLEMENT_ACTION_INHERIT: EnablementAction
INSTITUTION_KIND_UNSPECIFIED: InstitutionKind
INSTITUTION_KIND_HOSPITAL: InstitutionKind
INSTITUTION_KIND_RETAIL_PHARMACY: InstitutionKind
PLATFORM_KEY_STATE_UNSPECIFIED: PlatformKeyState
PLATFORM_KEY_STATE_ACTIVE: PlatformKeyState
PLATFORM_KEY_STATE_REVOKED: PlatformKeyState

class Region(_message.Message):
    __slots__ = ("code", "name", "level", "parent_code", "enablement")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    PARENT_CODE_FIELD_NUMBER: _ClassVar[int]
    ENABLEMENT_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    level: RegionLevel
    parent_code: str
    enablement: Enablement
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ..., level: _Optional[_Union[RegionLevel, str]] = ..., parent_code: _Optional[str] = ..., enablement: _Optional[_Union[Enablement, _Mapping]] = ...) -> None: ...

class Enablement(_message.Message):
    __slots__ = ("enabled", "decided_by", "effective_since", "next_change")
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    DECIDED_BY_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_SINCE_FIELD_NUMBER: _ClassVar[int]
    NEXT_CHANGE_FIELD_NUMBER: _ClassVar[int]
    enabled: bool
    decided_by: str
    effective_since: _timestamp_pb2.Timestamp
    next_change: EnablementChange
    def __init__(self, enabled: _Optional[bool] = ..., decided_by: _Optional[str] = ..., effective_since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., next_change: _Optional[_Union[EnablementChange, _Mapping]] = ...) -> None: ...

class EnablementChange(_message.Message):
    __slots__ = ("id", "region_code", "action", "effective_from", "actor", "reason", "record_time", "cancel_time", "cancelled_by", "cancel_reason")
    ID_FIELD_NUMBER: _ClassVar[int]
    REGION_CODE_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_FROM_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    RECORD_TIME_FIELD_NUMBER: _ClassVar[int]
    CANCEL_TIME_FIELD_NUMBER: _ClassVar[int]
    CANCELLED_BY_FIELD_NUMBER: _ClassVar[int]
    CANCEL_REASON_FIELD_NUMBER: _ClassVar[int]
    id: int
    region_code: str
    action: EnablementAction
    effective_from: _timestamp_pb2.Timestamp
    actor: str
    reason: str
    record_time: _timestamp_pb2.Timestamp
    cancel_time: _timestamp_pb2.Timestamp
    cancelled_by: str
    cancel_reason: str
    def __init__(self, id: _Optional[int] = ..., region_code: _Optional[str] = ..., action: _Optional[_Union[EnablementAction, str]] = ..., effective_from: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[str] = ..., reason: _Optional[str] = ..., record_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., cancel_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., cancelled_by: _Optional[str] = ..., cancel_reason: _Optional[str] = ...) -> None: ...

class Institution(_message.Message):
    __slots__ = ("code", "name", "kind", "region_code", "accepts_wallet", "create_time", "update_time")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    REGION_CODE_FIELD_NUMBER: _ClassVar[int]
    ACCEPTS_WALLET_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    kind: InstitutionKind
    region_code: str
    accepts_wallet: bool
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ..., kind: _Optional[_Union[InstitutionKind, str]] = ..., region_code: _Optional[str] = ..., accepts_wallet: _Optional[bool] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class PlatformKey(_message.Message):
    __slots__ = ("app_id", "key_id", "province", "public_key", "state", "create_time", "revoke_time")
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    PROVINCE_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    REVOKE_TIME_FIELD_NUMBER: _ClassVar[int]
    app_id: str
    key_id: str
    province: str
    public_key: str
    state: PlatformKeyState
    create_time: _timestamp_pb2.Timestamp
    revoke_time: _timestamp_pb2.Timestamp
    def __init__(self, app_id: _Optional[str] = ..., key_id: _Optional[str] = ..., province: _Optional[str] = ..., public_key: _Optional[str] = ..., state: _Optional[_Union[PlatformKeyState, str]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., revoke_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class AccountShard(_message.Message):
    __slots__ = ("name", "target", "provinces", "update_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    PROVINCES_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    target: str
    provinces: _containers.RepeatedScalarFieldContainer[str]
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., target: _Optional[str] = ..., provinces: _Optional[_Iterable[str]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetRegionRequest(_message.Message):
    __slots__ = ("code",)
    CODE_FIELD_NUMBER: _ClassVar[int]
    code: str
    def __init__(self, code: _Optional[str] = ...) -> None: ...

class GetRegionResponse(_message.Message):
    __slots__ = ("region",)
    REGION_FIELD_NUMBER: _ClassVar[int]
    region: Region
    def __init__(self, region: _Optional[_Union[Region, _Mapping]] = ...) -> None: ...

class ListRegionsRequest(_message.Message):
    __slots__ = ("parent_code", "enabled_only", "page_size", "page_token")
    PARENT_CODE_FIELD_NUMBER: _ClassVar[int]
    ENABLED_ONLY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent_code: str
    enabled_only: bool
    page_size: int
    page_token: str
    def __init__(self, parent_code: _Optional[str] = ..., enabled_only: _Optional[bool] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListRegionsResponse(_message.Message):
    __slots__ = ("regions", "next_page_token")
    REGIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    regions: _containers.RepeatedCompositeFieldContainer[Region]
    next_page_token: str
    def __init__(self, regions: _Optional[_Iterable[_Union[Region, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CheckRegionsRequest(_message.Message):
    __slots__ = ("codes",)
    CODES_FIELD_NUMBER: _ClassVar[int]
    codes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, codes: _Optional[_Iterable[str]] = ...) -> None: ...

class CheckRegionsResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[RegionCheck]
    def __init__(self, results: _Optional[_Iterable[_Union[RegionCheck, _Mapping]]] = ...) -> None: ...

class RegionCheck(_message.Message):
    __slots__ = ("code", "status", "name", "decided_by", "next_change_time")
    CODE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DECIDED_BY_FIELD_NUMBER: _ClassVar[int]
    NEXT_CHANGE_TIME_FIELD_NUMBER: _ClassVar[int]
    code: str
    status: RegionStatus
    name: str
    decided_by: str
    next_change_time: _timestamp_pb2.Timestamp
    def __init__(self, code: _Optional[str] = ..., status: _Optional[_Union[RegionStatus, str]] = ..., name: _Optional[str] = ..., decided_by: _Optional[str] = ..., next_change_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SetRegionEnablementRequest(_message.Message):
    __slots__ = ("code", "action", "effective_from", "reason", "request_id")
    CODE_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_FROM_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    code: str
    action: EnablementAction
    effective_from: _timestamp_pb2.Timestamp
    reason: str
    request_id: str
    def __init__(self, code: _Optional[str] = ..., action: _Optional[_Union[EnablementAction, str]] = ..., effective_from: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class SetRegionEnablementResponse(_message.Message):
    __slots__ = ("change", "region")
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    change: EnablementChange
    region: Region
    def __init__(self, change: _Optional[_Union[EnablementChange, _Mapping]] = ..., region: _Optional[_Union[Region, _Mapping]] = ...) -> None: ...

class CancelEnablementChangeRequest(_message.Message):
    __slots__ = ("change_id", "reason")
    CHANGE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    change_id: int
    reason: str
    def __init__(self, change_id: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class CancelEnablementChangeResponse(_message.Message):
    __slots__ = ("change",)
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    change: EnablementChange
    def __init__(self, change: _Optional[_Union[EnablementChange, _Mapping]] = ...) -> None: ...

class ListEnablementChangesRequest(_message.Message):
    __slots__ = ("code", "include_ancestors", "page_size", "page_token")
    CODE_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_ANCESTORS_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    code: str
    include_ancestors: bool
    page_size: int
    page_token: str
    def __init__(self, code: _Optional[str] = ..., include_ancestors: _Optional[bool] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListEnablementChangesResponse(_message.Message):
    __slots__ = ("changes", "next_page_token")
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    changes: _containers.RepeatedCompositeFieldContainer[EnablementChange]
    next_page_token: str
    def __init__(self, changes: _Optional[_Iterable[_Union[EnablementChange, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CreateInstitutionRequest(_message.Message):
    __slots__ = ("institution",)
    INSTITUTION_FIELD_NUMBER: _ClassVar[int]
    institution: Institution
    def __init__(self, institution: _Optional[_Union[Institution, _Mapping]] = ...) -> None: ...

class CreateInstitutionResponse(_message.Message):
    __slots__ = ("institution",)
    INSTITUTION_FIELD_NUMBER: _ClassVar[int]
    institution: Institution
    def __init__(self, institution: _Optional[_Union[Institution, _Mapping]] = ...) -> None: ...

class GetInstitutionRequest(_message.Message):
    __slots__ = ("code",)
    CODE_FIELD_NUMBER: _ClassVar[int]
    code: str
    def __init__(self, code: _Optional[str] = ...) -> None: ...

class GetInstitutionResponse(_message.Message):
    __slots__ = ("institution",)
    INSTITUTION_FIELD_NUMBER: _ClassVar[int]
    institution: Institution
    def __init__(self, institution: _Optional[_Union[Institution, _Mapping]] = ...) -> None: ...

class ListInstitutionsRequest(_message.Message):
    __slots__ = ("region_code", "kind", "accepts_wallet_only", "page_size", "page_token")
    REGION_CODE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    ACCEPTS_WALLET_ONLY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    region_code: str
    kind: InstitutionKind
    accepts_wallet_only: bool
    page_size: int
    page_token: str
    def __init__(self, region_code: _Optional[str] = ..., kind: _Optional[_Union[InstitutionKind, str]] = ..., accepts_wallet_only: _Optional[bool] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListInstitutionsResponse(_message.Message):
    __slots__ = ("institutions", "next_page_token")
    INSTITUTIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    institutions: _containers.RepeatedCompositeFieldContainer[Institution]
    next_page_token: str
    def __init__(self, institutions: _Optional[_Iterable[_Union[Institution, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateInstitutionRequest(_message.Message):
    __slots__ = ("institution", "update_mask")
    INSTITUTION_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    institution: Institution
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, institution: _Optional[_Union[Institution, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateInstitutionResponse(_message.Message):
    __slots__ = ("institution",)
    INSTITUTION_FIELD_NUMBER: _ClassVar[int]
    institution: Institution
    def __init__(self, institution: _Optional[_Union[Institution, _Mapping]] = ...) -> None: ...

class CreatePlatformKeyRequest(_message.Message):
    __slots__ = ("platform_key",)
    PLATFORM_KEY_FIELD_NUMBER: _ClassVar[int]
    platform_key: PlatformKey
    def __init__(self, platform_key: _Optional[_Union[PlatformKey, _Mapping]] = ...) -> None: ...

class CreatePlatformKeyResponse(_message.Message):
    __slots__ = ("platform_key",)
    PLATFORM_KEY_FIELD_NUMBER: _ClassVar[int]
    platform_key: PlatformKey
    def __init__(self, platform_key: _Optional[_Union[PlatformKey, _Mapping]] = ...) -> None: ...

class RevokePlatformKeyRequest(_message.Message):
    __slots__ = ("app_id", "key_id")
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    app_id: str
    key_id: str
    def __init__(self, app_id: _Optional[str] = ..., key_id: _Optional[str] = ...) -> None: ...

class RevokePlatformKeyResponse(_message.Message):
    __slots__ = ("platform_key",)
    PLATFORM_KEY_FIELD_NUMBER: _ClassVar[int]
    platform_key: PlatformKey
    def __init__(self, platform_key: _Optional[_Union[PlatformKey, _Mapping]] = ...) -> None: ...

class ListPlatformKeysRequest(_message.Message):
    __slots__ = ("app_id", "active_only", "page_size", "page_token")
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_ONLY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    app_id: str
    active_only: bool
    page_size: int
    page_token: str
    def __init__(self, app_id: _Optional[str] = ..., active_only: _Optional[bool] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListPlatformKeysResponse(_message.Message):
    __slots__ = ("platform_keys", "next_page_token")
    PLATFORM_KEYS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    platform_keys: _containers.RepeatedCompositeFieldContainer[PlatformKey]
    next_page_token: str
    def __init__(self, platform_keys: _Optional[_Iterable[_Union[PlatformKey, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ClaimNonceRequest(_message.Message):
    __slots__ = ("app_id", "nonce", "timestamp")
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    NONCE_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    app_id: str
    nonce: str
    timestamp: _timestamp_pb2.Timestamp
    def __init__(self, app_id: _Optional[str] = ..., nonce: _Optional[str] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ClaimNonceResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class PutAccountShardRequest(_message.Message):
    __slots__ = ("account_shard",)
    ACCOUNT_SHARD_FIELD_NUMBER: _ClassVar[int]
    account_shard: AccountShard
    def __init__(self, account_shard: _Optional[_Union[AccountShard, _Mapping]] = ...) -> None: ...

class PutAccountShardResponse(_message.Message):
    __slots__ = ("account_shard",)
    ACCOUNT_SHARD_FIELD_NUMBER: _ClassVar[int]
    account_shard: AccountShard
    def __init__(self, account_shard: _Optional[_Union[AccountShard, _Mapping]] = ...) -> None: ...

class ListAccountShardsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListAccountShardsResponse(_message.Message):
    __slots__ = ("account_shards",)
    ACCOUNT_SHARDS_FIELD_NUMBER: _ClassVar[int]
    account_shards: _containers.RepeatedCompositeFieldContainer[AccountShard]
    def __init__(self, account_shards: _Optional[_Iterable[_Union[AccountShard, _Mapping]]] = ...) -> None: ...
