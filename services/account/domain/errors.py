"""Every error the account service raises, by name: the catalogue of its
AIP-193 reasons (domain ``account.yibao``)."""

from __future__ import annotations

from services.kernel import errors as kernel
from services.kernel.errors import DomainError

# The reasons, as constants (Reason.X == "X"); the constructors below use them.
Reason = kernel.Reasons(
    "Reason",
    """
    ID_NUMBER_INVALID ID_NUMBER_CHECK_DIGIT MOBILE_INVALID INSURANCE_TYPE_REQUIRED PERSON_NOT_FOUND
    PERSON_ALREADY_REGISTERED PAYEE_NOT_FOUND PAYEE_MATCH_LOCKED NAME_MISMATCH INSURANCE_ENDED
    RELATION_KIND_REQUIRED RELATION_TO_SELF RELATION_EXISTS RELATION_LAPSED REGION_UNKNOWN REGION_NOT_ENABLED
    WALLET_NOT_OPENED WALLET_ALREADY_OPENED TIME_RANGE_INVALID
    PASSWORD_FORMAT PASSWORD_TOO_WEAK PASSWORD_NOT_SET CURRENT_PASSWORD_REQUIRED PURPOSE_REQUIRED
    VERIFICATION_REQUIRED VERIFICATION_FAILED VERIFICATION_LOCKED
    PERIOD_INVALID AMOUNT_NOT_POSITIVE AMOUNT_TOO_LARGE INSUFFICIENT_FUNDS NO_PERSONAL_ACCOUNT SOURCE_INVALID
    SOURCE_ACCOUNT_MISSING HOLD_NOT_FOUND TOO_MANY_IDS HOLD_ALREADY_RECEIVED HOLD_ALREADY_REFUNDED
    INSTITUTION_NOT_ACCEPTING_WALLET WALLET_NOT_USABLE_HERE ORDER_ALREADY_PAID
    PAYMENT_NOT_FOUND REFUND_EXCEEDS_PAYMENT CONTRIBUTION_KIND_REQUIRED CONTRIBUTION_NOT_ALLOWED
    CONTRIBUTION_ALREADY_PAID YEAR_INVALID BILL_NOT_ISSUED BILL_ALREADY_ISSUED
    PROVINCE_INVALID MONTH_INVALID PERSON_KEPT_HERE TRANSFERS_PENDING ID_HASH_INVALID
    """,
)


# Why a verification failed: ErrorInfo metadata "cause" of VERIFICATION_FAILED.
Cause = kernel.Reasons(
    "Cause",
    """
    WRONG_PASSWORD TICKET_INVALID TICKET_OTHER_PERSON TICKET_OTHER_PURPOSE TICKET_TOO_LONG_LIVED
    TICKET_EXPIRED TICKET_REPLAYED
    """,
)


# --- persons and relations
def id_number_invalid(field_path: str, description: str) -> DomainError:
    return kernel.invalid_argument(Reason.ID_NUMBER_INVALID, field_path, description)


def id_number_check_digit(field_path: str) -> DomainError:
    return kernel.invalid_argument(
        Reason.ID_NUMBER_CHECK_DIGIT, field_path, "the ID number's check digit is wrong"
    )


def mobile_invalid(field_path: str) -> DomainError:
    return kernel.invalid_argument(
        Reason.MOBILE_INVALID, field_path, "a mainland mobile number is 11 digits starting 13-19"
    )


def insurance_type_required() -> DomainError:
    return kernel.invalid_argument(Reason.INSURANCE_TYPE_REQUIRED, "insurance_type", "employee or resident")


def person_not_found(person_id: str = "") -> DomainError:
    metadata = {"person_id": person_id} if person_id else {}
    return kernel.not_found(Reason.PERSON_NOT_FOUND, "no such person", **metadata)


def person_already_registered() -> DomainError:
    return kernel.already_exists(
        Reason.PERSON_ALREADY_REGISTERED, "a person with this ID number is registered"
    )


def payee_not_found() -> DomainError:
    """One answer for "no such ID number" and "the name does not match" (R14)."""
    return kernel.not_found(Reason.PAYEE_NOT_FOUND, "no insured person has this name and ID number")


def payee_match_locked(locked_until: str) -> DomainError:
    return kernel.failed_precondition(
        Reason.PAYEE_MATCH_LOCKED,
        "too many payees did not match today: locked until 00:00 Beijing time",
        locked_until=locked_until,
    )


def name_mismatch() -> DomainError:
    return kernel.failed_precondition(Reason.NAME_MISMATCH, "the name does not match the ID number")


