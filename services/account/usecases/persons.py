"""Persons and close relatives (R5, R8), registered by provincial platforms."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from services.account.domain.credentials import Purpose, next_beijing_midnight, payee_matches_locked
from services.account.domain.errors import (
    insurance_type_required,
    name_mismatch,
    payee_match_locked,
    payee_not_found,
    person_already_registered,
    person_kept_here,
    person_not_found,
    relation_exists,
    relation_kind_required,
    relation_to_self,
    too_many_requests,
)
from services.account.domain.identity import id_number_hash, mask_id_number, validate_id_number
from services.account.domain.ledger import AccountKind
from services.account.domain.moves import Move
from services.account.domain.persons import InsuranceStatus, InsuranceType, Person, validate_person_name
from services.account.domain.relations import Lapse, LapseCause, Relation, RelationKind, RelativeView
from services.account.domain.wallets import Wallet
from services.account.usecases import access
from services.account.usecases.access import person_for
from services.account.usecases.common import AccountDeps, spread_lapse
from services.account.usecases.moves import MoveUseCases
from services.kernel.auth import Principal
from services.kernel.clock import beijing
from services.kernel.errors import DomainError
from services.kernel.region_codes import province_of, validate_code

MAX_PARTIES = 1000  # requests per BatchGetTransferParties call


@dataclass(frozen=True)
class PartiesAsk:
    """One GetTransferParties request: (password, face ticket) or None for no verification."""

    payer_id: str
    payee_id_number: str
    payee_name: str
    verification: tuple[str | None, str | None] | None


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
        self._moves = MoveUseCases(deps)

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
        access.require_platform_of(caller, province_of(region))
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
        if self._d.identities is not None:
            person = await self._claimed(person)
        async with self._d.uow() as tx:
            if await tx.accounts.add_person(person):
                if kind is InsuranceType.EMPLOYEE:
                    await tx.ledger.open_person_account(person.id, AccountKind.PERSONAL)
                await tx.commit()
                return person, True
            existing = await tx.accounts.person_by_hash(id_hash)
        if existing is None:  # the insert lost to this id number's row, so it is there
            raise person_already_registered()
        same = (existing.name, existing.insurance_type, existing.insured_region) == (name, kind, region)
        if not same or not access.may_know_of(caller, existing):
            raise person_already_registered()
        return existing, False

    async def _claimed(self, person: Person) -> Person:
        """R5 across shards (R24): the identity claimed in the national index
        before the person is kept here. Someone with this ID number kept by
        another shard is PERSON_ALREADY_REGISTERED, as a duplicate here is
        (nothing of the other province is told); a claim this shard made
        before (a registration cut short after it) gives back its person id."""
        async with self._d.uow(read_only=True) as tx:
            if await tx.accounts.person_by_hash(person.id_hash) is not None:
                return person  # kept here already: answered as a repeat below
        assert self._d.identities is not None
        person_id, province = await self._d.identities.claim(person.id_hash, person.id, person.province)
        if province != person.province:
            raise person_already_registered()
        return replace(person, id=person_id)

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
            if status is not InsuranceStatus.ENDED and await self._moves.moves_away(region):
                return await self._moves.move_out(caller, person_id, region, kind)  # R24
        now = self._d.clock.now()
        async with self._d.uow() as tx:
            person = await person_for(caller, tx.accounts, person_id, access.PLATFORM, for_update=True)
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
        if lapsed:
            await spread_lapse(self._d, person.id)
        return changed, lapsed

    async def get(self, caller: Principal, person_id: str) -> Person:
        async with self._d.uow(read_only=True) as tx:
            return await person_for(caller, tx.accounts, person_id, access.PERSON_READERS)

    async def lookup(self, caller: Principal, id_number: str, name: str) -> tuple[Person, Wallet | None]:
        """A person by ID number: for a provincial platform only those insured
        in its province (anyone else is not found, whether they exist or
        not); the name is checked when given, and a service must give it."""
        number = validate_id_number(id_number, "id_number")
        if access.lookup_needs_name(caller) and not name:
            raise name_mismatch()
        async with self._d.uow(read_only=True) as tx:
            person = await tx.accounts.person_by_hash(id_number_hash(number, self._d.id_hash_key))
            if person is None or not access.may_know_of(caller, person):
                raise person_not_found()
            if name and person.name != name.strip():
                raise name_mismatch()
            return person, await tx.accounts.wallet(person.id)

    async def transfer_parties(
        self, asks: list[PartiesAsk], verify: Callable[[list], Awaitable[list]]
    ) -> list[TransferParties | DomainError]:
        """The gates' facts for many transfers, each answered in order as if
        asked alone; three reads for the whole batch. Each payer's credential,
        when given, is verified (``verify``: CredentialUseCases.verify_known)
        once the payer is known and before anything about the payee is told;
        an unknown ID number and a wrong name get one answer, and count
        toward the payer's daily limit of misses (R14)."""
        if len(asks) > MAX_PARTIES:
            raise too_many_requests(MAX_PARTIES)
        results: list = [None] * len(asks)
        hashes: dict[int, str] = {}
        for i, ask in enumerate(asks):
            try:
                number = validate_id_number(ask.payee_id_number, "payee_id_number")
            except DomainError as error:
                results[i] = error
                continue
            hashes[i] = id_number_hash(number, self._d.id_hash_key)
        now = self._d.clock.now()
        today = beijing(now).date()
        async with self._d.uow(read_only=True) as tx:
            payer_ids = {asks[i].payer_id for i in hashes}
            by_id, by_hash = await tx.accounts.persons_by_ids_and_hashes(payer_ids, set(hashes.values()))
            misses = Counter(await tx.accounts.payee_misses(payer_ids, today))
        for i in hashes:
            if asks[i].payer_id not in by_id:
                results[i] = person_not_found(asks[i].payer_id)
        credentials = {
            i: credential
            for i in hashes
            if results[i] is None and (credential := asks[i].verification) is not None
        }
        checking = list(credentials)
        verified = await verify([(asks[i].payer_id, Purpose.TRANSFER, *credentials[i]) for i in checking])
        for i, outcome in zip(checking, verified, strict=True):
            if isinstance(outcome, DomainError):
                results[i] = outcome
        elsewhere = await self._payees_elsewhere(
            {i: hashes[i] for i in hashes if results[i] is None and hashes[i] not in by_hash}, asks, results
        )
        found: dict[int, tuple[Person, Person]] = {}
        missed: Counter[str] = Counter()
        for i in (i for i in hashes if results[i] is None):
            payer_id = asks[i].payer_id
            payee = by_hash.get(hashes[i]) or (elsewhere[i][0] if i in elsewhere else None)
            if payee_matches_locked(misses[payer_id] + missed[payer_id]):
                results[i] = payee_match_locked(beijing(next_beijing_midnight(now)).isoformat())
            elif payee is None or payee.name != (asks[i].payee_name or "").strip():
                results[i] = payee_not_found()
                missed[payer_id] += 1
            else:
                found[i] = (by_id[payer_id], payee)
        if missed:
            async with self._d.uow(single_statement=True) as tx:
                await tx.accounts.count_payee_misses(missed, today)
                await tx.commit()
        if found:
            async with self._d.uow(read_only=True) as tx:
                links = await tx.accounts.relations_between({(a.id, b.id) for a, b in found.values()})
                opened = await tx.accounts.wallets(sorted({p.id for pair in found.values() for p in pair}))
            for i, (payer, payee) in found.items():
                link = links.get((payer.id, payee.id))
                kind = link.kind if link else None
                payee_wallet = elsewhere[i][1] if i in elsewhere else opened.get(payee.id)
                results[i] = TransferParties(payer, opened.get(payer.id), payee, payee_wallet, kind)
        return results

    async def _payees_elsewhere(
        self, hashes: dict[int, str], asks: list[PartiesAsk], results: list
    ) -> dict[int, tuple[Person, Wallet | None]]:
        """R24: the payees not kept here, each with their wallet, as the shard
        that keeps them answers (asked at once); a shard that does not answer
        fails its own asks only (UNAVAILABLE naming it, in ``results``)."""
        if self._d.peers is None or not hashes:
            return {}
        peers, wanted = self._d.peers, list(hashes)
        answers = await asyncio.gather(
            *(peers.payee(hashes[i], asks[i].payee_id_number, asks[i].payee_name) for i in wanted),
            return_exceptions=True,
        )
        found = {}
        for i, answer in zip(wanted, answers, strict=True):
            if isinstance(answer, DomainError):
                results[i] = answer
            elif isinstance(answer, BaseException):
                raise answer
            elif answer is not None:
                found[i] = answer
        return found

    async def attest(
        self, caller: Principal, person_id: str, relative_id: str, kind: RelationKind | None
    ) -> tuple[RelativeView, RelativeView]:
        """The link as seen from the person, and the implied inverse. A
        relative kept in another shard (R24) keeps their half there first;
        both halves are idempotent, so a retry finishes an attestation cut
        short between them."""
        if kind is None:
            raise relation_kind_required()
        if person_id == relative_id:
            raise relation_to_self()
        async with self._d.uow(read_only=True) as tx:
            person = await person_for(caller, tx.accounts, person_id, access.PLATFORM)
            relative = await tx.accounts.person(relative_id)
        elsewhere = relative is None and self._d.peers is not None
        if elsewhere:
            assert self._d.peers is not None
            relative = await self._d.peers.person(relative_id)
        if relative is None:
            raise person_not_found(relative_id)
        person.require_active()
        relative.require_active()
        if elsewhere:
            assert self._d.peers is not None
            await self._d.peers.link(relative, person, kind.inverse)
        wanted = Relation(person_id, relative_id, kind, self._d.clock.now())
        relation = await self._link(wanted, relative if elsewhere else None)
        return RelativeView(relation, relative), RelativeView(relation.inverse(), person)

    async def link(self, person_id: str, relative: Person, kind: RelationKind | None) -> RelativeView:
        """R24: the half kept here of a relation attested in the relative's
        shard, with the relative remembered as that shard tells of them."""
        if kind is None:
            raise relation_kind_required()
        if person_id == relative.id:
            raise relation_to_self()
        async with self._d.uow(read_only=True) as tx:
            person = await tx.accounts.person(person_id)
            if await tx.accounts.person(relative.id) is not None:
                raise person_kept_here(relative.id)
        if person is None:
            raise person_not_found(person_id)
        person.require_active()
        relative.require_active()
        relation = await self._link(Relation(person_id, relative.id, kind, self._d.clock.now()), relative)
        return RelativeView(relation, relative)

    async def _link(self, wanted: Relation, remote: Person | None) -> Relation:
        """The live link of the pair: ``wanted``, stored both ways, or the one
        there before (attesting again is a no-op; another kind is
        RELATION_EXISTS). ``remote``: the relative, kept in another shard."""
        async with self._d.uow() as tx:
            relation = await tx.accounts.relation(wanted.person_id, wanted.relative_id)
            if remote is not None:
                await tx.accounts.remember_person(remote)
            if relation is not None:  # there before: only the relative is remembered anew
                await tx.commit()
            elif await tx.accounts.add_link(wanted):
                relation = wanted
                await tx.commit()
            else:  # a concurrent attestation won (nothing is committed): answered as if it came first
                relation = await tx.accounts.relation(wanted.person_id, wanted.relative_id)
                assert relation is not None, "add_link refused only over a live link"
        if relation.kind is not wanted.kind:
            raise relation_exists(relation.kind.value)
        return relation

    async def relatives(self, caller: Principal, person_id: str) -> list[RelativeView]:
        async with self._d.uow(read_only=True) as tx:
            await person_for(caller, tx.accounts, person_id, access.PERSON_READERS)
            return await tx.accounts.relatives(person_id)

    async def admit(self, person: Person, move: Move) -> Person:
        """R24: a person moving here from another shard (usecases/moves.py)."""
        return await self._moves.admit(person, move)

    async def lapse_remote(self, person_id: str) -> int:
        """R24: the relations here of a person kept in another shard lapse,
        as theirs did there (followed from that shard's feed). Nothing lapses
        for a person kept here (one who just moved here, say): theirs lapse
        only through their own insurance, into this shard's feed."""
        async with self._d.uow() as tx:
            if await tx.accounts.person(person_id) is not None:
                return 0
            lapsed = await tx.accounts.lapse_remote_relations(person_id, self._d.clock.now())
            await tx.commit()
        return lapsed

    async def lapses(self, after_id: int, limit: int) -> list[Lapse]:
        async with self._d.uow(read_only=True) as tx:
            return await tx.accounts.lapses_after(after_id, min(max(limit, 1), 1000))
