"""A person moving to a province kept in another shard (医保关系转移接续,
R24, domain/moves.py), as one linear story told by the shard they leave:

1. here, in one transaction: the move recorded, their personal account and
   wallet balances sent out to ``moved-out:<old>:<new>``, their relations
   lapsed (R8: the lapse goes into the feed, so the transfers pending to
   them are refunded), and their record here ended;
2. in the new province's shard: the person admitted with what they bring,
   from ``moved-in:<new>:<old>`` (AdmitPerson);
3. the national index told (MoveIdentity): calls about them are routed there;
4. here: the move marked done.

Each step is idempotent, so asking for the move again (the same
UpdateInsurance) finishes one cut short after any step. A person with
transfers of their own still pending does not move until they end."""

from __future__ import annotations

import uuid
from dataclasses import replace

from services.account.domain.credentials import PasswordState
from services.account.domain.errors import insurance_ended, person_already_registered, transfers_pending
from services.account.domain.ledger import AccountKind, EntryKind, Movement, clearing_key
from services.account.domain.moves import Move, MoveState
from services.account.domain.persons import InsuranceStatus, InsuranceType, Person
from services.account.domain.relations import LapseCause
from services.account.domain.wallets import Wallet
from services.account.usecases import access
from services.account.usecases.access import person_for
from services.account.usecases.common import AccountDeps, post, spread_lapse
from services.kernel.auth import Principal
from services.kernel.region_codes import province_of

_MOVES = uuid.UUID("6f1d8a52-3c1e-4d0a-9a57-2b1f7c0e5d31")  # names the index's request ids


class MoveUseCases:
    def __init__(self, deps: AccountDeps) -> None:
        self._d = deps

    async def moves_away(self, region: str) -> bool:
        """Whether ``region`` is in a province another shard keeps: a move."""
        return self._d.peers is not None and await self._d.peers.keeps(province_of(region))

    async def move_out(
        self, caller: Principal, person_id: str, region: str, kind: InsuranceType | None
    ) -> tuple[Person, int]:
        """The person as their new shard keeps them, and the relations lapsed."""
        peers, index = self._d.peers, self._d.identities
        assert peers is not None and index is not None, "a move needs the other shards and the index"
        move, lapsed = await self._send(caller, person_id, region, kind)
        if lapsed:
            await spread_lapse(self._d, person_id)
        async with self._d.uow(read_only=True) as tx:
            person = await tx.accounts.person(person_id)
        assert person is not None
        arrived = replace(
            person,
            insured_region=move.to_region,
            insurance_type=move.insurance_type,
            status=InsuranceStatus.ACTIVE,
        )
        if move.state is MoveState.SENT:
            arrived = await peers.admit(arrived, move)
            await index.move(person_id, move.to_province, str(uuid.uuid5(_MOVES, person_id)))
            async with self._d.uow() as tx:
                await tx.accounts.finish_move(person_id)
                await tx.commit()
        return arrived, lapsed

    async def _send(
        self, caller: Principal, person_id: str, region: str, kind: InsuranceType | None
    ) -> tuple[Move, int]:
        now = self._d.clock.now()
        async with self._d.uow() as tx:
            person = await person_for(caller, tx.accounts, person_id, access.PLATFORM, for_update=True)
            move = await tx.accounts.move(person_id)
            if move is not None:  # asked again: what is left of it is done after this
                if move.to_region != region:
                    raise insurance_ended(person_id)  # moved away before, elsewhere
                return move, 0
            person.require_active()
            if await tx.accounts.holds_pending_from(person_id):
                raise transfers_pending(person_id)
            balances = await tx.accounts.balances(person_id)
            wallet = await tx.accounts.wallet(person_id)
            password = await tx.accounts.password(person_id)
            move = Move(
                person_id,
                person.province,
                region,
                kind or person.insurance_type,
                balances.get(AccountKind.PERSONAL, 0),
                balances.get(AccountKind.WALLET, 0),
                wallet.place_of_use if wallet else None,
                wallet.mobile if wallet else None,
                wallet.opened_at if wallet else None,
                password.password_hash if password else None,
                MoveState.SENT,
                now,
            )
            key = clearing_key(AccountKind.MOVED_OUT, move.from_province, move.to_province)
            for source, fen in ((AccountKind.PERSONAL, move.personal), (AccountKind.WALLET, move.wallet)):
                if fen:
                    sent = Movement(
                        EntryKind.MOVE_OUT,
                        await tx.ledger.open_person_account(person_id, source),
                        source,
                        await tx.ledger.system_account(key, AccountKind.MOVED_OUT),
                        AccountKind.MOVED_OUT,
                        fen,
                    )
                    request = {"person": person_id, "to": region, "source": source.value, "fen": fen}
                    await post(
                        tx,
                        sent,
                        f"move:out:{source.value}:{person_id}",
                        request,
                        person_id,
                        now,
                        f"moved to {region}",
                    )
            lapsed = await tx.accounts.lapse_relations(person_id, LapseCause.MOVED, now)
            await tx.accounts.save_person(replace(person, status=InsuranceStatus.ENDED, updated_at=now))
            await tx.accounts.add_move(move)
            await tx.commit()
        return move, lapsed

    async def admit(self, person: Person, move: Move) -> Person:
        """In the new province's shard: the person, with their accounts and
        what they bring; a repeat answers the person admitted before."""
        now = self._d.clock.now()
        async with self._d.uow() as tx:
            existing = await tx.accounts.person(person.id)
            if existing is not None:
                return existing
            if not await tx.accounts.add_person(replace(person, created_at=now, updated_at=now)):
                raise person_already_registered()  # their ID number is kept here under another id
            if person.insurance_type is InsuranceType.EMPLOYEE:
                await tx.ledger.open_person_account(person.id, AccountKind.PERSONAL)
            wallet_account = None
            if move.wallet_place_of_use is not None:
                wallet_account = await tx.ledger.open_person_account(person.id, AccountKind.WALLET)
                opened = move.wallet_opened_at or now
                wallet = Wallet(
                    person.id, wallet_account, move.wallet_place_of_use, move.wallet_mobile or "", opened, 0
                )
                await tx.accounts.add_wallet(wallet)
            key = clearing_key(AccountKind.MOVED_IN, person.province, move.from_province)
            for target, fen in ((AccountKind.PERSONAL, move.personal), (AccountKind.WALLET, move.wallet)):
                if fen:
                    brought = Movement(
                        EntryKind.MOVE_IN,
                        await tx.ledger.system_account(key, AccountKind.MOVED_IN),
                        AccountKind.MOVED_IN,
                        await tx.ledger.open_person_account(person.id, target),
                        target,
                        fen,
                    )
                    request = {
                        "person": person.id,
                        "from": move.from_province,
                        "target": target.value,
                        "fen": fen,
                    }
                    await post(
                        tx,
                        brought,
                        f"move:in:{target.value}:{person.id}",
                        request,
                        person.id,
                        now,
                        f"moved from {move.from_province}",
                    )
            if move.password_hash:
                await tx.accounts.add_password(person.id, PasswordState(move.password_hash), now)
            await tx.commit()
        return person
