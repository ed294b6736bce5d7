"""Every error the transfer service raises, by name: the catalogue of its
AIP-193 reasons (domain ``transfer.yibao``). A failed R14 gate is one of
these: nothing moved, and the reason says which gate."""

from __future__ import annotations

from datetime import datetime

from services.kernel import errors as kernel
from services.kernel.clock import beijing
from services.kernel.errors import DomainError

# The reasons, as constants (Reason.X == "X"); the constructors below use them.
Reason = kernel.Reasons(
    "Reason",
    """
    SOURCE_REQUIRED RELATION_REQUIRED VERIFICATION_REQUIRED
    AMOUNT_OUT_OF_RANGE TRANSFER_WINDOW_CLOSED PAYEE_IS_PAYER NOT_CLOSE_RELATIVE RELATION_MISMATCH
    PAYER_WALLET_NOT_OPENED PAYEE_WALLET_NOT_OPENED SOURCE_REQUIRES_EMPLOYEE_INSURANCE
    REGION_NOT_ENABLED DAILY_TRANSFER_LIMIT PAYEE_HAS_PENDING_TRANSFER
    TRANSFER_NOT_FOUND TRANSFER_EXPIRED TRANSFER_NOT_PENDING RELATION_LAPSED
    DIRECTION_INVALID MONTH_INVALID PROVINCE_CODE_INVALID CURSOR_INVALID
    """,
)


def _gate(reason: Reason, message: str, **metadata: str) -> DomainError:
    return DomainError(kernel.ErrorKind.FAILED_PRECONDITION, reason, message, metadata)


def source_required() -> DomainError:
    return kernel.invalid_argument(Reason.SOURCE_REQUIRED, "source", "personal account or wallet")


def relation_required() -> DomainError:
    return kernel.invalid_argument(
        Reason.RELATION_REQUIRED, "relation", "how the payee is related to the payer"
    )


def verification_required() -> DomainError:
    return kernel.invalid_argument(
        Reason.VERIFICATION_REQUIRED, "verification", "a password or a face ticket"
    )


def amount_out_of_range(min_fen: int, max_fen: int) -> DomainError:
    message = f"a transfer is {kernel.yuan(min_fen)} to {kernel.yuan(max_fen)}"
    return DomainError(
        kernel.ErrorKind.INVALID_ARGUMENT,
        Reason.AMOUNT_OUT_OF_RANGE,
        message,
        {"min_fen": str(min_fen), "max_fen": str(max_fen)},
        [kernel.FieldViolation("amount_fen", message)],
    )


def window_closed(opens: str, closes: str, next_open: datetime) -> DomainError:
    return _gate(
        Reason.TRANSFER_WINDOW_CLOSED,
        f"transfers are accepted from {opens} to {closes} Beijing time",
        next_open_time=beijing(next_open).isoformat(),  # with +08:00, as the message speaks Beijing time
    )


def payee_is_payer() -> DomainError:
    return DomainError(
        kernel.ErrorKind.INVALID_ARGUMENT, Reason.PAYEE_IS_PAYER, "a transfer goes to someone else"
    )


def not_close_relative() -> DomainError:
    return _gate(Reason.NOT_CLOSE_RELATIVE, "the payee is not an attested close relative of the payer")


def relation_mismatch(attested: str) -> DomainError:
    return _gate(Reason.RELATION_MISMATCH, "the declared relation is not the attested one", attested=attested)


def payer_wallet_not_opened() -> DomainError:
    return _gate(Reason.PAYER_WALLET_NOT_OPENED, "open your own wallet before transferring")


def payee_wallet_not_opened() -> DomainError:
    return _gate(Reason.PAYEE_WALLET_NOT_OPENED, "the payee has not opened a wallet (未开立)")


def source_requires_employee_insurance() -> DomainError:
    return _gate(
        Reason.SOURCE_REQUIRES_EMPLOYEE_INSURANCE,
        "only employee-insured persons transfer from a personal account",
    )


def region_not_enabled(code: str, role: str) -> DomainError:
    return _gate(Reason.REGION_NOT_ENABLED, f"the wallet is not enabled in {code}", region=code, role=role)


def daily_limit(per_day: int) -> DomainError:
    return _gate(Reason.DAILY_TRANSFER_LIMIT, f"at most {per_day} transfers a day", limit=str(per_day))


def payee_has_pending_transfer() -> DomainError:
    return _gate(
        Reason.PAYEE_HAS_PENDING_TRANSFER, "a transfer to this payee is still waiting to be received"
    )


def transfer_not_found(transfer_id: str) -> DomainError:
    return kernel.not_found(Reason.TRANSFER_NOT_FOUND, "no such transfer", transfer_id=transfer_id)


def transfer_expired(transfer_id: str) -> DomainError:
    return _gate(
        Reason.TRANSFER_EXPIRED, "the transfer expired and is being refunded", transfer_id=transfer_id
    )


def relation_lapsed(transfer_id: str) -> DomainError:
    return _gate(
        Reason.RELATION_LAPSED,
        "payer and payee are no longer close relatives: the transfer is refunded",
        transfer_id=transfer_id,
    )


def transfer_not_pending(transfer_id: str, status: str) -> DomainError:
    return _gate(
        Reason.TRANSFER_NOT_PENDING, f"the transfer is {status}", transfer_id=transfer_id, status=status
    )


def direction_invalid() -> DomainError:
    return kernel.invalid_argument(
        Reason.DIRECTION_INVALID, "incoming_only", "outgoing_only and incoming_only exclude each other"
    )


def month_invalid() -> DomainError:
    return kernel.invalid_argument(Reason.MONTH_INVALID, "month", "a month is YYYY-MM")


def province_code_invalid() -> DomainError:
    return kernel.invalid_argument(Reason.PROVINCE_CODE_INVALID, "province", "a province code ends in 0000")


def cursor_invalid() -> DomainError:
    return kernel.invalid_argument(
        Reason.CURSOR_INVALID, "after_sequence", "a sequence number is not negative"
    )
