"""Every error the account service raises, by name: the catalogue of its
AIP-193 reasons (domain ``account.yibao``)."""

from __future__ import annotations

from enum import auto

from services.kernel.errors import (
    DomainError,
    ErrorKind,
    Reasons,
    already_exists,
    failed_precondition,
    invalid_argument,
    not_found,
)


class Reason(Reasons):
    # persons, relations (R5, R8)
    ID_NUMBER_INVALID = auto()
    ID_NUMBER_CHECK_DIGIT = auto()
    MOBILE_INVALID = auto()
    INSURANCE_TYPE_REQUIRED = auto()
    PERSON_NOT_FOUND = auto()
    PERSON_ALREADY_REGISTERED = auto()
    PAYEE_NOT_FOUND = auto()
    PAYEE_NAME_MISMATCH = auto()
    NAME_MISMATCH = auto()
    INSURANCE_ENDED = auto()
    RELATION_KIND_REQUIRED = auto()
    RELATION_TO_SELF = auto()
    RELATION_EXISTS = auto()
    REGION_UNKNOWN = auto()
    REGION_NOT_ENABLED = auto()
    # wallets (R7, R12)
    WALLET_NOT_OPENED = auto()
    WALLET_ALREADY_OPENED = auto()
    TIME_RANGE_INVALID = auto()
    # credentials (R9)
    PASSWORD_FORMAT = auto()
    PASSWORD_TOO_WEAK = auto()
    PASSWORD_NOT_SET = auto()
    CURRENT_PASSWORD_REQUIRED = auto()
    PURPOSE_REQUIRED = auto()
    VERIFICATION_REQUIRED = auto()
    VERIFICATION_FAILED = auto()
    VERIFICATION_LOCKED = auto()
    # money (R6, R10, R11, R12a, R15)
    AMOUNT_NOT_POSITIVE = auto()
    AMOUNT_TOO_LARGE = auto()
    INSUFFICIENT_FUNDS = auto()
    NO_PERSONAL_ACCOUNT = auto()
    SOURCE_INVALID = auto()
    SOURCE_ACCOUNT_MISSING = auto()
    HOLD_NOT_FOUND = auto()
    HOLD_ALREADY_RECEIVED = auto()
    HOLD_ALREADY_REFUNDED = auto()
    INSTITUTION_NOT_ACCEPTING_WALLET = auto()
    INSTITUTION_OUTSIDE_INSURED_REGION = auto()
    ORDER_ALREADY_PAID = auto()
    PAYMENT_NOT_FOUND = auto()
    REFUND_EXCEEDS_PAYMENT = auto()
    CONTRIBUTION_KIND_REQUIRED = auto()
    CONTRIBUTION_NOT_ALLOWED = auto()
    CONTRIBUTION_ALREADY_PAID = auto()
    YEAR_INVALID = auto()


# Why a verification failed: ErrorInfo metadata "cause" of VERIFICATION_FAILED.
class Cause(Reasons):
    WRONG_PASSWORD = auto()
    TICKET_INVALID = auto()
    TICKET_OTHER_PERSON = auto()
    TICKET_OTHER_PURPOSE = auto()
    TICKET_TOO_LONG_LIVED = auto()
    TICKET_EXPIRED = auto()
    TICKET_REPLAYED = auto()


# --- persons and relations
def id_number_invalid(field_path: str, description: str) -> DomainError:
    return invalid_argument(Reason.ID_NUMBER_INVALID, field_path, description)


def id_number_check_digit(field_path: str) -> DomainError:
    return invalid_argument(Reason.ID_NUMBER_CHECK_DIGIT, field_path, "the ID number's check digit is wrong")


def mobile_invalid(field_path: str) -> DomainError:
    return invalid_argument(
        Reason.MOBILE_INVALID, field_path, "a mainland mobile number is 11 digits starting 13-19"
    )


def insurance_type_required() -> DomainError:
    return invalid_argument(Reason.INSURANCE_TYPE_REQUIRED, "insurance_type", "employee or resident")


def person_not_found(person_id: str = "") -> DomainError:
    metadata = {"person_id": person_id} if person_id else {}
    return not_found(Reason.PERSON_NOT_FOUND, "no such person", **metadata)


def person_already_registered() -> DomainError:
    return already_exists(Reason.PERSON_ALREADY_REGISTERED, "a person with this ID number is registered")


def payee_not_found() -> DomainError:
    return not_found(Reason.PAYEE_NOT_FOUND, "no insured person has this ID number")


def payee_name_mismatch() -> DomainError:
    return failed_precondition(Reason.PAYEE_NAME_MISMATCH, "the payee's name does not match the ID number")


def name_mismatch() -> DomainError:
    return failed_precondition(Reason.NAME_MISMATCH, "the name does not match the ID number")


def insurance_ended(person_id: str) -> DomainError:
    return failed_precondition(
        Reason.INSURANCE_ENDED, "the person's insurance has ended", person_id=person_id
    )


def relation_kind_required() -> DomainError:
    return invalid_argument(
        Reason.RELATION_KIND_REQUIRED,
        "kind",
        "one of spouse, parent, child, sibling, grandparent, grandchild",
    )


def relation_to_self() -> DomainError:
    return invalid_argument(Reason.RELATION_TO_SELF, "relative_id", "a person is not their own relative")


def relation_exists(kind: str) -> DomainError:
    return already_exists(Reason.RELATION_EXISTS, "these persons are already related otherwise", kind=kind)


