"""Every error the national person index raises, by name: the catalogue of
its AIP-193 reasons (domain ``index.yibao``). No message echoes what the
caller sent: a malformed hash could be anything, an ID number too."""

from __future__ import annotations

from services.kernel import errors as kernel
from services.kernel.errors import DomainError

# The reasons, as constants (Reason.X == "X"); the constructors below use them.
Reason = kernel.Reasons(
    "Reason",
    """
    ID_HASH_INVALID PERSON_ID_INVALID PROVINCE_INVALID TOO_MANY_PERSON_IDS
    IDENTITY_NOT_FOUND PERSON_ALREADY_INDEXED
    """,
)


def id_hash_invalid(field_path: str) -> DomainError:
    return kernel.invalid_argument(
        Reason.ID_HASH_INVALID,
        field_path,
        "an id_hash is 64 lowercase hex digits: the account service's HMAC-SHA256 of the ID number",
    )


def person_id_invalid(field_path: str) -> DomainError:
    return kernel.invalid_argument(
        Reason.PERSON_ID_INVALID, field_path, "a person id is a lowercase UUID, as the account service makes"
    )


def province_invalid(field_path: str) -> DomainError:
    return kernel.invalid_argument(
        Reason.PROVINCE_INVALID, field_path, "a province is a 6-digit division code ending 0000"
    )


def too_many_person_ids(limit: int) -> DomainError:
    return kernel.invalid_argument(
        Reason.TOO_MANY_PERSON_IDS, "person_ids", f"at most {limit} person ids per call", limit=str(limit)
    )


def request_id_not_uuid() -> DomainError:
    return kernel.invalid_argument(
        kernel.Reason.REQUEST_ID_INVALID, "request_id", "the index takes a lowercase UUID as request_id"
    )


def identity_not_found() -> DomainError:
    return kernel.not_found(Reason.IDENTITY_NOT_FOUND, "no identity with this id_hash")


def person_not_indexed(person_id: str) -> DomainError:
    return kernel.not_found(
        Reason.IDENTITY_NOT_FOUND, f"no identity of person {person_id}", person_id=person_id
    )


def person_already_indexed(person_id: str) -> DomainError:
    return kernel.already_exists(
        Reason.PERSON_ALREADY_INDEXED,
        f"person {person_id} is indexed under another id_hash: one person, one identity",
        person_id=person_id,
    )
