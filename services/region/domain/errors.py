"""Every error the region service raises, by name: the catalogue of its
AIP-193 reasons (domain ``region.yibao``)."""

from __future__ import annotations

from services.kernel import errors as kernel
from services.kernel.errors import DomainError

# The reasons, as constants (Reason.X == "X"); the constructors below use them.
Reason = kernel.Reasons(
    "Reason",
    """
    CODES_REQUIRED TOO_MANY_CODES REGION_NOT_FOUND ACTION_REQUIRED EFFECTIVE_FROM_IN_PAST
    CHANGE_NOT_FOUND CHANGE_ALREADY_CANCELLED CHANGE_ALREADY_EFFECTIVE INSTITUTION_CODE_INVALID
    INSTITUTION_KIND_MISMATCH INSTITUTION_ALREADY_EXISTS INSTITUTION_NOT_FOUND UPDATE_MASK_INVALID
    """,
)


def codes_required() -> DomainError:
    return kernel.invalid_argument(Reason.CODES_REQUIRED, "codes", "give at least one region code")


def too_many_codes(limit: int) -> DomainError:
    return kernel.invalid_argument(Reason.TOO_MANY_CODES, "codes", f"at most {limit} codes per call")


def region_not_found(code: str) -> DomainError:
    return kernel.not_found(Reason.REGION_NOT_FOUND, f"no region {code}", code=code)


def action_required() -> DomainError:
    return kernel.invalid_argument(
        Reason.ACTION_REQUIRED, "action", "say whether to enable, disable or inherit"
    )


def effective_from_in_past() -> DomainError:
    return kernel.invalid_argument(
        Reason.EFFECTIVE_FROM_IN_PAST, "effective_from", "a setting cannot be backdated"
    )


def change_not_found(change_id: int) -> DomainError:
    return kernel.not_found(
        Reason.CHANGE_NOT_FOUND, f"no enablement change {change_id}", change_id=str(change_id)
    )


def change_already_cancelled(change_id: int) -> DomainError:
    return kernel.failed_precondition(
        Reason.CHANGE_ALREADY_CANCELLED, "this change was already cancelled", change_id=str(change_id)
    )


def change_already_effective(change_id: int) -> DomainError:
    return kernel.failed_precondition(
        Reason.CHANGE_ALREADY_EFFECTIVE,
        "this change has taken effect: record a new one instead",
        change_id=str(change_id),
    )


def institution_code_invalid(field_path: str) -> DomainError:
    return kernel.invalid_argument(
        Reason.INSTITUTION_CODE_INVALID, field_path, "an institution code is H or P followed by 11 digits"
    )


def institution_kind_mismatch(letter: str, expected: str) -> DomainError:
    return kernel.invalid_argument(
        Reason.INSTITUTION_KIND_MISMATCH, "institution.kind", f"a code starting {letter} is a {expected}"
    )


def institution_exists(code: str) -> DomainError:
    return kernel.already_exists(Reason.INSTITUTION_ALREADY_EXISTS, f"institution {code} exists", code=code)


def institution_not_found(code: str) -> DomainError:
    return kernel.not_found(Reason.INSTITUTION_NOT_FOUND, f"no institution {code}", code=code)


def update_mask_invalid(unknown: list[str]) -> DomainError:
    return kernel.invalid_argument(Reason.UPDATE_MASK_INVALID, "update_mask", f"cannot update {unknown}")
