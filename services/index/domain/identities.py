"""The national person index (SPEC R24, R5): one identity per person across
every province.

The account service is deployed once per province (a shard, R24); what must
be found across shards lives here, in a database of its own, as the
national platform keeps its 人员基础信息库: for each person the hash of the
resident ID number, the person's id and the province the person is insured
in. The hash is the account service's HMAC-SHA256 of the number under a key
this service does not hold (account/domain/identity.py): the index checks
its form and never hashes, so neither its database nor its process ever
sees an ID number.

An identity is claimed once, by the first registration of its hash in any
province; its province changes only by a move (医保关系转移接续), each
recorded with the caller's request id."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime

from services.index.domain.errors import (
    id_hash_invalid,
    person_id_invalid,
    province_invalid,
    request_id_not_uuid,
    too_many_person_ids,
)
from services.kernel.idempotency import validate_request_id

MAX_LOCATE = 1000  # person ids per LocatePersons

# hexdigest() of HMAC-SHA256: 64 lowercase hex digits.
_ID_HASH = re.compile(r"[0-9a-f]{64}")
# str(uuid.uuid4()): the account service's person ids, lowercase; one form
# only, so that one person cannot be indexed twice under two spellings.
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# A province-level division code (GB/T 2260): XX0000.
_PROVINCE = re.compile(r"[1-9][0-9]0000")


def validate_id_hash(value: str, field_path: str = "id_hash") -> str:
    if not _ID_HASH.fullmatch(value or ""):
        raise id_hash_invalid(field_path)
    return value


def validate_person_id(value: str, field_path: str = "person_id") -> str:
    if not _UUID.fullmatch(value or ""):
        raise person_id_invalid(field_path)
    return value


def validate_province(value: str, field_path: str = "province") -> str:
    if not _PROVINCE.fullmatch(value or ""):
        raise province_invalid(field_path)
    return value


def validate_person_ids(values: list[str]) -> list[str]:
    """The ids asked, each once, in the order first asked."""
    if len(values) > MAX_LOCATE:
        raise too_many_person_ids(MAX_LOCATE)
    for i, value in enumerate(values):
        validate_person_id(value, f"person_ids[{i}]")
    return list(dict.fromkeys(values))


def validate_move_request_id(value: str) -> str:
    """Required, and a lowercase UUID: the index keeps no caller text."""
    request_id = validate_request_id(value, required=True)
    if not _UUID.fullmatch(request_id):
        raise request_id_not_uuid()
    return request_id


@dataclass(frozen=True)
class Identity:
    id_hash: str
    person_id: str
    province: str
    created_at: datetime
    updated_at: datetime  # when the province was last set: the claim or the last move

    @classmethod
    def claim(cls, id_hash: str, person_id: str, province: str, now: datetime) -> Identity:
        """An identity as a caller claims it, validated."""
        return cls(
            validate_id_hash(id_hash),
            validate_person_id(person_id),
            validate_province(province),
            now,
            now,
        )

    def move(self, province: str, now: datetime) -> tuple[Identity, Move]:
        """The identity insured in ``province`` from ``now``, and the move to record.
        A move to the province it is in already is recorded too: its request id
        is kept, so that a late repeat of it is answered, never applied."""
        moved = replace(self, province=province, updated_at=now)
        return moved, Move(self.person_id, self.province, province, now)

    def as_after(self, move: Move) -> Identity:
        """The identity as it was right after ``move``: a repeated request's answer."""
        return replace(self, province=move.to_province, updated_at=move.moved_at)


@dataclass(frozen=True)
class Move:
    """A recorded change of a person's insured province."""

    person_id: str
    from_province: str
    to_province: str
    moved_at: datetime


@dataclass(frozen=True)
class PersonLocation:
    person_id: str
    province: str
