"""Every error the region service raises, by name: the catalogue of its
AIP-193 reasons (domain ``region.yibao``)."""

from __future__ import annotations

from enum import auto

from services.kernel.errors import (
    DomainError,
    Reasons,
    already_exists,
    failed_precondition,
    invalid_argument,
    not_found,
)


class Reason(Reasons):
    CODES_REQUIRED = auto()
    TOO_MANY_CODES = auto()
    REGION_NOT_FOUND = auto()
    ACTION_REQUIRED = auto()
    EFFECTIVE_FROM_IN_PAST = auto()
    CHANGE_NOT_FOUND = auto()
    CHANGE_ALREADY_CANCELLED = auto()
    CHANGE_ALREADY_EFFECTIVE = auto()
    INSTITUTION_CODE_INVALID = auto()
    INSTITUTION_KIND_MISMATCH = auto()
    INSTITUTION_ALREADY_EXISTS = auto()
    INSTITUTION_NOT_FOUND = auto()
    UPDATE_MASK_INVALID = auto()


def codes_required() -> DomainError:
    return invalid_argument(Reason.CODES_REQUIRED, "codes", "give at least one region code")


def too_many_codes(limit: int) -> DomainError:
    return invalid_argument(Reason.TOO_MANY_CODES, "codes", f"at most {limit} codes per call")


def region_not_found(code: str) -> DomainError:
    return not_found(Reason.REGION_NOT_FOUND, f"no region {code}", code=code)


def action_required() -> DomainError:
    return invalid_argument(Reason.ACTION_REQUIRED, "action", "say whether to enable, disable or inherit")


def effective_from_in_past() -> DomainError:
    return invalid_argument(Reason.EFFECTIVE_FROM_IN_PAST, "effective_from", "a setting cannot be backdated")


def change_not_found(change_id: int) -> DomainError:
    return not_found(Reason.CHANGE_NOT_FOUND, f"no enablement change {change_id}", change_id=str(change_id))


def change_already_cancelled(change_id: int) -> DomainError:
    return failed_precondition(
        Reason.CHANGE_ALREADY_CANCELLED, "this change was already cancelled", change_id=str(change_id)
    )


def change_already_effective(change_id: int) -> DomainError:
    return failed_precondition(
        Reason.CHANGE_ALREADY_EFFECTIVE,
        "this change has taken effect: record a new one instead",
        change_id=str(change_id),
    )


def institution_code_invalid(field_path: str) -> DomainError:
    return invalid_argument(
        Reason.INSTITUTION_CODE_INVALID, field_path, "an institution code is H or P followed by 11 digits"
    )


def institution_kind_mismatch(letter: str, expected: str) -> DomainError:
    return invalid_argument(
        Reason.INSTITUTION_KIND_MISMATCH, "institution.kind", f"a code starting {letter} is a {expected}"
    )


def institution_exists(code: str) -> DomainError:
    return already_exists(Reason.INSTITUTION_ALREADY_EXISTS, f"institution {code} exists", code=code)


def institution_not_found(code: str) -> DomainError:
    return not_found(Reason.INSTITUTION_NOT_FOUND, f"no institution {code}", code=code)


def update_mask_invalid(unknown: list[str]) -> DomainError:
    return invalid_argument(Reason.UPDATE_MASK_INVALID, "update_mask", f"cannot update {unknown}")