def region_unknown(region: str, field_path: str) -> DomainError:
    return invalid_argument(Reason.REGION_UNKNOWN, field_path, f"{region} names no region", region=region)


def region_not_enabled(region: str) -> DomainError:
    return failed_precondition(
        Reason.REGION_NOT_ENABLED, f"the wallet is not enabled in {region}", region=region
    )


# --- wallets
def wallet_not_opened(person_id: str) -> DomainError:
    return not_found(Reason.WALLET_NOT_OPENED, "the wallet has not been opened", person_id=person_id)


def wallet_already_opened() -> DomainError:
    return already_exists(
        Reason.WALLET_ALREADY_OPENED, "the wallet is open with other settings: change them instead"
    )


def time_range_invalid() -> DomainError:
    return invalid_argument(Reason.TIME_RANGE_INVALID, "end_time", "end_time must be after start_time")


# --- credentials
def password_format(field_path: str) -> DomainError:
    return invalid_argument(Reason.PASSWORD_FORMAT, field_path, "the password is 6 digits")


def password_too_weak(field_path: str) -> DomainError:
    return invalid_argument(
        Reason.PASSWORD_TOO_WEAK, field_path, "repeated or consecutive digits are too easy to guess"
    )


def password_not_set(person_id: str) -> DomainError:
    return failed_precondition(Reason.PASSWORD_NOT_SET, "no password has been set", person_id=person_id)


def current_password_required() -> DomainError:
    return invalid_argument(
        Reason.CURRENT_PASSWORD_REQUIRED, "current_password", "give the current password to change it"
    )


def purpose_required() -> DomainError:
    return invalid_argument(Reason.PURPOSE_REQUIRED, "purpose", "transfer or payment")


def verification_required() -> DomainError:
    return invalid_argument(Reason.VERIFICATION_REQUIRED, "verification", "give a password or a face ticket")


def verification_failed(cause: Cause, message: str, **metadata: str) -> DomainError:
    return DomainError(
        ErrorKind.FAILED_PRECONDITION, Reason.VERIFICATION_FAILED, message, {"cause": str(cause), **metadata}
    )


def verification_locked(locked_until: str) -> DomainError:
    return failed_precondition(
        Reason.VERIFICATION_LOCKED,
        "too many wrong passwords: locked until 00:00 Beijing time",
        locked_until=locked_until,
    )


# --- money
def amount_not_positive(field_path: str) -> DomainError:
    return invalid_argument(Reason.AMOUNT_NOT_POSITIVE, field_path, "an amount is a positive number of fen")


def amount_too_large(field_path: str) -> DomainError:
    return invalid_argument(Reason.AMOUNT_TOO_LARGE, field_path, "the amount is out of range")


def insufficient_funds(account: str) -> DomainError:
    return failed_precondition(
        Reason.INSUFFICIENT_FUNDS, "the account does not hold enough money", account=account
    )


def no_personal_account() -> DomainError:
    return failed_precondition(
        Reason.NO_PERSONAL_ACCOUNT, "only employee-insured persons have a personal account"
    )


def source_invalid() -> DomainError:
    return invalid_argument(
        Reason.SOURCE_INVALID, "source", "the source is the personal account or the wallet"
    )


def source_account_missing(source: str) -> DomainError:
    return failed_precondition(
        Reason.SOURCE_ACCOUNT_MISSING, f"the payer has no {source} account", source=source
    )


def hold_not_found(transfer_id: str) -> DomainError:
    return not_found(Reason.HOLD_NOT_FOUND, "no money is held for this transfer", transfer_id=transfer_id)


def hold_already_ended(state: str, transfer_id: str) -> DomainError:
    reason = Reason.HOLD_ALREADY_RECEIVED if state == "received" else Reason.HOLD_ALREADY_REFUNDED
    return failed_precondition(reason, f"the held money was already {state}", transfer_id=transfer_id)


def institution_not_accepting_wallet() -> DomainError:
    return failed_precondition(
        Reason.INSTITUTION_NOT_ACCEPTING_WALLET, "this institution does not accept wallet payment"
    )


def institution_outside_insured_region(insured_region: str) -> DomainError:
    return failed_precondition(
        Reason.INSTITUTION_OUTSIDE_INSURED_REGION,
        "the wallet pays only at institutions where the patient is insured",
        insured_region=insured_region,
    )


def order_already_paid() -> DomainError:
    return already_exists(Reason.ORDER_ALREADY_PAID, "this order number was paid with other details")


def payment_not_found(order_number: str) -> DomainError:
    return not_found(Reason.PAYMENT_NOT_FOUND, "no such payment", order_number=order_number)


def refund_exceeds_payment(refundable: int) -> DomainError:
    return failed_precondition(
        Reason.REFUND_EXCEEDS_PAYMENT,
        "a refund cannot exceed what is left of the payment",
        refundable_fen=str(refundable),
    )


def contribution_kind_required() -> DomainError:
    return invalid_argument(Reason.CONTRIBUTION_KIND_REQUIRED, "kind", "resident insurance or long-term care")


def contribution_not_allowed(message: str) -> DomainError:
    return failed_precondition(Reason.CONTRIBUTION_NOT_ALLOWED, message)


def contribution_already_paid() -> DomainError:
    return failed_precondition(Reason.CONTRIBUTION_ALREADY_PAID, "this contribution is paid for the year")


def year_invalid() -> DomainError:
    return invalid_argument(Reason.YEAR_INVALID, "year", "a calendar year")