def insurance_ended(person_id: str) -> DomainError:
    return kernel.failed_precondition(
        Reason.INSURANCE_ENDED, "the person's insurance has ended", person_id=person_id
    )


def relation_kind_required() -> DomainError:
    return kernel.invalid_argument(
        Reason.RELATION_KIND_REQUIRED,
        "kind",
        "one of spouse, parent, child, sibling, grandparent, grandchild",
    )


def person_kept_here(person_id: str) -> DomainError:
    """R24: a call for persons kept in other shards named one kept in this one."""
    return kernel.failed_precondition(
        Reason.PERSON_KEPT_HERE,
        "this person is kept in this shard: their relations change only through their own insurance here",
        person_id=person_id,
    )


def transfers_pending(person_id: str) -> DomainError:
    """R24: a person with transfers of their own still pending does not move yet."""
    return kernel.failed_precondition(
        Reason.TRANSFERS_PENDING,
        "the person has transfers pending: they move once those are received or refunded",
        person_id=person_id,
    )


def id_hash_invalid(field_path: str) -> DomainError:
    return kernel.invalid_argument(Reason.ID_HASH_INVALID, field_path, "64 lowercase hex digits")


def relation_to_self() -> DomainError:
    return kernel.invalid_argument(
        Reason.RELATION_TO_SELF, "relative_id", "a person is not their own relative"
    )


def relation_exists(kind: str) -> DomainError:
    return kernel.already_exists(
        Reason.RELATION_EXISTS, "these persons are already related otherwise", kind=kind
    )


def relation_lapsed(transfer_id: str) -> DomainError:
    return kernel.failed_precondition(
        Reason.RELATION_LAPSED,
        "payer and payee are no longer close relatives: the transfer can only be refunded",
        transfer_id=transfer_id,
    )


def region_unknown(region: str, field_path: str) -> DomainError:
    return kernel.invalid_argument(
        Reason.REGION_UNKNOWN, field_path, f"{region} names no region", region=region
    )


def region_not_enabled(region: str) -> DomainError:
    return kernel.failed_precondition(
        Reason.REGION_NOT_ENABLED, f"the wallet is not enabled in {region}", region=region
    )


# --- wallets
def wallet_not_opened(person_id: str) -> DomainError:
    return kernel.not_found(Reason.WALLET_NOT_OPENED, "the wallet has not been opened", person_id=person_id)


def wallet_already_opened() -> DomainError:
    return kernel.already_exists(
        Reason.WALLET_ALREADY_OPENED, "the wallet is open with other settings: change them instead"
    )


def time_range_invalid() -> DomainError:
    return kernel.invalid_argument(Reason.TIME_RANGE_INVALID, "end_time", "end_time must be after start_time")


# --- credentials
def password_format(field_path: str) -> DomainError:
    return kernel.invalid_argument(Reason.PASSWORD_FORMAT, field_path, "the password is 6 digits")


def password_too_weak(field_path: str) -> DomainError:
    return kernel.invalid_argument(
        Reason.PASSWORD_TOO_WEAK, field_path, "repeated or consecutive digits are too easy to guess"
    )


def password_not_set(person_id: str) -> DomainError:
    return kernel.failed_precondition(
        Reason.PASSWORD_NOT_SET, "no password has been set", person_id=person_id
    )


def current_password_required() -> DomainError:
    return kernel.invalid_argument(
        Reason.CURRENT_PASSWORD_REQUIRED, "current_password", "give the current password to change it"
    )


def purpose_required() -> DomainError:
    return kernel.invalid_argument(Reason.PURPOSE_REQUIRED, "purpose", "transfer or payment")


def verification_required() -> DomainError:
    return kernel.invalid_argument(
        Reason.VERIFICATION_REQUIRED, "verification", "give a password or a face ticket"
    )


def verification_failed(cause: Cause, message: str, **metadata: str) -> DomainError:
    return DomainError(
        kernel.ErrorKind.FAILED_PRECONDITION,
        Reason.VERIFICATION_FAILED,
        message,
        {"cause": str(cause), **metadata},
    )


def verification_locked(locked_until: str) -> DomainError:
    return kernel.failed_precondition(
        Reason.VERIFICATION_LOCKED,
        "too many wrong passwords: locked until 00:00 Beijing time",
        locked_until=locked_until,
    )


# --- money
def amount_not_positive(field_path: str) -> DomainError:
    return kernel.invalid_argument(
        Reason.AMOUNT_NOT_POSITIVE, field_path, "an amount is a positive number of fen"
    )


