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
    PLATFORM_APP_ID_INVALID PLATFORM_PROVINCE_INVALID PLATFORM_PUBLIC_KEY_INVALID PLATFORM_KEY_ID_INVALID
    PLATFORM_PROVINCE_MISMATCH PLATFORM_KEY_LIMIT PLATFORM_KEY_REVOKED PLATFORM_KEY_ALREADY_EXISTS
    PLATFORM_KEY_NOT_FOUND NONCE_INVALID NONCE_TIMESTAMP_OUT_OF_WINDOW NONCE_REPLAYED
    SHARD_NAME_INVALID SHARD_TARGET_INVALID SHARD_PROVINCE_INVALID SHARD_PROVINCES_REQUIRED
    PROVINCE_OWNED_BY_SHARD
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


def platform_app_id_invalid(field_path: str) -> DomainError:
    return kernel.invalid_argument(
        Reason.PLATFORM_APP_ID_INVALID, field_path, "an app_id is 3 to 64 characters of A-Z a-z 0-9 . _ -"
    )


def platform_province_invalid(field_path: str) -> DomainError:
    return kernel.invalid_argument(
        Reason.PLATFORM_PROVINCE_INVALID, field_path, "a platform acts for a province: a code ending 0000"
    )


def platform_public_key_invalid(field_path: str, why: str) -> DomainError:
    return kernel.invalid_argument(
        Reason.PLATFORM_PUBLIC_KEY_INVALID,
        field_path,
        f"an SM2 public key is 04 followed by 128 hex digits, a point on the curve ({why})",
    )


def platform_key_id_invalid(field_path: str) -> DomainError:
    return kernel.invalid_argument(
        Reason.PLATFORM_KEY_ID_INVALID, field_path, "a key id is 16 lowercase hex digits"
    )


def platform_province_mismatch(app_id: str, province: str) -> DomainError:
    return kernel.failed_precondition(
        Reason.PLATFORM_PROVINCE_MISMATCH,
        f"app_id {app_id} belongs to province {province}",
        app_id=app_id,
        province=province,
    )


def platform_key_limit(app_id: str, limit: int) -> DomainError:
    return kernel.failed_precondition(
        Reason.PLATFORM_KEY_LIMIT,
        f"at most {limit} active keys per platform: revoke one first",
        app_id=app_id,
        limit=str(limit),
    )


def platform_key_revoked(app_id: str, key_id: str) -> DomainError:
    return kernel.failed_precondition(
        Reason.PLATFORM_KEY_REVOKED,
        "this key was revoked: a revoked key is not registered again",
        app_id=app_id,
        key_id=key_id,
    )


def platform_key_exists(key_id: str) -> DomainError:
    return kernel.already_exists(
        Reason.PLATFORM_KEY_ALREADY_EXISTS, "this public key is registered for another app_id", key_id=key_id
    )


def platform_key_not_found(app_id: str, key_id: str) -> DomainError:
    return kernel.not_found(
        Reason.PLATFORM_KEY_NOT_FOUND, f"no key {key_id} of app_id {app_id}", app_id=app_id, key_id=key_id
    )


def nonce_invalid() -> DomainError:
    return kernel.invalid_argument(
        Reason.NONCE_INVALID, "nonce", "a nonce is 16 to 64 characters of A-Z a-z 0-9 _ -"
    )


def nonce_timestamp_out_of_window(minutes: int) -> DomainError:
    return kernel.invalid_argument(
        Reason.NONCE_TIMESTAMP_OUT_OF_WINDOW,
        "timestamp",
        f"the envelope's timestamp must be within {minutes} minutes of now",
        minutes=str(minutes),
    )


def nonce_replayed(app_id: str) -> DomainError:
    return kernel.already_exists(
        Reason.NONCE_REPLAYED, "this nonce was already used: a request is accepted once", app_id=app_id
    )


# --- account shards (R24)
def shard_name_invalid(field_path: str) -> DomainError:
    return kernel.invalid_argument(
        Reason.SHARD_NAME_INVALID,
        field_path,
        "1 to 32 characters of a-z, 0-9 and '-', starting with a letter",
    )


def shard_target_invalid(field_path: str) -> DomainError:
    return kernel.invalid_argument(
        Reason.SHARD_TARGET_INVALID, field_path, "host:port of the shard's account service"
    )


def shard_province_invalid(field_path: str) -> DomainError:
    return kernel.invalid_argument(
        Reason.SHARD_PROVINCE_INVALID, field_path, "a shard owns provinces: codes ending 0000"
    )


def shard_provinces_required(name: str) -> DomainError:
    return kernel.invalid_argument(
        Reason.SHARD_PROVINCES_REQUIRED,
        "account_shard.provinces",
        f"a new shard ({name}) owns at least one province",
    )


def province_owned_by_shard(province: str, shard: str) -> DomainError:
    return kernel.failed_precondition(
        Reason.PROVINCE_OWNED_BY_SHARD,
        f"province {province} is owned by shard {shard}: a province stays with its shard",
        province=province,
        shard=shard,
    )
