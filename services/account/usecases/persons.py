"""Persons and close relatives (R5, R8), registered by provincial platforms."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from services.account.adapters.ledger import Ledger
from services.account.adapters.repository import AccountRepository, RelativeView, Wallet
from services.account.domain.identity import id_number_hash, mask_id_number, validate_id_number
from services.account.domain.ledger import AccountKind
from services.account.domain.persons import InsuranceStatus, InsuranceType, Person, validate_person_name
from services.account.domain.relations import Relation, RelationKind
from services.account.usecases.common import AccountDeps, person_for, person_not_found
from services.kernel.auth import Principal, Role
from services.kernel.errors import already_exists, failed_precondition, invalid_argument, not_found, permission_denied
from services.kernel.region_codes import province_of, validate_code

_READERS = (Role.CITIZEN, Role.PROVINCE, Role.SERVICE, Role.ADMIN)


@dataclass(frozen=True)
class Lapse:
    id: int
    person_id: str
    cause: str
    lapsed_at: datetime


class PersonUseCases:
    def __init__(self, deps: AccountDeps) -> None:
        self._d = deps

    async def register(self, caller: Principal, id_number: str, name: str, kind: InsuranceType | None, region: str) -> tuple[Person, bool]:
        """The person, and False when they were registered before with the same
        facts (a retried registration); other facts are ALREADY_EXISTS."""
        number = validate_id_number(id_number)
        name = validate_person_name(name)
        if kind is None:
            raise invalid_argument("INSURANCE_TYPE_REQUIRED", "insurance_type", "employee or resident")
        validate_code(region, "insured_region")
        if caller.province != province_of(region):
            raise permission_denied()
        await self._d.require_known(region, "insured_region")
        now = self._d.clock.now()
        person = Person(
            str(uuid.uuid4()), id_number_hash(number, self._d.id_hash_key), mask_id_number(number), name, kind, region,
            InsuranceStatus.ACTIVE, now, now,
        )
        async with self._d.engine.begin() as conn:
            repo = AccountRepository(conn)
            if await repo.add_person(person):
                if kind is InsuranceType.EMPLOYEE:
                    await Ledger(conn).open_person_account(person.id, AccountKind.PERSONAL)
                return person, True
            existing = await repo.person_by_hash(person.id_hash)
        same = (existing.name, existing.insurance_type, existing.insured_region) == (name, kind, region)
        if not same or existing.province != caller.province:
            raise already_exists("PERSON_ALREADY_REGISTERED", "a person with this ID number is registered")
        return existing, False

    async def update_insurance(
        self, caller: Principal, person_id: str, status: InsuranceStatus | None, region: str, kind: InsuranceType | None
    ) -> tuple[Person, int]:
        if region:
            validate_code(region, "insured_region")
            await self._d.require_known(region, "insured_region")
        now = self._d.clock.now()
        async with self._d.engine.begin() as conn:
            repo = AccountRepository(conn)
            person = await person_for(caller, repo, person_id, Role.PROVINCE, for_update=True)
            changed, lapses = person.change_insurance(now, status, region or None, kind)
            lapsed = 0
            if changed is not person:
                await repo.save_person(changed)
                if changed.insurance_type is InsuranceType.EMPLOYEE:
                    await Ledger(conn).open_person_account(person.id, AccountKind.PERSONAL)
            if lapses:
                cause = "ended" if not changed.active else "moved"
                lapsed = await repo.lapse_relations(person.id, cause, now)
        return changed, lapsed

    async def get(self, caller: Principal, person_id: str) -> Person:
        async with self._d.engine.connect() as conn:
            return await person_for(caller, AccountRepository(conn), person_id, *_READERS)

    async def lookup(self, id_number: str, name: str) -> tuple[Person, Wallet | None]:
        """For the transfer service: the payee by ID number, with the name checked."""
        number = validate_id_number(id_number, "id_number")
        async with self._d.engine.connect() as conn:
            repo = AccountRepository(conn)
            person = await repo.person_by_hash(id_number_hash(number, self._d.id_hash_key))
            if person is None:
                raise not_found("PERSON_NOT_FOUND", "no person with this ID number")
            if person.name != (name or "").strip():
                raise failed_precondition("NAME_MISMATCH", "the name does not match the ID number")
            return person, await repo.wallet(person.id)

    async def transfer_parties(
        self, payer_id: str, payee_id_number: str, payee_name: str
    ) -> tuple[Person, Wallet | None, Person, Wallet | None, RelationKind | None]:
        """Payer, payee (found by ID number, name checked), their wallets and
        what the payee is to the payer: the transfer gates' facts, in one read."""
        number = validate_id_number(payee_id_number, "payee_id_number")
        async with self._d.engine.connect() as conn:
            repo = AccountRepository(conn)
            payer = await repo.person(payer_id)
            if payer is None:
                raise person_not_found(payer_id)
            payee = await repo.person_by_hash(id_number_hash(number, self._d.id_hash_key))
            if payee is None:
                raise not_found("PAYEE_NOT_FOUND", "no insured person has this ID number")
            if payee.name != (payee_name or "").strip():
                raise failed_precondition("PAYEE_NAME_MISMATCH", "the payee's name does not match the ID number")
            relation = await repo.relation(payer_id, payee.id)
            return payer, await repo.wallet(payer_id), payee, await repo.wallet(payee.id), relation.kind if relation else None

    async def attest(
        self, caller: Principal, person_id: str, relative_id: str, kind: RelationKind | None
    ) -> tuple[RelativeView, RelativeView]:
        """The link as seen from the person, and the implied inverse."""
        if kind is None:
            raise invalid_argument("RELATION_KIND_REQUIRED", "kind", "one of spouse, parent, child, sibling, grandparent, grandchild")
        if person_id == relative_id:
            raise invalid_argument("RELATION_TO_SELF", "relative_id", "a person is not their own relative")
        now = self._d.clock.now()
        async with self._d.engine.begin() as conn:
            repo = AccountRepository(conn)
            person = await person_for(caller, repo, person_id, Role.PROVINCE)
            relative = await repo.person(relative_id)
            if relative is None:
                raise person_not_found(relative_id)
            person.require_active()
            relative.require_active()
            relation = await repo.relation(person_id, relative_id)
            if relation is not None and relation.kind is not kind:
                raise already_exists("RELATION_EXISTS", "these persons are already related otherwise", kind=relation.kind.value)
            if relation is None:  # attesting again is a no-op
                relation = Relation(person_id, relative_id, kind, now)
                await repo.put_relation(relation)
                await repo.put_relation(relation.inverse())
        return RelativeView(relation, relative), RelativeView(relation.inverse(), person)

    async def relatives(self, caller: Principal, person_id: str) -> list[RelativeView]:
        async with self._d.engine.connect() as conn:
            repo = AccountRepository(conn)
            await person_for(caller, repo, person_id, *_READERS)
            return await repo.relatives(person_id)

    async def lapses(self, after_id: int, limit: int) -> list[Lapse]:
        async with self._d.engine.connect() as conn:
            return [Lapse(*row) for row in await AccountRepository(conn).lapses_after(after_id, min(max(limit, 1), 1000))]
