"""Persons and close relatives (R5, R8), registered by provincial platforms."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from services.account.domain.errors import (
    insurance_type_required,
    name_mismatch,
    payee_name_mismatch,
    payee_not_found,
    person_already_registered,
    person_not_found,
    relation_exists,
    relation_kind_required,
    relation_to_self,
)
from services.account.domain.identity import id_number_hash, mask_id_number, validate_id_number
from services.account.domain.ledger import AccountKind
from services.account.domain.persons import InsuranceStatus, InsuranceType, Person, validate_person_name
from services.account.domain.relations import Lapse, LapseCause, Relation, RelationKind, RelativeView
from services.account.domain.wallets import Wallet
from services.account.usecases.common import AccountDeps, person_for
from services.kernel.auth import Principal, Role
from services.kernel.errors import permission_denied
from services.kernel.region_codes import province_of, validate_code

_READERS = (Role.CITIZEN, Role.PROVINCE, Role.SERVICE, Role.ADMIN)


@dataclass(frozen=True)
class TransferParties:
    """The transfer gates' facts, read at once: payer, payee (found by ID
    number, name checked), their wallets, and what the payee is to the payer."""

    payer: Person
    payer_wallet: Wallet | None
    payee: Person
    payee_wallet: Wallet | None
    relation: RelationKind | None


class PersonUseCases:
    def __init__(self, deps: AccountDeps) -> None:
        self._d = deps

    async def register(
        self, caller: Principal, id_number: str, name: str, kind: InsuranceType | None, region: str
    ) -> tuple[Person, bool]:
        """The person, and False when they were registered before with the same
        facts (a retried registration); other facts are ALREADY_EXISTS."""
        number = validate_id_number(id_number)
        name = validate_person_name(name)
        if kind is None:
            raise insurance_type_required()
        validate_code(region, "insured_region")
        if caller.province != province_of(region):
            raise permission_denied()
        await self._d.require_known(region, "insured_region")
        now = self._d.clock.now()
        id_hash = id_number_hash(number, self._d.id_hash_key)
        person = Person(
            str(uuid.uuid4()),
            id_hash,
            mask_id_number(number),
            name,
            kind,
            region,
            InsuranceStatus.ACTIVE,
            now,
            now,
        )
        async with self._d.uow() as tx:
            if await tx.accounts.add_person(person):
                if kind is InsuranceType.EMPLOYEE:
                    await tx.ledger.open_person_account(person.id, AccountKind.PERSONAL)
                await tx.commit()
                return person, True
            existing = await tx.accounts.person_by_hash(id_hash)
        same = (existing.name, existing.insurance_type, existing.insured_region) == (name, kind, region)
        if not same or existing.province != caller.province:
            raise person_already_registered()
        return existing, False

    async def update_insurance(
        self,
        caller: Principal,
        person_id: str,
        status: InsuranceStatus | None,
        region: str,
        kind: InsuranceType | None,
    ) -> tuple[Person, int]:
        if region:
            validate_code(region, "insured_region")
            await self._d.require_known(region, "insured_region")
        now = self._d.clock.now()
        async with self._d.uow() as tx:
            person = await person_for(caller, tx.accounts, person_id, Role.PROVINCE, for_update=True)
            changed, lapses = person.change_insurance(now, status, region or None, kind)
            lapsed = 0
            if changed is not person:
                await tx.accounts.save_person(changed)
                if changed.insurance_type is InsuranceType.EMPLOYEE:
                    await tx.ledger.open_person_account(person.id, AccountKind.PERSONAL)
            if lapses:
                cause = LapseCause.ENDED if changed.status is InsuranceStatus.ENDED else LapseCause.MOVED
                lapsed = await tx.accounts.lapse_relations(person.id, cause, now)
            await tx.commit()
        return changed, lapsed

    async def get(self, caller: Principal, person_id: str) -> Person:
        async with self._d.uow(read_only=True) as tx:
            return await person_for(caller, tx.accounts, person_id, *_READERS)

    async def lookup(self, id_number: str, name: str) -> tuple[Person, Wallet | None]:
        """For other services: a person by ID number, with the name checked."""
        number = validate_id_number(id_number, "id_number")
        async with self._d.uow(read_only=True) as tx:
            person = await tx.accounts.person_by_hash(id_number_hash(number, self._d.id_hash_key))
            if person is None:
                raise person_not_found()
            if person.name != (name or "").strip():
                raise name_mismatch()
            return person, await tx.accounts.wallet(person.id)

    async def transfer_parties(
        self,
        payer_id: str,
        payee_id_number: str,
        payee_name: str,
        verify: Callable[[], Awaitable] | None = None,
    ) -> TransferParties:
        """Payer and payee with their wallets and relation, in three reads.
        ``verify`` (the payer's credential) runs once the payer is known and
        before anything about the payee is told (R14)."""
        number = validate_id_number(payee_id_number, "payee_id_number")
        id_hash = id_number_hash(number, self._d.id_hash_key)
        async with self._d.uow(read_only=True) as tx:
            payer, payee = await tx.accounts.person_and_other(payer_id, id_hash)
        if payer is None:
            raise person_not_found(payer_id)
        if verify is not None:
            await verify()
        if payee is None:
            raise payee_not_found()
        if payee.name != (payee_name or "").strip():
            raise payee_name_mismatch()
        async with self._d.uow(read_only=True) as tx:
            relation = await tx.accounts.relation(payer_id, payee.id)
            found = await tx.accounts.wallets([payer_id, payee.id])
        kind = relation.kind if relation else None
        return TransferParties(payer, found.get(payer_id), payee, found.get(payee.id), kind)

    async def attest(
        self, caller: Principal, person_id: str, relative_id: str, kind: RelationKind | None
    ) -> tuple[RelativeView, RelativeView]:
        """The link as seen from the person, and the implied inverse."""
        if kind is None:
            raise relation_kind_required()
        if person_id == relative_id:
            raise relation_to_self()
        now = self._d.clock.now()
        async with self._d.uow() as tx:
            person = await person_for(caller, tx.accounts, person_id, Role.PROVINCE)
            relative = await tx.accounts.person(relative_id)
            if relative is None:
                raise person_not_found(relative_id)
            person.require_active()
            relative.require_active()
            relation = await tx.accounts.relation(person_id, relative_id)
            if relation is not None and relation.kind is not kind:
                raise relation_exists(relation.kind.value)
            if relation is None:  # attesting again is a no-op
                relation = Relation(person_id, relative_id, kind, now)
                await tx.accounts.put_relation(relation)
                await tx.accounts.put_relation(relation.inverse())
                await tx.commit()
        return RelativeView(relation, relative), RelativeView(relation.inverse(), person)

    async def relatives(self, caller: Principal, person_id: str) -> list[RelativeView]:
        async with self._d.uow(read_only=True) as tx:
            await person_for(caller, tx.accounts, person_id, *_READERS)
            return await tx.accounts.relatives(person_id)

    async def lapses(self, after_id: int, limit: int) -> list[Lapse]:
        async with self._d.uow(read_only=True) as tx:
            return await tx.accounts.lapses_after(after_id, min(max(limit, 1), 1000))
