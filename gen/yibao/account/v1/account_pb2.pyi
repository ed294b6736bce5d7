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

class InsuranceType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INSURANCE_TYPE_UNSPECIFIED: _ClassVar[InsuranceType]
    INSURANCE_TYPE_EMPLOYEE: _ClassVar[InsuranceType]
    INSURANCE_TYPE_RESIDENT: _ClassVar[InsuranceType]

class InsuranceStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INSURANCE_STATUS_UNSPECIFIED: _ClassVar[InsuranceStatus]
    INSURANCE_STATUS_ACTIVE: _ClassVar[InsuranceStatus]
    INSURANCE_STATUS_ENDED: _ClassVar[InsuranceStatus]

class AccountKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ACCOUNT_KIND_UNSPECIFIED: _ClassVar[AccountKind]
    ACCOUNT_KIND_PERSONAL: _ClassVar[AccountKind]
    ACCOUNT_KIND_WALLET: _ClassVar[AccountKind]

class VerificationPurpose(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VERIFICATION_PURPOSE_UNSPECIFIED: _ClassVar[VerificationPurpose]
    VERIFICATION_PURPOSE_TRANSFER: _ClassVar[VerificationPurpose]
    VERIFICATION_PURPOSE_PAYMENT: _ClassVar[VerificationPurpose]
    VERIFICATION_PURPOSE_SETTINGS: _ClassVar[VerificationPurpose]

class EntryKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ENTRY_KIND_UNSPECIFIED: _ClassVar[EntryKind]
    ENTRY_KIND_FUNDING: _ClassVar[EntryKind]
    ENTRY_KIND_TRANSFER_HOLD: _ClassVar[EntryKind]
    ENTRY_KIND_TRANSFER_RECEIVE: _ClassVar[EntryKind]
    ENTRY_KIND_TRANSFER_REFUND: _ClassVar[EntryKind]
    ENTRY_KIND_PAYMENT: _ClassVar[EntryKind]
    ENTRY_KIND_PAYMENT_REFUND: _ClassVar[EntryKind]
    ENTRY_KIND_CONTRIBUTION: _ClassVar[EntryKind]
    ENTRY_KIND_MOVE_OUT: _ClassVar[EntryKind]
    ENTRY_KIND_MOVE_IN: _ClassVar[EntryKind]
    ENTRY_KIND_CONTRIBUTION_RETURN: _ClassVar[EntryKind]

class ContributionKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONTRIBUTION_KIND_UNSPECIFIED: _ClassVar[ContributionKind]
    CONTRIBUTION_KIND_RESIDENT_INSURANCE: _ClassVar[ContributionKind]
    CONTRIBUTION_KIND_LONG_TERM_CARE: _ClassVar[ContributionKind]

class HoldStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    HOLD_STATUS_UNSPECIFIED: _ClassVar[HoldStatus]
    HOLD_STATUS_PENDING: _ClassVar[HoldStatus]
    HOLD_STATUS_RECEIVED: _ClassVar[HoldStatus]
    HOLD_STATUS_REFUNDED: _ClassVar[HoldStatus]

class LapseCause(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LAPSE_CAUSE_UNSPECIFIED: _ClassVar[LapseCause]
    LAPSE_CAUSE_INSURANCE_ENDED: _ClassVar[LapseCause]
    LAPSE_CAUSE_INSURANCE_MOVED: _ClassVar[LapseCause]

class BillEventType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BILL_EVENT_TYPE_UNSPECIFIED: _ClassVar[BillEventType]
    BILL_EVENT_TYPE_ISSUED: _ClassVar[BillEventType]
    BILL_EVENT_TYPE_PAID: _ClassVar[BillEventType]
INSURANCE_TYPE_UNSPECIFIED: InsuranceType
INSURANCE_TYPE_EMPLOYEE: InsuranceType
INSURANCE_TYPE_RESIDENT: InsuranceType
INSURANCE_STATUS_UNSPECIFIED: InsuranceStatus
INSURANCE_STATUS_ACTIVE: InsuranceStatus
INSURANCE_STATUS_ENDED: InsuranceStatus
ACCOUNT_KIND_UNSPECIFIED: AccountKind
ACCOUNT_KIND_PERSONAL: AccountKind
ACCOUNT_KIND_WALLET: AccountKind
VERIFICATION_PURPOSE_UNSPECIFIED: VerificationPurpose
VERIFICATION_PURPOSE_TRANSFER: VerificationPurpose
VERIFICATION_PURPOSE_PAYMENT: VerificationPurpose
VERIFICATION_PURPOSE_SETTINGS: VerificationPurpose
ENTRY_KIND_UNSPECIFIED: EntryKind
ENTRY_KIND_FUNDING: EntryKind
ENTRY_KIND_TRANSFER_HOLD: EntryKind
ENTRY_KIND_TRANSFER_RECEIVE: EntryKind
ENTRY_KIND_TRANSFER_REFUND: EntryKind
ENTRY_KIND_PAYMENT: EntryKind
ENTRY_KIND_PAYMENT_REFUND: EntryKind
ENTRY_KIND_CONTRIBUTION: EntryKind
ENTRY_KIND_MOVE_OUT: EntryKind
ENTRY_KIND_MOVE_IN: EntryKind
ENTRY_KIND_CONTRIBUTION_RETURN: EntryKind
CONTRIBUTION_KIND_UNSPECIFIED: ContributionKind
CONTRIBUTION_KIND_RESIDENT_INSURANCE: ContributionKind
CONTRIBUTION_KIND_LONG_TERM_CARE: ContributionKind
HOLD_STATUS_UNSPECIFIED: HoldStatus
HOLD_STATUS_PENDING: HoldStatus
HOLD_STATUS_RECEIVED: HoldStatus
HOLD_STATUS_REFUNDED: HoldStatus
LAPSE_CAUSE_UNSPECIFIED: LapseCause
LAPSE_CAUSE_INSURANCE_ENDED: LapseCause
LAPSE_CAUSE_INSURANCE_MOVED: LapseCause
BILL_EVENT_TYPE_UNSPECIFIED: BillEventType
BILL_EVENT_TYPE_ISSUED: BillEventType
BILL_EVENT_TYPE_PAID: BillEventType

class Person(_message.Message):
    __slots__ = ("id", "masked_id_number", "name", "insurance_type", "insured_region", "insurance_status", "create_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    MASKED_ID_NUMBER_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    INSURANCE_TYPE_FIELD_NUMBER: _ClassVar[int]
    INSURED_REGION_FIELD_NUMBER: _ClassVar[int]
    INSURANCE_STATUS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    masked_id_number: str
    name: str
    insurance_type: InsuranceType
    insured_region: str
    insurance_status: InsuranceStatus
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., masked_id_number: _Optional[str] = ..., name: _Optional[str] = ..., insurance_type: _Optional[_Union[InsuranceType, str]] = ..., insured_region: _Optional[str] = ..., insurance_status: _Optional[_Union[InsuranceStatus, str]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Wallet(_message.Message):
    __slots__ = ("person_id", "place_of_use", "masked_mobile", "balance_fen", "open_time")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    PLACE_OF_USE_FIELD_NUMBER: _ClassVar[int]
    MASKED_MOBILE_FIELD_NUMBER: _ClassVar[int]
    BALANCE_FEN_FIELD_NUMBER: _ClassVar[int]
    OPEN_TIME_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    place_of_use: str
    masked_mobile: str
    balance_fen: int
    open_time: _timestamp_pb2.Timestamp
    def __init__(self, person_id: _Optional[str] = ..., place_of_use: _Optional[str] = ..., masked_mobile: _Optional[str] = ..., balance_fen: _Optional[int] = ..., open_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Relation(_message.Message):
    __slots__ = ("person_id", "relative_id", "kind", "relative_name", "relative_masked_id_number", "attest_time")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    RELATIVE_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    RELATIVE_NAME_FIELD_NUMBER: _ClassVar[int]
    RELATIVE_MASKED_ID_NUMBER_FIELD_NUMBER: _ClassVar[int]
    ATTEST_TIME_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    relative_id: str
    kind: _relation_pb2.RelationKind
    relative_name: str
    relative_masked_id_number: str
    attest_time: _timestamp_pb2.Timestamp
    def __init__(self, person_id: _Optional[str] = ..., relative_id: _Optional[str] = ..., kind: _Optional[_Union[_relation_pb2.RelationKind, str]] = ..., relative_name: _Optional[str] = ..., relative_masked_id_number: _Optional[str] = ..., attest_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class StatementEntry(_message.Message):
    __slots__ = ("entry_id", "kind", "account", "amount_fen", "balance_after_fen", "reference", "description", "post_time")
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    BALANCE_AFTER_FEN_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    POST_TIME_FIELD_NUMBER: _ClassVar[int]
    entry_id: int
    kind: EntryKind
    account: AccountKind
    amount_fen: int
    balance_after_fen: int
    reference: str
    description: str
    post_time: _timestamp_pb2.Timestamp
    def __init__(self, entry_id: _Optional[int] = ..., kind: _Optional[_Union[EntryKind, str]] = ..., account: _Optional[_Union[AccountKind, str]] = ..., amount_fen: _Optional[int] = ..., balance_after_fen: _Optional[int] = ..., reference: _Optional[str] = ..., description: _Optional[str] = ..., post_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Payment(_message.Message):
    __slots__ = ("institution_code", "order_number", "person_id", "amount_fen", "refunded_fen", "pay_time")
    INSTITUTION_CODE_FIELD_NUMBER: _ClassVar[int]
    ORDER_NUMBER_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    REFUNDED_FEN_FIELD_NUMBER: _ClassVar[int]
    PAY_TIME_FIELD_NUMBER: _ClassVar[int]
    institution_code: str
    order_number: str
    person_id: str
    amount_fen: int
    refunded_fen: int
    pay_time: _timestamp_pb2.Timestamp
    def __init__(self, institution_code: _Optional[str] = ..., order_number: _Optional[str] = ..., person_id: _Optional[str] = ..., amount_fen: _Optional[int] = ..., refunded_fen: _Optional[int] = ..., pay_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class HoldState(_message.Message):
    __slots__ = ("transfer_id", "payer_id", "payee_id", "source", "amount_fen", "status", "create_time", "update_time", "payee_province")
    TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    PAYER_ID_FIELD_NUMBER: _ClassVar[int]
    PAYEE_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    PAYEE_PROVINCE_FIELD_NUMBER: _ClassVar[int]
    transfer_id: str
    payer_id: str
    payee_id: str
    source: AccountKind
    amount_fen: int
    status: HoldStatus
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    payee_province: str
    def __init__(self, transfer_id: _Optional[str] = ..., payer_id: _Optional[str] = ..., payee_id: _Optional[str] = ..., source: _Optional[_Union[AccountKind, str]] = ..., amount_fen: _Optional[int] = ..., status: _Optional[_Union[HoldStatus, str]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., payee_province: _Optional[str] = ...) -> None: ...

class RegisterPersonRequest(_message.Message):
    __slots__ = ("id_number", "name", "insurance_type", "insured_region")
    ID_NUMBER_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    INSURANCE_TYPE_FIELD_NUMBER: _ClassVar[int]
    INSURED_REGION_FIELD_NUMBER: _ClassVar[int]
    id_number: str
    name: str
    insurance_type: InsuranceType
    insured_region: str
    def __init__(self, id_number: _Optional[str] = ..., name: _Optional[str] = ..., insurance_type: _Optional[_Union[InsuranceType, str]] = ..., insured_region: _Optional[str] = ...) -> None: ...

class RegisterPersonResponse(_message.Message):
    __slots__ = ("person", "created")
    PERSON_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    person: Person
    created: bool
    def __init__(self, person: _Optional[_Union[Person, _Mapping]] = ..., created: _Optional[bool] = ...) -> None: ...

class UpdateInsuranceRequest(_message.Message):
    __slots__ = ("person_id", "insurance_status", "insured_region", "insurance_type")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    INSURANCE_STATUS_FIELD_NUMBER: _ClassVar[int]
    INSURED_REGION_FIELD_NUMBER: _ClassVar[int]
    INSURANCE_TYPE_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    insurance_status: InsuranceStatus
    insured_region: str
    insurance_type: InsuranceType
    def __init__(self, person_id: _Optional[str] = ..., insurance_status: _Optional[_Union[InsuranceStatus, str]] = ..., insured_region: _Optional[str] = ..., insurance_type: _Optional[_Union[InsuranceType, str]] = ...) -> None: ...

class UpdateInsuranceResponse(_message.Message):
    __slots__ = ("person", "lapsed_relations")
    PERSON_FIELD_NUMBER: _ClassVar[int]
    LAPSED_RELATIONS_FIELD_NUMBER: _ClassVar[int]
    person: Person
    lapsed_relations: int
    def __init__(self, person: _Optional[_Union[Person, _Mapping]] = ..., lapsed_relations: _Optional[int] = ...) -> None: ...

class GetPersonRequest(_message.Message):
    __slots__ = ("person_id",)
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    def __init__(self, person_id: _Optional[str] = ...) -> None: ...

class GetPersonResponse(_message.Message):
    __slots__ = ("person",)
    PERSON_FIELD_NUMBER: _ClassVar[int]
    person: Person
    def __init__(self, person: _Optional[_Union[Person, _Mapping]] = ...) -> None: ...

class LookupPersonRequest(_message.Message):
    __slots__ = ("id_number", "name")
    ID_NUMBER_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    id_number: str
    name: str
    def __init__(self, id_number: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class LookupPersonResponse(_message.Message):
    __slots__ = ("person", "wallet")
    PERSON_FIELD_NUMBER: _ClassVar[int]
    WALLET_FIELD_NUMBER: _ClassVar[int]
    person: Person
    wallet: Wallet
    def __init__(self, person: _Optional[_Union[Person, _Mapping]] = ..., wallet: _Optional[_Union[Wallet, _Mapping]] = ...) -> None: ...

class GetTransferPartiesRequest(_message.Message):
    __slots__ = ("payer_id", "payee_id_number", "payee_name", "verification")
    PAYER_ID_FIELD_NUMBER: _ClassVar[int]
    PAYEE_ID_NUMBER_FIELD_NUMBER: _ClassVar[int]
    PAYEE_NAME_FIELD_NUMBER: _ClassVar[int]
    VERIFICATION_FIELD_NUMBER: _ClassVar[int]
    payer_id: str
    payee_id_number: str
    payee_name: str
    verification: _verification_pb2.Verification
    def __init__(self, payer_id: _Optional[str] = ..., payee_id_number: _Optional[str] = ..., payee_name: _Optional[str] = ..., verification: _Optional[_Union[_verification_pb2.Verification, _Mapping]] = ...) -> None: ...

class GetTransferPartiesResponse(_message.Message):
    __slots__ = ("payer", "payer_wallet", "payee", "payee_wallet", "relation")
    PAYER_FIELD_NUMBER: _ClassVar[int]
    PAYER_WALLET_FIELD_NUMBER: _ClassVar[int]
    PAYEE_FIELD_NUMBER: _ClassVar[int]
    PAYEE_WALLET_FIELD_NUMBER: _ClassVar[int]
    RELATION_FIELD_NUMBER: _ClassVar[int]
    payer: Person
    payer_wallet: Wallet
    payee: Person
    payee_wallet: Wallet
    relation: _relation_pb2.RelationKind
    def __init__(self, payer: _Optional[_Union[Person, _Mapping]] = ..., payer_wallet: _Optional[_Union[Wallet, _Mapping]] = ..., payee: _Optional[_Union[Person, _Mapping]] = ..., payee_wallet: _Optional[_Union[Wallet, _Mapping]] = ..., relation: _Optional[_Union[_relation_pb2.RelationKind, str]] = ...) -> None: ...

class BatchGetTransferPartiesRequest(_message.Message):
    __slots__ = ("requests",)
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    requests: _containers.RepeatedCompositeFieldContainer[GetTransferPartiesRequest]
    def __init__(self, requests: _Optional[_Iterable[_Union[GetTransferPartiesRequest, _Mapping]]] = ...) -> None: ...

class BatchGetTransferPartiesResponse(_message.Message):
    __slots__ = ("outcomes",)
    OUTCOMES_FIELD_NUMBER: _ClassVar[int]
    outcomes: _containers.RepeatedCompositeFieldContainer[TransferPartiesOutcome]
    def __init__(self, outcomes: _Optional[_Iterable[_Union[TransferPartiesOutcome, _Mapping]]] = ...) -> None: ...

class TransferPartiesOutcome(_message.Message):
    __slots__ = ("parties", "error_code", "error_reason", "error_message", "error_metadata")
    class ErrorMetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    PARTIES_FIELD_NUMBER: _ClassVar[int]
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    ERROR_REASON_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    ERROR_METADATA_FIELD_NUMBER: _ClassVar[int]
    parties: GetTransferPartiesResponse
    error_code: int
    error_reason: str
    error_message: str
    error_metadata: _containers.ScalarMap[str, str]
    def __init__(self, parties: _Optional[_Union[GetTransferPartiesResponse, _Mapping]] = ..., error_code: _Optional[int] = ..., error_reason: _Optional[str] = ..., error_message: _Optional[str] = ..., error_metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class FundPersonalAccountRequest(_message.Message):
    __slots__ = ("person_id", "amount_fen", "reference", "period")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    amount_fen: int
    reference: str
    period: str
    def __init__(self, person_id: _Optional[str] = ..., amount_fen: _Optional[int] = ..., reference: _Optional[str] = ..., period: _Optional[str] = ...) -> None: ...

class FundPersonalAccountResponse(_message.Message):
    __slots__ = ("balance_fen", "entry_id")
    BALANCE_FEN_FIELD_NUMBER: _ClassVar[int]
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    balance_fen: int
    entry_id: int
    def __init__(self, balance_fen: _Optional[int] = ..., entry_id: _Optional[int] = ...) -> None: ...

class OpenWalletRequest(_message.Message):
    __slots__ = ("person_id", "place_of_use", "mobile")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    PLACE_OF_USE_FIELD_NUMBER: _ClassVar[int]
    MOBILE_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    place_of_use: str
    mobile: str
    def __init__(self, person_id: _Optional[str] = ..., place_of_use: _Optional[str] = ..., mobile: _Optional[str] = ...) -> None: ...

class OpenWalletResponse(_message.Message):
    __slots__ = ("wallet", "created")
    WALLET_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    wallet: Wallet
    created: bool
    def __init__(self, wallet: _Optional[_Union[Wallet, _Mapping]] = ..., created: _Optional[bool] = ...) -> None: ...

class GetWalletRequest(_message.Message):
    __slots__ = ("person_id",)
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    def __init__(self, person_id: _Optional[str] = ...) -> None: ...

class GetWalletResponse(_message.Message):
    __slots__ = ("wallet",)
    WALLET_FIELD_NUMBER: _ClassVar[int]
    wallet: Wallet
    def __init__(self, wallet: _Optional[_Union[Wallet, _Mapping]] = ...) -> None: ...

class ChangePlaceOfUseRequest(_message.Message):
    __slots__ = ("person_id", "place_of_use")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    PLACE_OF_USE_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    place_of_use: str
    def __init__(self, person_id: _Optional[str] = ..., place_of_use: _Optional[str] = ...) -> None: ...

class ChangePlaceOfUseResponse(_message.Message):
    __slots__ = ("wallet",)
    WALLET_FIELD_NUMBER: _ClassVar[int]
    wallet: Wallet
    def __init__(self, wallet: _Optional[_Union[Wallet, _Mapping]] = ...) -> None: ...

class ChangeMobileRequest(_message.Message):
    __slots__ = ("person_id", "mobile", "verification")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    MOBILE_FIELD_NUMBER: _ClassVar[int]
    VERIFICATION_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    mobile: str
    verification: _verification_pb2.Verification
    def __init__(self, person_id: _Optional[str] = ..., mobile: _Optional[str] = ..., verification: _Optional[_Union[_verification_pb2.Verification, _Mapping]] = ...) -> None: ...

class ChangeMobileResponse(_message.Message):
    __slots__ = ("wallet",)
    WALLET_FIELD_NUMBER: _ClassVar[int]
    wallet: Wallet
    def __init__(self, wallet: _Optional[_Union[Wallet, _Mapping]] = ...) -> None: ...

class AttestRelationRequest(_message.Message):
    __slots__ = ("person_id", "relative_id", "kind")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    RELATIVE_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    relative_id: str
    kind: _relation_pb2.RelationKind
    def __init__(self, person_id: _Optional[str] = ..., relative_id: _Optional[str] = ..., kind: _Optional[_Union[_relation_pb2.RelationKind, str]] = ...) -> None: ...

class AttestRelationResponse(_message.Message):
    __slots__ = ("relation", "inverse")
    RELATION_FIELD_NUMBER: _ClassVar[int]
    INVERSE_FIELD_NUMBER: _ClassVar[int]
    relation: Relation
    inverse: Relation
    def __init__(self, relation: _Optional[_Union[Relation, _Mapping]] = ..., inverse: _Optional[_Union[Relation, _Mapping]] = ...) -> None: ...

class LinkRelationRequest(_message.Message):
    __slots__ = ("person_id", "relative", "kind")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    RELATIVE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    relative: Person
    kind: _relation_pb2.RelationKind
    def __init__(self, person_id: _Optional[str] = ..., relative: _Optional[_Union[Person, _Mapping]] = ..., kind: _Optional[_Union[_relation_pb2.RelationKind, str]] = ...) -> None: ...

class LinkRelationResponse(_message.Message):
    __slots__ = ("relation",)
    RELATION_FIELD_NUMBER: _ClassVar[int]
    relation: Relation
    def __init__(self, relation: _Optional[_Union[Relation, _Mapping]] = ...) -> None: ...

class LapseRelationsRequest(_message.Message):
    __slots__ = ("person_id",)
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    def __init__(self, person_id: _Optional[str] = ...) -> None: ...

class LapseRelationsResponse(_message.Message):
    __slots__ = ("lapsed",)
    LAPSED_FIELD_NUMBER: _ClassVar[int]
    lapsed: int
    def __init__(self, lapsed: _Optional[int] = ...) -> None: ...

class AdmitPersonRequest(_message.Message):
    __slots__ = ("person", "id_hash", "from_province", "personal_account_fen", "wallet_opened", "wallet_place_of_use", "wallet_mobile", "wallet_open_time", "wallet_fen", "password_hash")
    PERSON_FIELD_NUMBER: _ClassVar[int]
    ID_HASH_FIELD_NUMBER: _ClassVar[int]
    FROM_PROVINCE_FIELD_NUMBER: _ClassVar[int]
    PERSONAL_ACCOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    WALLET_OPENED_FIELD_NUMBER: _ClassVar[int]
    WALLET_PLACE_OF_USE_FIELD_NUMBER: _ClassVar[int]
    WALLET_MOBILE_FIELD_NUMBER: _ClassVar[int]
    WALLET_OPEN_TIME_FIELD_NUMBER: _ClassVar[int]
    WALLET_FEN_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_HASH_FIELD_NUMBER: _ClassVar[int]
    person: Person
    id_hash: str
    from_province: str
    personal_account_fen: int
    wallet_opened: bool
    wallet_place_of_use: str
    wallet_mobile: str
    wallet_open_time: _timestamp_pb2.Timestamp
    wallet_fen: int
    password_hash: str
    def __init__(self, person: _Optional[_Union[Person, _Mapping]] = ..., id_hash: _Optional[str] = ..., from_province: _Optional[str] = ..., personal_account_fen: _Optional[int] = ..., wallet_opened: _Optional[bool] = ..., wallet_place_of_use: _Optional[str] = ..., wallet_mobile: _Optional[str] = ..., wallet_open_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., wallet_fen: _Optional[int] = ..., password_hash: _Optional[str] = ...) -> None: ...

class CollectContributionRequest(_message.Message):
    __slots__ = ("beneficiary_id", "kind", "year", "payer_id", "payer_province", "amount_fen")
    BENEFICIARY_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    PAYER_ID_FIELD_NUMBER: _ClassVar[int]
    PAYER_PROVINCE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    beneficiary_id: str
    kind: ContributionKind
    year: int
    payer_id: str
    payer_province: str
    amount_fen: int
    def __init__(self, beneficiary_id: _Optional[str] = ..., kind: _Optional[_Union[ContributionKind, str]] = ..., year: _Optional[int] = ..., payer_id: _Optional[str] = ..., payer_province: _Optional[str] = ..., amount_fen: _Optional[int] = ...) -> None: ...

class CollectContributionResponse(_message.Message):
    __slots__ = ("bill",)
    BILL_FIELD_NUMBER: _ClassVar[int]
    bill: ContributionBill
    def __init__(self, bill: _Optional[_Union[ContributionBill, _Mapping]] = ...) -> None: ...

class AdmitPersonResponse(_message.Message):
    __slots__ = ("person",)
    PERSON_FIELD_NUMBER: _ClassVar[int]
    person: Person
    def __init__(self, person: _Optional[_Union[Person, _Mapping]] = ...) -> None: ...

class ListRelationsRequest(_message.Message):
    __slots__ = ("person_id",)
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    def __init__(self, person_id: _Optional[str] = ...) -> None: ...

class ListRelationsResponse(_message.Message):
    __slots__ = ("relations",)
    RELATIONS_FIELD_NUMBER: _ClassVar[int]
    relations: _containers.RepeatedCompositeFieldContainer[Relation]
    def __init__(self, relations: _Optional[_Iterable[_Union[Relation, _Mapping]]] = ...) -> None: ...

class SetPasswordRequest(_message.Message):
    __slots__ = ("person_id", "current_password", "new_password")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    CURRENT_PASSWORD_FIELD_NUMBER: _ClassVar[int]
    NEW_PASSWORD_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    current_password: str
    new_password: str
    def __init__(self, person_id: _Optional[str] = ..., current_password: _Optional[str] = ..., new_password: _Optional[str] = ...) -> None: ...

class SetPasswordResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class VerifyCredentialRequest(_message.Message):
    __slots__ = ("person_id", "purpose", "verification")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    VERIFICATION_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    purpose: VerificationPurpose
    verification: _verification_pb2.Verification
    def __init__(self, person_id: _Optional[str] = ..., purpose: _Optional[_Union[VerificationPurpose, str]] = ..., verification: _Optional[_Union[_verification_pb2.Verification, _Mapping]] = ...) -> None: ...

class VerifyCredentialResponse(_message.Message):
    __slots__ = ("attempts_left",)
    ATTEMPTS_LEFT_FIELD_NUMBER: _ClassVar[int]
    attempts_left: int
    def __init__(self, attempts_left: _Optional[int] = ...) -> None: ...

class HoldTransferRequest(_message.Message):
    __slots__ = ("transfer_id", "payer_id", "payee_id", "source", "amount_fen", "payee_province")
    TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    PAYER_ID_FIELD_NUMBER: _ClassVar[int]
    PAYEE_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    PAYEE_PROVINCE_FIELD_NUMBER: _ClassVar[int]
    transfer_id: str
    payer_id: str
    payee_id: str
    source: AccountKind
    amount_fen: int
    payee_province: str
    def __init__(self, transfer_id: _Optional[str] = ..., payer_id: _Optional[str] = ..., payee_id: _Optional[str] = ..., source: _Optional[_Union[AccountKind, str]] = ..., amount_fen: _Optional[int] = ..., payee_province: _Optional[str] = ...) -> None: ...

class HoldTransferResponse(_message.Message):
    __slots__ = ("hold",)
    HOLD_FIELD_NUMBER: _ClassVar[int]
    hold: HoldState
    def __init__(self, hold: _Optional[_Union[HoldState, _Mapping]] = ...) -> None: ...

class HoldTransfersRequest(_message.Message):
    __slots__ = ("holds",)
    HOLDS_FIELD_NUMBER: _ClassVar[int]
    holds: _containers.RepeatedCompositeFieldContainer[HoldTransferRequest]
    def __init__(self, holds: _Optional[_Iterable[_Union[HoldTransferRequest, _Mapping]]] = ...) -> None: ...

class HoldTransfersResponse(_message.Message):
    __slots__ = ("outcomes",)
    OUTCOMES_FIELD_NUMBER: _ClassVar[int]
    outcomes: _containers.RepeatedCompositeFieldContainer[HoldOutcome]
    def __init__(self, outcomes: _Optional[_Iterable[_Union[HoldOutcome, _Mapping]]] = ...) -> None: ...

class HoldOutcome(_message.Message):
    __slots__ = ("hold", "error_code", "error_reason", "error_message", "error_metadata")
    class ErrorMetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    HOLD_FIELD_NUMBER: _ClassVar[int]
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    ERROR_REASON_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    ERROR_METADATA_FIELD_NUMBER: _ClassVar[int]
    hold: HoldState
    error_code: int
    error_reason: str
    error_message: str
    error_metadata: _containers.ScalarMap[str, str]
    def __init__(self, hold: _Optional[_Union[HoldState, _Mapping]] = ..., error_code: _Optional[int] = ..., error_reason: _Optional[str] = ..., error_message: _Optional[str] = ..., error_metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class ReceiveTransferRequest(_message.Message):
    __slots__ = ("transfer_id",)
    TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    transfer_id: str
    def __init__(self, transfer_id: _Optional[str] = ...) -> None: ...

class ReceiveTransferResponse(_message.Message):
    __slots__ = ("hold",)
    HOLD_FIELD_NUMBER: _ClassVar[int]
    hold: HoldState
    def __init__(self, hold: _Optional[_Union[HoldState, _Mapping]] = ...) -> None: ...

class RefundTransferRequest(_message.Message):
    __slots__ = ("transfer_id",)
    TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    transfer_id: str
    def __init__(self, transfer_id: _Optional[str] = ...) -> None: ...

class RefundTransferResponse(_message.Message):
    __slots__ = ("hold",)
    HOLD_FIELD_NUMBER: _ClassVar[int]
    hold: HoldState
    def __init__(self, hold: _Optional[_Union[HoldState, _Mapping]] = ...) -> None: ...

class ReceiveTransfersRequest(_message.Message):
    __slots__ = ("transfer_ids",)
    TRANSFER_IDS_FIELD_NUMBER: _ClassVar[int]
    transfer_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, transfer_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class ReceiveTransfersResponse(_message.Message):
    __slots__ = ("holds", "lapsed_transfer_ids")
    HOLDS_FIELD_NUMBER: _ClassVar[int]
    LAPSED_TRANSFER_IDS_FIELD_NUMBER: _ClassVar[int]
    holds: _containers.RepeatedCompositeFieldContainer[HoldState]
    lapsed_transfer_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, holds: _Optional[_Iterable[_Union[HoldState, _Mapping]]] = ..., lapsed_transfer_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class RefundTransfersRequest(_message.Message):
    __slots__ = ("transfer_ids",)
    TRANSFER_IDS_FIELD_NUMBER: _ClassVar[int]
    transfer_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, transfer_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class RefundTransfersResponse(_message.Message):
    __slots__ = ("holds",)
    HOLDS_FIELD_NUMBER: _ClassVar[int]
    holds: _containers.RepeatedCompositeFieldContainer[HoldState]
    def __init__(self, holds: _Optional[_Iterable[_Union[HoldState, _Mapping]]] = ...) -> None: ...

class ListHoldsRequest(_message.Message):
    __slots__ = ("status", "update_after", "page_size", "page_token")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    UPDATE_AFTER_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    status: HoldStatus
    update_after: _timestamp_pb2.Timestamp
    page_size: int
    page_token: str
    def __init__(self, status: _Optional[_Union[HoldStatus, str]] = ..., update_after: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListHoldsResponse(_message.Message):
    __slots__ = ("holds", "next_page_token")
    HOLDS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    holds: _containers.RepeatedCompositeFieldContainer[HoldState]
    next_page_token: str
    def __init__(self, holds: _Optional[_Iterable[_Union[HoldState, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class BatchGetHoldsRequest(_message.Message):
    __slots__ = ("transfer_ids",)
    TRANSFER_IDS_FIELD_NUMBER: _ClassVar[int]
    transfer_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, transfer_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class BatchGetHoldsResponse(_message.Message):
    __slots__ = ("holds",)
    HOLDS_FIELD_NUMBER: _ClassVar[int]
    holds: _containers.RepeatedCompositeFieldContainer[HoldState]
    def __init__(self, holds: _Optional[_Iterable[_Union[HoldState, _Mapping]]] = ...) -> None: ...

class ChargeWalletRequest(_message.Message):
    __slots__ = ("institution_code", "order_number", "person_id", "amount_fen", "verification")
    INSTITUTION_CODE_FIELD_NUMBER: _ClassVar[int]
    ORDER_NUMBER_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    VERIFICATION_FIELD_NUMBER: _ClassVar[int]
    institution_code: str
    order_number: str
    person_id: str
    amount_fen: int
    verification: _verification_pb2.Verification
    def __init__(self, institution_code: _Optional[str] = ..., order_number: _Optional[str] = ..., person_id: _Optional[str] = ..., amount_fen: _Optional[int] = ..., verification: _Optional[_Union[_verification_pb2.Verification, _Mapping]] = ...) -> None: ...

class ChargeWalletResponse(_message.Message):
    __slots__ = ("payment",)
    PAYMENT_FIELD_NUMBER: _ClassVar[int]
    payment: Payment
    def __init__(self, payment: _Optional[_Union[Payment, _Mapping]] = ...) -> None: ...

class GetPaymentRequest(_message.Message):
    __slots__ = ("institution_code", "order_number")
    INSTITUTION_CODE_FIELD_NUMBER: _ClassVar[int]
    ORDER_NUMBER_FIELD_NUMBER: _ClassVar[int]
    institution_code: str
    order_number: str
    def __init__(self, institution_code: _Optional[str] = ..., order_number: _Optional[str] = ...) -> None: ...

class GetPaymentResponse(_message.Message):
    __slots__ = ("payment",)
    PAYMENT_FIELD_NUMBER: _ClassVar[int]
    payment: Payment
    def __init__(self, payment: _Optional[_Union[Payment, _Mapping]] = ...) -> None: ...

class RefundPaymentRequest(_message.Message):
    __slots__ = ("institution_code", "order_number", "amount_fen", "refund_id")
    INSTITUTION_CODE_FIELD_NUMBER: _ClassVar[int]
    ORDER_NUMBER_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    REFUND_ID_FIELD_NUMBER: _ClassVar[int]
    institution_code: str
    order_number: str
    amount_fen: int
    refund_id: str
    def __init__(self, institution_code: _Optional[str] = ..., order_number: _Optional[str] = ..., amount_fen: _Optional[int] = ..., refund_id: _Optional[str] = ...) -> None: ...

class RefundPaymentResponse(_message.Message):
    __slots__ = ("payment",)
    PAYMENT_FIELD_NUMBER: _ClassVar[int]
    payment: Payment
    def __init__(self, payment: _Optional[_Union[Payment, _Mapping]] = ...) -> None: ...

class PayContributionRequest(_message.Message):
    __slots__ = ("payer_id", "beneficiary_id", "kind", "year", "verification")
    PAYER_ID_FIELD_NUMBER: _ClassVar[int]
    BENEFICIARY_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    VERIFICATION_FIELD_NUMBER: _ClassVar[int]
    payer_id: str
    beneficiary_id: str
    kind: ContributionKind
    year: int
    verification: _verification_pb2.Verification
    def __init__(self, payer_id: _Optional[str] = ..., beneficiary_id: _Optional[str] = ..., kind: _Optional[_Union[ContributionKind, str]] = ..., year: _Optional[int] = ..., verification: _Optional[_Union[_verification_pb2.Verification, _Mapping]] = ...) -> None: ...

class ContributionBill(_message.Message):
    __slots__ = ("person_id", "kind", "year", "amount_fen", "province", "issue_time", "paid_by", "paid_time")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    PROVINCE_FIELD_NUMBER: _ClassVar[int]
    ISSUE_TIME_FIELD_NUMBER: _ClassVar[int]
    PAID_BY_FIELD_NUMBER: _ClassVar[int]
    PAID_TIME_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    kind: ContributionKind
    year: int
    amount_fen: int
    province: str
    issue_time: _timestamp_pb2.Timestamp
    paid_by: str
    paid_time: _timestamp_pb2.Timestamp
    def __init__(self, person_id: _Optional[str] = ..., kind: _Optional[_Union[ContributionKind, str]] = ..., year: _Optional[int] = ..., amount_fen: _Optional[int] = ..., province: _Optional[str] = ..., issue_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., paid_by: _Optional[str] = ..., paid_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class IssueContributionBillRequest(_message.Message):
    __slots__ = ("person_id", "kind", "year", "amount_fen")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    kind: ContributionKind
    year: int
    amount_fen: int
    def __init__(self, person_id: _Optional[str] = ..., kind: _Optional[_Union[ContributionKind, str]] = ..., year: _Optional[int] = ..., amount_fen: _Optional[int] = ...) -> None: ...

class IssueContributionBillResponse(_message.Message):
    __slots__ = ("bill", "created")
    BILL_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    bill: ContributionBill
    created: bool
    def __init__(self, bill: _Optional[_Union[ContributionBill, _Mapping]] = ..., created: _Optional[bool] = ...) -> None: ...

class ListContributionBillsRequest(_message.Message):
    __slots__ = ("person_id",)
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    def __init__(self, person_id: _Optional[str] = ...) -> None: ...

class ListContributionBillsResponse(_message.Message):
    __slots__ = ("bills",)
    BILLS_FIELD_NUMBER: _ClassVar[int]
    bills: _containers.RepeatedCompositeFieldContainer[ContributionBill]
    def __init__(self, bills: _Optional[_Iterable[_Union[ContributionBill, _Mapping]]] = ...) -> None: ...

class BillEvent(_message.Message):
    __slots__ = ("id", "type", "bill", "event_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    BILL_FIELD_NUMBER: _ClassVar[int]
    EVENT_TIME_FIELD_NUMBER: _ClassVar[int]
    id: int
    type: BillEventType
    bill: ContributionBill
    event_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[int] = ..., type: _Optional[_Union[BillEventType, str]] = ..., bill: _Optional[_Union[ContributionBill, _Mapping]] = ..., event_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListBillEventsRequest(_message.Message):
    __slots__ = ("province", "after_id", "page_size")
    PROVINCE_FIELD_NUMBER: _ClassVar[int]
    AFTER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    province: str
    after_id: int
    page_size: int
    def __init__(self, province: _Optional[str] = ..., after_id: _Optional[int] = ..., page_size: _Optional[int] = ...) -> None: ...

class ListBillEventsResponse(_message.Message):
    __slots__ = ("events",)
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[BillEvent]
    def __init__(self, events: _Optional[_Iterable[_Union[BillEvent, _Mapping]]] = ...) -> None: ...

class PayContributionResponse(_message.Message):
    __slots__ = ("wallet_balance_fen", "entry_id")
    WALLET_BALANCE_FEN_FIELD_NUMBER: _ClassVar[int]
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    wallet_balance_fen: int
    entry_id: int
    def __init__(self, wallet_balance_fen: _Optional[int] = ..., entry_id: _Optional[int] = ...) -> None: ...

class GetBalancesRequest(_message.Message):
    __slots__ = ("person_id",)
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    def __init__(self, person_id: _Optional[str] = ...) -> None: ...

class GetBalancesResponse(_message.Message):
    __slots__ = ("personal_account_fen", "has_personal_account", "wallet_fen", "has_wallet", "reserved_fen")
    PERSONAL_ACCOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    HAS_PERSONAL_ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    WALLET_FEN_FIELD_NUMBER: _ClassVar[int]
    HAS_WALLET_FIELD_NUMBER: _ClassVar[int]
    RESERVED_FEN_FIELD_NUMBER: _ClassVar[int]
    personal_account_fen: int
    has_personal_account: bool
    wallet_fen: int
    has_wallet: bool
    reserved_fen: int
    def __init__(self, personal_account_fen: _Optional[int] = ..., has_personal_account: _Optional[bool] = ..., wallet_fen: _Optional[int] = ..., has_wallet: _Optional[bool] = ..., reserved_fen: _Optional[int] = ...) -> None: ...

class ListStatementEntriesRequest(_message.Message):
    __slots__ = ("person_id", "kinds", "start_time", "end_time", "page_size", "page_token")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    KINDS_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    kinds: _containers.RepeatedScalarFieldContainer[EntryKind]
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    page_size: int
    page_token: str
    def __init__(self, person_id: _Optional[str] = ..., kinds: _Optional[_Iterable[_Union[EntryKind, str]]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListStatementEntriesResponse(_message.Message):
    __slots__ = ("entries", "next_page_token")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[StatementEntry]
    next_page_token: str
    def __init__(self, entries: _Optional[_Iterable[_Union[StatementEntry, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListRelationLapsesRequest(_message.Message):
    __slots__ = ("after_id", "page_size")
    AFTER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    after_id: int
    page_size: int
    def __init__(self, after_id: _Optional[int] = ..., page_size: _Optional[int] = ...) -> None: ...

class ListRelationLapsesResponse(_message.Message):
    __slots__ = ("lapses",)
    LAPSES_FIELD_NUMBER: _ClassVar[int]
    lapses: _containers.RepeatedCompositeFieldContainer[RelationLapse]
    def __init__(self, lapses: _Optional[_Iterable[_Union[RelationLapse, _Mapping]]] = ...) -> None: ...

class RelationLapse(_message.Message):
    __slots__ = ("id", "person_id", "lapse_time", "cause")
    ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    LAPSE_TIME_FIELD_NUMBER: _ClassVar[int]
    CAUSE_FIELD_NUMBER: _ClassVar[int]
    id: int
    person_id: str
    lapse_time: _timestamp_pb2.Timestamp
    cause: LapseCause
    def __init__(self, id: _Optional[int] = ..., person_id: _Optional[str] = ..., lapse_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., cause: _Optional[_Union[LapseCause, str]] = ...) -> None: ...

class TransferCredit(_message.Message):
    __slots__ = ("transfer_id", "payer_id", "payer_province", "payee_id", "amount_fen")
    TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    PAYER_ID_FIELD_NUMBER: _ClassVar[int]
    PAYER_PROVINCE_FIELD_NUMBER: _ClassVar[int]
    PAYEE_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    transfer_id: str
    payer_id: str
    payer_province: str
    payee_id: str
    amount_fen: int
    def __init__(self, transfer_id: _Optional[str] = ..., payer_id: _Optional[str] = ..., payer_province: _Optional[str] = ..., payee_id: _Optional[str] = ..., amount_fen: _Optional[int] = ...) -> None: ...

class CreditTransfersRequest(_message.Message):
    __slots__ = ("credits",)
    CREDITS_FIELD_NUMBER: _ClassVar[int]
    credits: _containers.RepeatedCompositeFieldContainer[TransferCredit]
    def __init__(self, credits: _Optional[_Iterable[_Union[TransferCredit, _Mapping]]] = ...) -> None: ...

class CreditTransfersResponse(_message.Message):
    __slots__ = ("outcomes",)
    OUTCOMES_FIELD_NUMBER: _ClassVar[int]
    outcomes: _containers.RepeatedCompositeFieldContainer[CreditOutcome]
    def __init__(self, outcomes: _Optional[_Iterable[_Union[CreditOutcome, _Mapping]]] = ...) -> None: ...

class CreditOutcome(_message.Message):
    __slots__ = ("credit", "error_code", "error_reason", "error_message", "error_metadata")
    class ErrorMetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CREDIT_FIELD_NUMBER: _ClassVar[int]
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    ERROR_REASON_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    ERROR_METADATA_FIELD_NUMBER: _ClassVar[int]
    credit: TransferCredit
    error_code: int
    error_reason: str
    error_message: str
    error_metadata: _containers.ScalarMap[str, str]
    def __init__(self, credit: _Optional[_Union[TransferCredit, _Mapping]] = ..., error_code: _Optional[int] = ..., error_reason: _Optional[str] = ..., error_message: _Optional[str] = ..., error_metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class GetClearingStatementRequest(_message.Message):
    __slots__ = ("month",)
    MONTH_FIELD_NUMBER: _ClassVar[int]
    month: str
    def __init__(self, month: _Optional[str] = ...) -> None: ...

class GetClearingStatementResponse(_message.Message):
    __slots__ = ("month", "lines")
    MONTH_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    month: str
    lines: _containers.RepeatedCompositeFieldContainer[ClearingLine]
    def __init__(self, month: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[ClearingLine, _Mapping]]] = ...) -> None: ...

class ClearingLine(_message.Message):
    __slots__ = ("province", "owed_to_province", "month_fen", "balance_fen", "own_province", "month_count")
    PROVINCE_FIELD_NUMBER: _ClassVar[int]
    OWED_TO_PROVINCE_FIELD_NUMBER: _ClassVar[int]
    MONTH_FEN_FIELD_NUMBER: _ClassVar[int]
    BALANCE_FEN_FIELD_NUMBER: _ClassVar[int]
    OWN_PROVINCE_FIELD_NUMBER: _ClassVar[int]
    MONTH_COUNT_FIELD_NUMBER: _ClassVar[int]
    province: str
    owed_to_province: bool
    month_fen: int
    balance_fen: int
    own_province: str
    month_count: int
    def __init__(self, province: _Optional[str] = ..., owed_to_province: _Optional[bool] = ..., month_fen: _Optional[int] = ..., balance_fen: _Optional[int] = ..., own_province: _Optional[str] = ..., month_count: _Optional[int] = ...) -> None: ...
