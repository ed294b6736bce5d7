import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from yibao.type.v1 import conventions_pb2 as _conventions_pb2
from yibao.type.v1 import relation_pb2 as _relation_pb2
from yibao.type.v1 import verification_pb2 as _verification_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TransferSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRANSFER_SOURCE_UNSPECIFIED: _ClassVar[TransferSource]
    TRANSFER_SOURCE_PERSONAL_ACCOUNT: _ClassVar[TransferSource]
    TRANSFER_SOURCE_WALLET: _ClassVar[TransferSource]

class TransferStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRANSFER_STATUS_UNSPECIFIED: _ClassVar[TransferStatus]
    TRANSFER_STATUS_ACCEPTED: _ClassVar[TransferStatus]
    TRANSFER_STATUS_PENDING_RECEIPT: _ClassVar[TransferStatus]
    TRANSFER_STATUS_RECEIVED: _ClassVar[TransferStatus]
    TRANSFER_STATUS_REFUNDED: _ClassVar[TransferStatus]
    TRANSFER_STATUS_REJECTED: _ClassVar[TransferStatus]

class RefundReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REFUND_REASON_UNSPECIFIED: _ClassVar[RefundReason]
    REFUND_REASON_EXPIRED: _ClassVar[RefundReason]
    REFUND_REASON_DECLINED: _ClassVar[RefundReason]
    REFUND_REASON_RELATION_LAPSED: _ClassVar[RefundReason]

class TransferEventType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRANSFER_EVENT_TYPE_UNSPECIFIED: _ClassVar[TransferEventType]
    TRANSFER_EVENT_TYPE_CREATED: _ClassVar[TransferEventType]
    TRANSFER_EVENT_TYPE_RECEIVED: _ClassVar[TransferEventType]
    TRANSFER_EVENT_TYPE_DECLINED: _ClassVar[TransferEventType]
    TRANSFER_EVENT_TYPE_REFUNDED: _ClassVar[TransferEventType]

class NotificationKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NOTIFICATION_KIND_UNSPECIFIED: _ClassVar[NotificationKind]
    NOTIFICATION_KIND_TRANSFER_WAITING: _ClassVar[NotificationKind]
    NOTIFICATION_KIND_TRANSFER_RECEIVED: _ClassVar[NotificationKind]
    NOTIFICATION_KIND_TRANSFER_REFUNDED: _ClassVar[NotificationKind]
TRANSFER_SOURCE_UNSPECIFIED: TransferSource
TRANSFER_SOURCE_PERSONAL_ACCOUNT: TransferSource
TRANSFER_SOURCE_WALLET: TransferSource
TRANSFER_STATUS_UNSPECIFIED: TransferStatus
TRANSFER_STATUS_ACCEPTED: TransferStatus
TRANSFER_STATUS_PENDING_RECEIPT: TransferStatus
TRANSFER_STATUS_RECEIVED: TransferStatus
TRANSFER_STATUS_REFUNDED: TransferStatus
TRANSFER_STATUS_REJECTED: TransferStatus
REFUND_REASON_UNSPECIFIED: RefundReason
REFUND_REASON_EXPIRED: RefundReason
REFUND_REASON_DECLINED: RefundReason
REFUND_REASON_RELATION_LAPSED: RefundReason
TRANSFER_EVENT_TYPE_UNSPECIFIED: TransferEventType
TRANSFER_EVENT_TYPE_CREATED: TransferEventType
TRANSFER_EVENT_TYPE_RECEIVED: TransferEventType
TRANSFER_EVENT_TYPE_DECLINED: TransferEventType
TRANSFER_EVENT_TYPE_REFUNDED: TransferEventType
NOTIFICATION_KIND_UNSPECIFIED: NotificationKind
NOTIFICATION_KIND_TRANSFER_WAITING: NotificationKind
NOTIFICATION_KIND_TRANSFER_RECEIVED: NotificationKind
NOTIFICATION_KIND_TRANSFER_REFUNDED: NotificationKind

