"""Wallets (R7), balances and statements (R12)."""

from __future__ import annotations

from datetime import datetime

from services.account.adapters.ledger import Ledger
from services.account.adapters.repository import AccountRepository, StatementLine, Wallet
from services.account.domain.identity import validate_mobile
from services.account.domain.ledger import AccountKind, EntryKind
from services.account.usecases.common import AccountDeps, person_for
from services.kernel.auth import Principal, Role
from services.kernel.errors import already_exists, invalid_argument, not_found
from services.kernel.pagination import decode_token, encode_token, page_size
from services.kernel.region_codes import validate_code

_OWNER_OR_SERVICE = (Role.CITIZEN, Role.SERVICE, Role.ADMIN)


def wallet_not_opened(person_id: str):
    return not_found("WALLET_NOT_OPENED", "the wallet has not been opened", person_id=person_id)


class WalletUseCases:
    def __init__(self, deps: AccountDeps) -> None:
        self._d = deps

    async def open(self, caller: Principal, person_id: str, place_of_use: str, mobile: str) -> tuple[Wallet, bool]:
        validate_code(place_of_use, "place_of_use")
        mobile = validate_mobile(mobile)
        async with self._d.engine.connect() as conn:
            person = await person_for(caller, AccountRepository(conn), person_id, Role.CITIZEN)
            existing = await AccountRepository(conn).wallet(person_id)
        if existing is not None:
            return self._reopened(existing, place_of_use, mobile), False
        person.require_active()
        await self._d.require_enabled(place_of_use, "place_of_use")
        now = self._d.clock.now()
        async with self._d.engine.begin() as conn:
            repo = AccountRepository(conn)
            account_id = await Ledger(conn).open_person_account(person_id, AccountKind.WALLET)
            created = await repo.add_wallet(person_id, account_id, place_of_use, mobile, now)
            wallet = await repo.wallet(person_id)
        return (wallet, True) if created else (self._reopened(wallet, place_of_use, mobile), False)

    @staticmethod
    def _reopened(wallet: Wallet, place_of_use: str, mobile: str) -> Wallet:
        """Opening twice with the same choices is a no-op; other choices go
        through ChangePlaceOfUse, not a second wallet."""
        if (wallet.place_of_use, wallet.mobile) != (place_of_use, mobile):
            raise already_exists("WALLET_ALREADY_OPENED", "the wallet is open with other settings: change them instead")
        return wallet

    async def get(self, caller: Principal, person_id: str) -> Wallet:
        async with self._d.engine.connect() as conn:
            repo = AccountRepository(conn)
            await person_for(caller, repo, person_id, *_OWNER_OR_SERVICE)
            wallet = await repo.wallet(person_id)
        if wallet is None:
            raise wallet_not_opened(person_id)
        return wallet

    async def change_place_of_use(self, caller: Principal, person_id: str, place_of_use: str) -> Wallet:
        validate_code(place_of_use, "place_of_use")
        wallet = await self.get(caller, person_id)
        if wallet.place_of_use == place_of_use:
            return wallet
        await self._d.require_enabled(place_of_use, "place_of_use")
        async with self._d.engine.begin() as conn:
            repo = AccountRepository(conn)
            await repo.set_place_of_use(person_id, place_of_use, self._d.clock.now())
            return await repo.wallet(person_id)

    async def balances(self, caller: Principal, person_id: str) -> dict[AccountKind, int]:
        async with self._d.engine.connect() as conn:
            repo = AccountRepository(conn)
            await person_for(caller, repo, person_id, *_OWNER_OR_SERVICE)
            return await repo.balances(person_id)

    async def statement(
        self, caller: Principal, person_id: str, kinds: list[EntryKind], start: datetime | None, end: datetime | None, size: int, token: str
    ) -> tuple[list[StatementLine], str]:
        if start and end and end <= start:
            raise invalid_argument("TIME_RANGE_INVALID", "end_time", "end_time must be after start_time")
        size = page_size(size)
        query = {"person": person_id, "kinds": sorted(k.value for k in kinds), "start": start, "end": end}
        after = decode_token(token, query)
        async with self._d.engine.connect() as conn:
            repo = AccountRepository(conn)
            await person_for(caller, repo, person_id, *_OWNER_OR_SERVICE)
            lines = await repo.statement(person_id, kinds, start, end, after[0] if after else None, size + 1)
        page, rest = lines[:size], lines[size:]
        return page, encode_token([page[-1].posting_id], query) if rest else ""
