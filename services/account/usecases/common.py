"""What every account use case shares: dependencies, and who may act on a person (R20)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.ext.asyncio import AsyncEngine

from services.account.adapters.repository import AccountRepository
from services.account.domain.persons import Person
from services.kernel.auth import Principal, Role
from services.kernel.clock import Clock
from services.kernel.errors import failed_precondition, invalid_argument, not_found, permission_denied
from services.kernel.region_client import RegionClient


@dataclass
class AccountDeps:
    engine: AsyncEngine
    clock: Clock
    regions: RegionClient
    id_hash_key: bytes
    face_ticket_key: str
    hasher: PasswordHasher

    async def hash_password(self, password: str) -> str:
        # argon2 is deliberately slow: keep it off the event loop.
        return await asyncio.to_thread(self.hasher.hash, password)

    async def password_matches(self, password_hash: str, password: str) -> bool:
        def check() -> bool:
            try:
                return self.hasher.verify(password_hash, password)
            except (VerificationError, InvalidHashError):
                return False

        return await asyncio.to_thread(check)

    async def require_known(self, region_code: str, field_path: str) -> str:
        """The region's wallet status ("enabled" / "disabled"); INVALID_ARGUMENT if it names no region."""
        status = (await self.regions.statuses([region_code]))[region_code]
        if status == "unknown":
            raise invalid_argument("REGION_UNKNOWN", field_path, f"{region_code} names no region", region=region_code)
        return status

    async def require_enabled(self, region_code: str, field_path: str) -> None:
        if await self.require_known(region_code, field_path) != "enabled":
            raise failed_precondition("REGION_NOT_ENABLED", f"the wallet is not enabled in {region_code}", region=region_code)


def person_not_found(person_id: str):
    return not_found("PERSON_NOT_FOUND", "no such person", person_id=person_id)


async def person_for(caller: Principal, repo: AccountRepository, person_id: str, *roles: Role, for_update: bool = False) -> Person:
    """The person the caller acts on, if its role (among ``roles``) and scope
    allow: a citizen only themselves, a province only persons insured in it,
    services and administrators anyone. A refusal never tells whether the
    person exists."""
    if caller.role not in roles:
        raise permission_denied()
    if caller.role is Role.CITIZEN and caller.person_id != person_id:
        raise permission_denied()
    person = await repo.person(person_id, for_update=for_update) if person_id else None
    if caller.role is Role.PROVINCE and (person is None or person.province != caller.province):
        raise permission_denied()
    if person is None:
        raise person_not_found(person_id)
    return person