class Transfer(_message.Message):
    __slots__ = ("id", "payer_id", "payee_id", "payee_name", "payee_masked_id_number", "relation", "source", "amount_fen", "status", "refund_reason", "payer_province", "payee_province", "create_time", "expire_time", "receive_time", "refund_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    PAYER_ID_FIELD_NUMBER: _ClassVar[int]
    PAYEE_ID_FIELD_NUMBER: _ClassVar[int]
    PAYEE_NAME_FIELD_NUMBER: _ClassVar[int]
    PAYEE_MASKED_ID_NUMBER_FIELD_NUMBER: _ClassVar[int]
    RELATION_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    REFUND_REASON_FIELD_NUMBER: _ClassVar[int]
    PAYER_PROVINCE_FIELD_NUMBER: _ClassVar[int]
    PAYEE_PROVINCE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    RECEIVE_TIME_FIELD_NUMBER: _ClassVar[int]
    REFUND_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    payer_id: str
    payee_id: str
    payee_name: str
    payee_masked_id_number: str
    relation: _relation_pb2.RelationKind
    source: TransferSource
    amount_fen: int
    status: TransferStatus
    refund_reason: RefundReason
    payer_province: str
    payee_province: str
    create_time: _timestamp_pb2.Timestamp
    expire_time: _timestamp_pb2.Timestamp
    receive_time: _timestamp_pb2.Timestamp
    refund_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., payer_id: _Optional[str] = ..., payee_id: _Optional[str] = ..., payee_name: _Optional[str] = ..., payee_masked_id_number: _Optional[str] = ..., relation: _Optional[_Union[_relation_pb2.RelationKind, str]] = ..., source: _Optional[_Union[TransferSource, str]] = ..., amount_fen: _Optional[int] = ..., status: _Optional[_Union[TransferStatus, str]] = ..., refund_reason: _Optional[_Union[RefundReason, str]] = ..., payer_province: _Optional[str] = ..., payee_province: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., receive_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., refund_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class TransferEvent(_message.Message):
    __slots__ = ("sequence", "type", "transfer", "event_time")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    TRANSFER_FIELD_NUMBER: _ClassVar[int]
    EVENT_TIME_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    type: TransferEventType
    transfer: Transfer
    event_time: _timestamp_pb2.Timestamp
    def __init__(self, sequence: _Optional[int] = ..., type: _Optional[_Union[TransferEventType, str]] = ..., transfer: _Optional[_Union[Transfer, _Mapping]] = ..., event_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SubmitTransferRequest(_message.Message):
    __slots__ = ("payer_id", "source", "payee_name", "payee_id_number", "relation", "amount_fen", "verification", "request_id")
    PAYER_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    PAYEE_NAME_FIELD_NUMBER: _ClassVar[int]
    PAYEE_ID_NUMBER_FIELD_NUMBER: _ClassVar[int]
    RELATION_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    VERIFICATION_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    payer_id: str
    source: TransferSource
    payee_name: str
    payee_id_number: str
    relation: _relation_pb2.RelationKind
    amount_fen: int
    verification: _verification_pb2.Verification
    request_id: str
    def __init__(self, payer_id: _Optional[str] = ..., source: _Optional[_Union[TransferSource, str]] = ..., payee_name: _Optional[str] = ..., payee_id_number: _Optional[str] = ..., relation: _Optional[_Union[_relation_pb2.RelationKind, str]] = ..., amount_fen: _Optional[int] = ..., verification: _Optional[_Union[_verification_pb2.Verification, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class SubmitTransferResponse(_message.Message):
    __slots__ = ("transfer",)
    TRANSFER_FIELD_NUMBER: _ClassVar[int]
    transfer: Transfer
    def __init__(self, transfer: _Optional[_Union[Transfer, _Mapping]] = ...) -> None: ...

class GetTransferRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetTransferResponse(_message.Message):
    __slots__ = ("transfer",)
    TRANSFER_FIELD_NUMBER: _ClassVar[int]
    transfer: Transfer
    def __init__(self, transfer: _Optional[_Union[Transfer, _Mapping]] = ...) -> None: ...

class ListTransfersRequest(_message.Message):
    __slots__ = ("person_id", "status", "outgoing_only", "incoming_only", "page_size", "page_token")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    OUTGOING_ONLY_FIELD_NUMBER: _ClassVar[int]
    INCOMING_ONLY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    status: TransferStatus
    outgoing_only: bool
    incoming_only: bool
    page_size: int
    page_token: str
    def __init__(self, person_id: _Optional[str] = ..., status: _Optional[_Union[TransferStatus, str]] = ..., outgoing_only: _Optional[bool] = ..., incoming_only: _Optional[bool] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListTransfersResponse(_message.Message):
    __slots__ = ("transfers", "next_page_token")
    TRANSFERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    transfers: _containers.RepeatedCompositeFieldContainer[Transfer]
    next_page_token: str
    def __init__(self, transfers: _Optional[_Iterable[_Union[Transfer, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ReceiveTransferRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class ReceiveTransferResponse(_message.Message):
    __slots__ = ("transfer",)
    TRANSFER_FIELD_NUMBER: _ClassVar[int]
    transfer: Transfer
    def __init__(self, transfer: _Optional[_Union[Transfer, _Mapping]] = ...) -> None: ...

class DeclineTransferRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class DeclineTransferResponse(_message.Message):
    __slots__ = ("transfer",)
    TRANSFER_FIELD_NUMBER: _ClassVar[int]
    transfer: Transfer
    def __init__(self, transfer: _Optional[_Union[Transfer, _Mapping]] = ...) -> None: ...

class GetQuotaRequest(_message.Message):
    __slots__ = ("person_id",)
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    def __init__(self, person_id: _Optional[str] = ...) -> None: ...

class GetQuotaResponse(_message.Message):
    __slots__ = ("transfers_left_today", "transfers_per_day", "max_amount_fen", "min_amount_fen", "window_open", "next_open_time")
    TRANSFERS_LEFT_TODAY_FIELD_NUMBER: _ClassVar[int]
    TRANSFERS_PER_DAY_FIELD_NUMBER: _ClassVar[int]
    MAX_AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    MIN_AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    WINDOW_OPEN_FIELD_NUMBER: _ClassVar[int]
    NEXT_OPEN_TIME_FIELD_NUMBER: _ClassVar[int]
    transfers_left_today: int
    transfers_per_day: int
    max_amount_fen: int
    min_amount_fen: int
    window_open: bool
    next_open_time: _timestamp_pb2.Timestamp
    def __init__(self, transfers_left_today: _Optional[int] = ..., transfers_per_day: _Optional[int] = ..., max_amount_fen: _Optional[int] = ..., min_amount_fen: _Optional[int] = ..., window_open: _Optional[bool] = ..., next_open_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class StreamTransferEventsRequest(_message.Message):
    __slots__ = ("province", "after_sequence")
    PROVINCE_FIELD_NUMBER: _ClassVar[int]
    AFTER_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    province: str
    after_sequence: int
    def __init__(self, province: _Optional[str] = ..., after_sequence: _Optional[int] = ...) -> None: ...

class StreamTransferEventsResponse(_message.Message):
    __slots__ = ("event",)
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: TransferEvent
    def __init__(self, event: _Optional[_Union[TransferEvent, _Mapping]] = ...) -> None: ...

class GetSettlementStatementRequest(_message.Message):
    __slots__ = ("month",)
    MONTH_FIELD_NUMBER: _ClassVar[int]
    month: str
    def __init__(self, month: _Optional[str] = ...) -> None: ...

class GetSettlementStatementResponse(_message.Message):
    __slots__ = ("month", "flows", "positions", "total_fen")
    MONTH_FIELD_NUMBER: _ClassVar[int]
    FLOWS_FIELD_NUMBER: _ClassVar[int]
    POSITIONS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FEN_FIELD_NUMBER: _ClassVar[int]
    month: str
    flows: _containers.RepeatedCompositeFieldContainer[SettlementFlow]
    positions: _containers.RepeatedCompositeFieldContainer[ProvincePosition]
    total_fen: int
    def __init__(self, month: _Optional[str] = ..., flows: _Optional[_Iterable[_Union[SettlementFlow, _Mapping]]] = ..., positions: _Optional[_Iterable[_Union[ProvincePosition, _Mapping]]] = ..., total_fen: _Optional[int] = ...) -> None: ...

class SettlementFlow(_message.Message):
    __slots__ = ("from_province", "to_province", "count", "amount_fen", "credited_fen")
    FROM_PROVINCE_FIELD_NUMBER: _ClassVar[int]
    TO_PROVINCE_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    CREDITED_FEN_FIELD_NUMBER: _ClassVar[int]
    from_province: str
    to_province: str
    count: int
    amount_fen: int
    credited_fen: int
    def __init__(self, from_province: _Optional[str] = ..., to_province: _Optional[str] = ..., count: _Optional[int] = ..., amount_fen: _Optional[int] = ..., credited_fen: _Optional[int] = ...) -> None: ...

class ProvincePosition(_message.Message):
    __slots__ = ("province", "net_fen")
    PROVINCE_FIELD_NUMBER: _ClassVar[int]
    NET_FEN_FIELD_NUMBER: _ClassVar[int]
    province: str
    net_fen: int
    def __init__(self, province: _Optional[str] = ..., net_fen: _Optional[int] = ...) -> None: ...

class Notification(_message.Message):
    __slots__ = ("event_sequence", "person_id", "kind", "transfer_id", "amount_fen", "expire_time", "text", "event_time")
    EVENT_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    EVENT_TIME_FIELD_NUMBER: _ClassVar[int]
    event_sequence: int
    person_id: str
    kind: NotificationKind
    transfer_id: str
    amount_fen: int
    expire_time: _timestamp_pb2.Timestamp
    text: str
    event_time: _timestamp_pb2.Timestamp
    def __init__(self, event_sequence: _Optional[int] = ..., person_id: _Optional[str] = ..., kind: _Optional[_Union[NotificationKind, str]] = ..., transfer_id: _Optional[str] = ..., amount_fen: _Optional[int] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., text: _Optional[str] = ..., event_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListNotificationsRequest(_message.Message):
    __slots__ = ("person_id", "page_size", "page_token")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    page_size: int
    page_token: str
    def __init__(self, person_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListNotificationsResponse(_message.Message):
    __slots__ = ("notifications", "next_page_token")
    NOTIFICATIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    notifications: _containers.RepeatedCompositeFieldContainer[Notification]
    next_page_token: str
    def __init__(self, notifications: _Optional[_Iterable[_Union[Notification, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
