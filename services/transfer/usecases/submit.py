"""Submitting a transfer (R13, R14, R16): every gate before any money moves."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cached_property

from services.kernel import calls
from services.kernel.auth import Principal
from services.kernel.batching import MicroBatcher
from services.kernel.errors import DomainError
from services.kernel.idempotency import content_hash, reused_request_id, validate_request_id
from services.kernel.region_codes import RegionStatus, province_of
from services.kernel.relations import RelationKind
from services.kernel.upstream import UpstreamError, UpstreamRefused
from services.transfer.domain.errors import (
    daily_limit,
    payee_has_pending_transfer,
    payee_wallet_not_opened,
    payer_wallet_not_opened,
    region_not_enabled,
    relation_required,
    source_required,
    source_requires_employee_insurance,
    verification_required,
)
from services.transfer.domain.parties import Parties
from services.transfer.domain.transfer import (
    Source,
    Status,
    Transfer,
    check_amount,
    check_not_self,
    check_relation,
    check_window,
)
from services.transfer.usecases.access import require_payer
from services.transfer.usecases.common import BATCHES_IN_FLIGHT, TransferDeps
from services.transfer.usecases.saga import Saga

BATCH_WINDOW = 0.002  # seconds a submission waits for others to travel with
BATCH_MAX = 64  # submissions per batch
HOLD_SECONDS = 2.0  # the least time the hold of accepted transfers is given


@dataclass(frozen=True)
class SubmitTransfer:
    payer_id: str
    source: Source | None
    payee_name: str
    payee_id_number: str
    relation: RelationKind | None  # what the payee is to the payer
    amount: int
    password: str | None
    face_ticket: str | None
    request_id: str

    @cached_property
    def fingerprint(self) -> str:
        """What makes two submissions the same request (the verification is
        left out: a retry may carry a fresh face ticket)."""
        return content_hash(
            {
                "payer": self.payer_id,
                "source": self.source and self.source.value,
                "name": self.payee_name.strip(),
                "id": self.payee_id_number.strip().upper(),
                "relation": self.relation and self.relation.value,
                "amount": self.amount,
            }
        )


class SubmitTransferUseCase:
    """Concurrent submissions travel together (group commit, TigerBeetle's
    batching): one replay read, one account call for the credentials and
    parties, one transaction to accept them, one hold call and one
    transaction to record them, for the whole batch; each is answered as if
    it had been submitted alone."""

    def __init__(self, deps: TransferDeps, saga: Saga, max_wait: float = BATCH_WINDOW) -> None:
        self._d = deps
        self._saga = saga
        self._batches: MicroBatcher[SubmitTransfer, Transfer] = MicroBatcher(
            self._submit_together, max_items=BATCH_MAX, max_wait=max_wait, max_in_flight=BATCHES_IN_FLIGHT
        )
        self._running: dict[tuple[str, str, str], asyncio.Future] = {}

    @property
    def batcher(self) -> MicroBatcher[SubmitTransfer, Transfer]:
        """The submissions' group commit (its figures: kernel/metrics.py)."""
        return self._batches

    async def __call__(self, caller: Principal, cmd: SubmitTransfer) -> Transfer:
        require_payer(caller, cmd.payer_id)
        cmd = replace(cmd, request_id=validate_request_id(cmd.request_id, required=True))
        if cmd.source is None:
            raise source_required()
        if cmd.relation is None:
            raise relation_required()
        if not (cmd.password or cmd.face_ticket):
            raise verification_required()
        # R16: copies of a request that is still being worked on (a client's
        # timeout-and-retry) wait for its answer; once it is done, the replay
        # read finds the transfer it made.
        key = (cmd.payer_id, cmd.request_id, cmd.fingerprint)
        running = self._running.get(key)
        if running is None:
            running = self._running[key] = asyncio.ensure_future(self._batches.submit(cmd))
            running.add_done_callback(lambda done: self._done(key, done))
        return await asyncio.shield(running)

    def _done(self, key: tuple[str, str, str], done: asyncio.Future) -> None:
        del self._running[key]
        if not done.cancelled():
            done.exception()  # retrieved here: every copy may have gone away

    async def _submit_together(self, cmds: list[SubmitTransfer]) -> list[Transfer | DomainError]:
        """A payer's second submission in a batch goes in a later round, so
        that a round has at most one per payer and the database's per-payer
        limits see them one after the other."""
        rounds: list[list[int]] = []
        seen: Counter[str] = Counter()
        for i, cmd in enumerate(cmds):
            if seen[cmd.payer_id] == len(rounds):
                rounds.append([])
            rounds[seen[cmd.payer_id]].append(i)
            seen[cmd.payer_id] += 1
        answers: list = [None] * len(cmds)
        for members in rounds:
            try:
                outcomes = await self._round([cmds[i] for i in members])
            except DomainError as error:  # a step failed for the whole round
                outcomes = [error] * len(members)
            for i, outcome in zip(members, outcomes, strict=True):
                answers[i] = outcome
        return answers

    async def _round(self, cmds: list[SubmitTransfer]) -> list[Transfer | DomainError]:
        """One round, each member answered on its own (R21): a step that
        fails for the round is split (a refusal) or answers each member with
        the same unknown outcome (the callee away), never one member's fault
        for all."""
        answers: list = [None] * len(cmds)
        async with self._d.uow(read_only=True) as tx:
            earlier = await tx.transfers.by_requests([(c.payer_id, c.request_id) for c in cmds])
        # R14, cheapest first; all before any money moves.
        policy, now = self._d.policy, self._d.clock.now()
        live, unfinished = [], {}
        for i, cmd in enumerate(cmds):
            try:
                if (made := _made_before(cmd, earlier)) is not None:
                    answers[i] = made
                    if made.status is Status.ACCEPTED:  # its hold's outcome was unknown: asked again
                        unfinished[i] = made
                    continue
                check_amount(policy, cmd.amount)
                check_window(policy, now)
                live.append(i)
            except DomainError as error:
                answers[i] = error
        # The account service verifies each credential before it looks at the payee.
        asked = [(c.payer_id, c.payee_id_number, c.payee_name, c.password, c.face_ticket) for c in cmds]
        found = await self._parties([asked[i] for i in live]) if live else []
        # Every region of the round in one (cached) region check.
        codes = {code for p in found if not isinstance(p, DomainError) for code in _regions(p) if code}
        statuses, regions_failed = {}, None
        try:
            statuses = await self._d.regions.statuses(sorted(codes)) if codes else {}
        except UpstreamError as error:  # every member that needs a region check learns it
            regions_failed = error
        accepted: dict[int, Transfer] = {}
        for i, parties in zip(live, found, strict=True):
            try:
                if isinstance(parties, DomainError):
                    raise parties
                accepted[i] = self._gated(cmds[i], parties, statuses, now, regions_failed)
            except DomainError as error:
                answers[i] = error
        for i, refusal in (await self._accept(cmds, accepted)).items():
            del accepted[i]
            if isinstance(refusal, Transfer) and refusal.status is Status.ACCEPTED:
                # A copy of the request at another replica made it and is
                # holding it now: held here too (the hold is idempotent), so
                # both copies answer alike (R16).
                unfinished[i] = refusal
            else:
                answers[i] = refusal
        holding = accepted | unfinished
        # Accepted is a promise: the hold is finished now even if every
        # member of the batch stopped waiting (else the worker does it later).
        calls.extend_deadline(HOLD_SECONDS)
        held = await self._saga.hold(list(holding.values()))
        for i, outcome in zip(holding, held, strict=True):
            answers[i] = outcome
        return answers

    async def _parties(self, asks: list) -> list:
        """The account service's answer for each ask. A call refused as a
        whole verified nothing, so it is asked again in halves until each
        refusal is its own; a call whose outcome is unknown is not repeated
        (each attempt counts towards the lockout, a face ticket is single use)."""
        try:
            return await self._d.accounts.parties(asks)
        except UpstreamRefused as refusal:
            if len(asks) == 1:
                return [refusal]
            half = len(asks) // 2
            return await self._parties(asks[:half]) + await self._parties(asks[half:])
        except UpstreamError as unknown:
            return [unknown] * len(asks)

    def _gated(
        self,
        cmd: SubmitTransfer,
        parties: Parties,
        statuses: dict[str, RegionStatus],
        now: datetime,
        regions_failed: UpstreamError | None = None,
    ) -> Transfer:
        """The gates on the parties' facts; the transfer they let through."""
        if cmd.source is None:  # checked on arrival (__call__); here for the types
            raise source_required()
        if cmd.relation is None:
            raise relation_required()
        payer, payee = parties.payer, parties.payee
        check_not_self(payer.person_id, payee.person_id)
        check_relation(cmd.relation, parties.relation)
        if payer.place_of_use is None:
            raise payer_wallet_not_opened()
        if payee.place_of_use is None:
            raise payee_wallet_not_opened()
        if cmd.source is Source.PERSONAL and not payer.employee:
            raise source_requires_employee_insurance()
        # _regions(parties), with both places known to be present
        regions = (payer.insured_region, payer.place_of_use, payee.place_of_use)
        for code, role in zip(regions, _REGION_ROLES, strict=True):
            if regions_failed is not None:
                raise regions_failed
            if statuses.get(code) is not RegionStatus.ENABLED:
                raise region_not_enabled(code, role)
        return Transfer(
            id=str(uuid.uuid4()),
            request_id=cmd.request_id,
            request_hash=cmd.fingerprint,
            payer_id=payer.person_id,
            payee_id=payee.person_id,
            payee_name=payee.name,
            payee_masked_id_number=payee.masked_id_number,
            relation=cmd.relation,
            source=cmd.source,
            amount=cmd.amount,
            status=Status.ACCEPTED,
            payer_province=province_of(payer.insured_region),
            payee_province=province_of(payee.insured_region),
            created_at=now,
            expires_at=self._d.policy.expires_at(now),
        )

    async def _accept(self, cmds: list[SubmitTransfer], accepted: dict[int, Transfer]) -> dict:
        """Records the transfers, counting each against its payer's limit of
        the day, in one transaction; returns the refusals by index. Both
        limits are the database's (unique keys, a conditional upsert), so
        concurrent submissions cannot slip past them."""
        if not accepted:
            return {}
        policy = self._d.policy
        day = policy.day_of(next(iter(accepted.values())).created_at)
        async with self._d.uow() as tx:
            added = await tx.transfers.add_new(list(accepted.values()))
            counted = await tx.transfers.take_daily_slots(
                [t.payer_id for t in accepted.values() if t.id in added], day, policy.per_day
            )
            over = {i for i, t in accepted.items() if t.id in added and t.payer_id not in counted}
            await tx.transfers.remove([accepted[i].id for i in over])
            await tx.commit()
        refusals: dict = {i: daily_limit(policy.per_day) for i in over}
        clashed = [i for i, t in accepted.items() if t.id not in added]
        if clashed:
            # A copy of the request got in first (the same answer, R16), or
            # the payee has another open transfer from this payer.
            async with self._d.uow(read_only=True) as tx:
                earlier = await tx.transfers.by_requests(
                    [(cmds[i].payer_id, cmds[i].request_id) for i in clashed]
                )
            for i in clashed:
                try:
                    refusals[i] = _made_before(cmds[i], earlier) or payee_has_pending_transfer()
                except DomainError as error:
                    refusals[i] = error
        return refusals


_REGION_ROLES = ("payer_insured_region", "payer_place_of_use", "payee_place_of_use")


def _regions(parties: Parties) -> tuple[str | None, str | None, str | None]:
    """The regions a transfer involves (R14), in the order of _REGION_ROLES."""
    return parties.payer.insured_region, parties.payer.place_of_use, parties.payee.place_of_use


def _made_before(cmd: SubmitTransfer, earlier: dict[tuple[str, str], Transfer]) -> Transfer | None:
    """The transfer this request id made before, if the content is the same."""
    made = earlier.get((cmd.payer_id, cmd.request_id))
    if made is not None and made.request_hash != cmd.fingerprint:
        raise reused_request_id(cmd.request_id)
    return made