def amount_too_large(field_path: str, ceiling: int) -> DomainError:
    return kernel.invalid_argument(
        Reason.AMOUNT_TOO_LARGE, field_path, f"at most {kernel.yuan(ceiling)}", max_amount_fen=str(ceiling)
    )


def period_invalid() -> DomainError:
    return kernel.invalid_argument(
        Reason.PERIOD_INVALID, "period", "the month funded, YYYY-MM, not a month still to come"
    )


def insufficient_funds(account: str) -> DomainError:
    return kernel.failed_precondition(
        Reason.INSUFFICIENT_FUNDS, "the account does not hold enough money", account=account
    )


def no_personal_account() -> DomainError:
    return kernel.failed_precondition(
        Reason.NO_PERSONAL_ACCOUNT, "only employee-insured persons have a personal account"
    )


def source_invalid() -> DomainError:
    return kernel.invalid_argument(
        Reason.SOURCE_INVALID, "source", "the source is the personal account or the wallet"
    )


def source_account_missing(source: str) -> DomainError:
    return kernel.failed_precondition(
        Reason.SOURCE_ACCOUNT_MISSING, f"the payer has no {source} account", source=source
    )


def hold_not_found(transfer_id: str) -> DomainError:
    return kernel.not_found(
        Reason.HOLD_NOT_FOUND, "no money is held for this transfer", transfer_id=transfer_id
    )


def too_many_requests(limit: int) -> DomainError:
    return kernel.invalid_argument(Reason.TOO_MANY_IDS, "requests", f"at most {limit} requests per call")


def too_many_ids(limit: int) -> DomainError:
    return kernel.invalid_argument(
        Reason.TOO_MANY_IDS, "transfer_ids", f"at most {limit} transfer ids per call"
    )


def hold_already_ended(state: str, transfer_id: str) -> DomainError:
    reason = Reason.HOLD_ALREADY_RECEIVED if state == "received" else Reason.HOLD_ALREADY_REFUNDED
    return kernel.failed_precondition(reason, f"the held money was already {state}", transfer_id=transfer_id)


def institution_not_accepting_wallet() -> DomainError:
    return kernel.failed_precondition(
        Reason.INSTITUTION_NOT_ACCEPTING_WALLET, "this institution does not accept wallet payment"
    )


def wallet_not_usable_here() -> DomainError:
    """One answer for "no such patient" and "the wallet is used elsewhere",
    naming no region: an institution learns nothing about other people (R11)."""
    return kernel.failed_precondition(
        Reason.WALLET_NOT_USABLE_HERE,
        "this person has no wallet that pays at this institution's place of use",
    )


def order_already_paid() -> DomainError:
    return kernel.already_exists(Reason.ORDER_ALREADY_PAID, "this order number was paid with other details")


def payment_not_found(order_number: str) -> DomainError:
    return kernel.not_found(Reason.PAYMENT_NOT_FOUND, "no such payment", order_number=order_number)


def refund_exceeds_payment(refundable: int) -> DomainError:
    return kernel.failed_precondition(
        Reason.REFUND_EXCEEDS_PAYMENT,
        "a refund cannot exceed what is left of the payment",
        refundable_fen=str(refundable),
    )


def contribution_kind_required() -> DomainError:
    return kernel.invalid_argument(
        Reason.CONTRIBUTION_KIND_REQUIRED, "kind", "resident insurance or long-term care"
    )


def contribution_not_allowed(message: str) -> DomainError:
    return kernel.failed_precondition(Reason.CONTRIBUTION_NOT_ALLOWED, message)


def contribution_already_paid() -> DomainError:
    return kernel.failed_precondition(
        Reason.CONTRIBUTION_ALREADY_PAID, "this contribution is paid for the year"
    )


def bill_not_issued() -> DomainError:
    return kernel.failed_precondition(
        Reason.BILL_NOT_ISSUED, "the provincial platform has issued no such contribution bill"
    )


def bill_already_issued(amount: int) -> DomainError:
    return kernel.already_exists(
        Reason.BILL_ALREADY_ISSUED, "this bill is issued with another amount", amount_fen=str(amount)
    )


def year_invalid() -> DomainError:
    return kernel.invalid_argument(Reason.YEAR_INVALID, "year", "a calendar year")


# --- provinces as shards (R24)
def province_invalid(field_path: str) -> DomainError:
    return kernel.invalid_argument(
        Reason.PROVINCE_INVALID, field_path, "a province code: 6 digits ending 0000"
    )


def month_invalid() -> DomainError:
    return kernel.invalid_argument(Reason.MONTH_INVALID, "month", "a Beijing calendar month, YYYY-MM")
