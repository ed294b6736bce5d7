"""Use cases of provincial platforms' SM2 keys and replay nonces (R25)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from services.kernel.clock import Clock
from services.kernel.errors import Conflict
from services.kernel.pagination import Page, page_request
from services.region.domain.errors import (
    nonce_replayed,
    platform_key_exists,
    platform_key_limit,
    platform_key_not_found,
    platform_key_revoked,
    platform_province_mismatch,
)
from services.region.domain.platforms import (
    MAX_ACTIVE_KEYS,
    Nonce,
    PlatformKey,
    validate_app_id,
    validate_key_id,
)
from services.region.usecases.regions import known_path

log = logging.getLogger("yibao.region.platforms")

PURGE_EVERY = timedelta(minutes=1)  # expired nonces are deleted at most this often per replica
PURGE_BATCH = 5000  # rows per DELETE; a full batch lets the next claim delete more


class PlatformUseCases:
    def __init__(self, uow: Callable, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock
        self._next_purge: datetime | None = None

    async def create(self, app_id: str, province: str, public_key: str) -> PlatformKey:
        key = PlatformKey.register(app_id, province, public_key, self._clock.now())
        try:
            return await self._create(key)
        except Conflict:
            pass
        # A concurrent registration of the same public key won: answer as if
        # it had come first (idempotent for the same app_id, refused for another).
        try:
            return await self._create(key)
        except Conflict:  # another public key with the same fingerprint
            raise platform_key_exists(key.key_id) from None

    async def _create(self, key: PlatformKey) -> PlatformKey:
        async with self._uow() as tx:
            await known_path(tx.regions, key.province)
            await tx.regions.add_platform(key.app_id, key.province, key.created_at)
            # Locks the platform: one change of its keys at a time (the limit holds).
            province = await tx.regions.platform_province(key.app_id, for_update=True)
            if province != key.province:
                raise platform_province_mismatch(key.app_id, province)
            existing = await tx.regions.platform_key_by_public_key(key.public_key)
            if existing is not None:
                if existing.app_id != key.app_id:
                    raise platform_key_exists(existing.key_id)
                if not existing.active:
                    raise platform_key_revoked(existing.app_id, existing.key_id)
                return existing
            if await tx.regions.active_key_count(key.app_id) >= MAX_ACTIVE_KEYS:
                raise platform_key_limit(key.app_id, MAX_ACTIVE_KEYS)
            await tx.regions.add_platform_key(key)
            await tx.commit()
        return key

    async def revoke(self, app_id: str, key_id: str) -> PlatformKey:
        validate_app_id(app_id)
        validate_key_id(key_id)
        async with self._uow() as tx:
            key = await tx.regions.platform_key(key_id, for_update=True)
            if key is None or key.app_id != app_id:
                raise platform_key_not_found(app_id, key_id)
            revoked = key.revoke(self._clock.now())
            if revoked is not key:
                await tx.regions.save_platform_key(revoked)
                await tx.commit()
        return revoked

    async def list(self, app_id: str, active_only: bool, size: int, token: str) -> Page[PlatformKey]:
        if app_id:
            validate_app_id(app_id)
        request = page_request(size, token, {"app_id": app_id, "active_only": active_only})
        async with self._uow(read_only=True) as tx:
            found = await tx.regions.list_platform_keys(
                app_id or None, active_only, request.after, request.limit
            )
        return request.page(found, key=lambda k: [k.app_id, k.created_at.isoformat(), k.key_id])

    async def claim_nonce(self, app_id: str, nonce: str, stamped_at: datetime) -> None:
        """Records the nonce once: NONCE_REPLAYED for every later claim while it is kept.
        The unique key decides between concurrent claims, on every replica."""
        now = self._clock.now()
        record = Nonce.claim(app_id, nonce, stamped_at, now)
        async with self._uow(single_statement=True) as tx:
            claimed = await tx.regions.claim_nonce(record)
            await tx.commit()
        if not claimed:
            raise nonce_replayed(app_id)
        await self._purge(now)

    async def _purge(self, now: datetime) -> None:
        """Deletes expired nonces, at most once a minute and a batch at a
        time, so the table holds about the last ten minutes' nonces."""
        if self._next_purge is not None and now < self._next_purge:
            return
        self._next_purge = now + PURGE_EVERY
        try:
            async with self._uow(single_statement=True) as tx:
                deleted = await tx.regions.purge_nonces(now, PURGE_BATCH)
                await tx.commit()
        except Exception as error:  # the claim stands; the next purge catches up
            log.warning("purging expired nonces failed: %s", type(error).__name__)
            return
        if deleted >= PURGE_BATCH:
            self._next_purge = now
