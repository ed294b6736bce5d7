"""Wallets (R7), balances and statements (R12)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from services.account.domain.credentials import Purpose
from services.account.domain.errors import time_range_invalid, wallet_not_opened
from services.account.domain.identity import validate_mobile
from services.account.domain.ledger import AccountKind, EntryKind, StatementLine
from services.account.domain.wallets import Wallet
from services.account.usecases import access
from services.account.usecases.access import person_for
from services.account.usecases.common import AccountDeps
from services.account.usecases.ports import AccountUnitOfWork
from services.kernel.auth import Principal
from services.kernel.pagination import Page, page_request
from services.kernel.region_codes import pooling_region, validate_code


class WalletUseCases:
    def __init__(self, deps: AccountDeps) -> None:
        self._d = deps

    async def open(
        self, caller: Principal, person_id: str, place_of_use: str, mobile: str
    ) -> tuple[Wallet, bool]:
        """The place of use defaults to the person's insured pooling region (R7)."""
        if place_of_use:
            validate_code(place_of_use, "place_of_use")
        mobile = validate_mobile(mobile)
        async with self._d.uow(read_only=True) as tx:
            person = await person_for(caller, tx.accounts, person_id, access.OWNER)
            existing = await tx.accounts.wallet(person_id)
        place_of_use = place_of_use or pooling_region(person.insured_region)
        if existing is not None:
            return existing.reopened(place_of_use, mobile), False
        person.require_active()
        await self._d.require_enabled(place_of_use, "place_of_use")
        now = self._d.clock.now()
        async with self._d.uow() as tx:
            account_id = await tx.ledger.open_person_account(person_id, AccountKind.WALLET)
            created = await tx.accounts.add_wallet(
                Wallet(person_id, account_id, place_of_use, mobile, now, 0)
            )
            wallet = await _written(tx, person_id)
            await tx.commit()
        return (wallet, True) if created else (wallet.reopened(place_of_use, mobile), False)

    async def get(self, caller: Principal, person_id: str) -> Wallet:
        async with self._d.uow(read_only=True) as tx:
            await person_for(caller, tx.accounts, person_id, access.MONEY_READERS)
            wallet = await tx.accounts.wallet(person_id)
        if wallet is None:
            raise wallet_not_opened(person_id)
        return wallet

    async def change_place_of_use(self, caller: Principal, person_id: str, place_of_use: str) -> Wallet:
        validate_code(place_of_use, "place_of_use")
        wallet = await self.get(caller, person_id)
        if wallet.place_of_use == place_of_use:
            return wallet
        await self._d.require_enabled(place_of_use, "place_of_use")
        async with self._d.uow() as tx:
            await tx.accounts.set_place_of_use(person_id, place_of_use, self._d.clock.now())
            changed = await _written(tx, person_id)
            await tx.commit()
        return changed

    async def change_mobile(
        self,
        caller: Principal,
        person_id: str,
        mobile: str,
        verify: Callable[[str, Purpose, str | None, str | None], Awaitable[int]],
        password: str | None,
        face_ticket: str | None,
    ) -> Wallet:
        """R7: the person, after verifying their credential, or the platform of
        their province (which verified them at its counter) binds another
        mobile number to the wallet."""
        mobile = validate_mobile(mobile)
        async with self._d.uow(read_only=True) as tx:
            await person_for(caller, tx.accounts, person_id, access.OWNER_OR_PLATFORM)
            wallet = await tx.accounts.wallet(person_id)
        if access.proves_with_credential(caller):
            await verify(person_id, Purpose.SETTINGS, password, face_ticket)
        if wallet is None:
            raise wallet_not_opened(person_id)
        if wallet.mobile == mobile:
            return wallet
        async with self._d.uow() as tx:
            await tx.accounts.set_mobile(person_id, mobile, self._d.clock.now())
            changed = await _written(tx, person_id)
            await tx.commit()
        return changed

    async def balances(self, caller: Principal, person_id: str) -> dict[AccountKind, int]:
        async with self._d.uow(read_only=True) as tx:
            await person_for(caller, tx.accounts, person_id, access.MONEY_READERS)
            return await tx.accounts.balances(person_id)

    async def statement(
        self,
        caller: Principal,
        person_id: str,
        kinds: list[EntryKind],
        start: datetime | None,
        end: datetime | None,
        size: int,
        token: str,
    ) -> Page[StatementLine]:
        if start and end and end <= start:
            raise time_range_invalid()
        query = {"person": person_id, "kinds": sorted(k.value for k in kinds), "start": start, "end": end}
        request = page_request(size, token, query)
        async with self._d.uow(read_only=True, stale_ok=True) as tx:  # may read a standby
            await person_for(caller, tx.accounts, person_id, access.MONEY_READERS)
            after = request.after[0] if request.after else None
            lines = await tx.accounts.statement(person_id, kinds, start, end, after, request.limit)
        return request.page(lines, key=lambda line: [line.posting_id])


async def _written(tx: AccountUnitOfWork, person_id: str) -> Wallet:
    """The wallet just written in ``tx``, read back (so never missing)."""
    wallet = await tx.accounts.wallet(person_id)
    if wallet is None:
        raise wallet_not_opened(person_id)
    return wallet
