"""What every account use case shares: dependencies, region checks, posting (who may act on a person: access.py)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from services.account.domain.errors import region_not_enabled, region_unknown
from services.account.domain.ledger import KeyReused, Movement, Posted
from services.account.usecases.ports import AccountUnitsOfWork, IdentityIndex, PeerShards, RegionPort
from services.kernel.clock import Clock
from services.kernel.idempotency import content_hash, reused_request_id
from services.kernel.region_codes import RegionStatus


@dataclass
class AccountDeps:
    uow: AccountUnitsOfWork
    clock: Clock
    regions: RegionPort
    id_hash_key: bytes
    face_ticket_key: str
    hasher: PasswordHasher
    max_hold: int = 200_000  # fen: the transfer policy's maximum amount (R14, R20a)
    # A shard of a federated deployment (R24): new persons' identities are
    # claimed in the national index first. None: the only account service.
    identities: IdentityIndex | None = None
    # The other shards (R24), asked about persons they keep: a payee, a
    # relative. None: the only account service.
    peers: PeerShards | None = None

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

    async def require_known(self, region_code: str, field_path: str) -> RegionStatus:
        """The region's wallet status; REGION_UNKNOWN if it names no region."""
        status = await self.regions.status(region_code)
        if status is RegionStatus.UNKNOWN:
            raise region_unknown(region_code, field_path)
        return status

    async def require_enabled(self, region_code: str, field_path: str) -> None:
        if await self.require_known(region_code, field_path) is not RegionStatus.ENABLED:
            raise region_not_enabled(region_code)


async def post(
    tx, movement: Movement, key: str, request: dict, reference: str, now, description: str
) -> Posted:
    """One journal entry, idempotent by ``key``: posted before for the same
    ``request`` is a replay; for another request, REQUEST_ID_REUSED."""
    try:
        return await tx.ledger.post(movement, key, content_hash(request), reference, now, description)
    except KeyReused:
        raise reused_request_id(reference) from None


async def spread_lapse(deps: AccountDeps, person_id: str) -> None:
    """R24: a person's relations just lapsed here; the shards that keep
    relatives of theirs are told at once, so that a receipt there is refused
    without waiting for the feed (which the transfer service spreads too)."""
    if deps.peers is None:
        return
    async with deps.uow(read_only=True) as tx:
        provinces = await tx.accounts.remote_relative_provinces(person_id)
    if provinces:
        await deps.peers.lapse(person_id, provinces)
