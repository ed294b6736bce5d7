"""The transfer use cases on fake units of work and fake neighbours: the
gates, the saga's steps and the lifecycle's races, with no database and no
network (R14, R15, R16, R17)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.kernel.auth import Principal, Role
from services.kernel.clock import FrozenClock
from services.kernel.errors import DomainError, ErrorKind
from services.kernel.region_codes import RegionStatus
from services.kernel.relations import RelationKind
from services.kernel.upstream import UpstreamRefused, UpstreamUnavailable
from services.transfer.domain.policy import TransferPolicy
from services.transfer.domain.transfer import EventType, RefundReason, Source, Status, Transfer
from services.transfer.usecases import lifecycle as lifecycle_module
from services.transfer.usecases.common import TransferDeps
from services.transfer.usecases.lifecycle import Lifecycle
from services.transfer.usecases.saga import Saga
from services.transfer.usecases.submit import SubmitTransfer, SubmitTransferUseCase
from tests.unit.fakes import FakeAccounts, FakeRegions, at, family, transfer_unit_of_work

ENABLED = RegionStatus.ENABLED


class World:
    """The transfer service's use cases wired to fakes, at 10:00 Beijing."""

    def __init__(self) -> None:
        self.clock = FrozenClock(at("2026-03-02T10:00:00"))
        self.uow = transfer_unit_of_work()
        self.parties = family()
        self.accounts = FakeAccounts({"payee-number": self.parties})
        codes = {self.parties.payer.insured_region, self.parties.payee.place_of_use}
        self.regions = FakeRegions(dict.fromkeys(codes, ENABLED))
        deps = self.deps = TransferDeps(self.uow, self.clock, TransferPolicy(), self.accounts, self.regions)
        saga = Saga(deps)
        self.submit_case, self.lifecycle = SubmitTransferUseCase(deps, saga), Lifecycle(deps, saga)
        self.payer = Principal("payer", Role.CITIZEN, person_id=self.parties.payer.person_id)
        self.payee = Principal("payee", Role.CITIZEN, person_id=self.parties.payee.person_id)

    def command(self, **over) -> SubmitTransfer:
        values = dict(
            payer_id=self.parties.payer.person_id,
            source=Source.PERSONAL,
            payee_name="李秀英",
            payee_id_number="payee-number",
            relation=RelationKind.PARENT,
            amount=30_000,
            password="258036",
            face_ticket=None,
            request_id="req-1",
        )
        return SubmitTransfer(**(values | over))

    async def submit(self, **over):
        return await self.submit_case(self.payer, self.command(**over))

    @property
    def tables(self):
        return self.uow._store


@pytest.fixture
def world() -> World:
    return World()


async def test_r15_an_accepted_transfer_is_held_and_pending(world):
    t = await world.submit()
    assert t.status is Status.PENDING
    assert world.accounts.holds == {t.id: "pending"}
    assert [e[2] for e in world.tables.events] == [EventType.CREATED]
    assert world.tables.daily == {(t.payer_id, t.created_at.date()): 1}
    assert t.expires_at == at("2026-03-03T06:00:00")


async def test_r14_a_failed_gate_moves_nothing_and_records_nothing(world):
    world.regions.statuses_by_code[world.parties.payee.place_of_use] = RegionStatus.DISABLED
    with pytest.raises(DomainError) as refused:
        await world.submit()
    assert (refused.value.reason, refused.value.metadata["role"]) == (
        "REGION_NOT_ENABLED",
        "payee_place_of_use",
    )
    assert world.accounts.calls == [("verify", world.parties.payer.person_id)]  # verified, nothing held
    assert world.tables.transfers == {} and world.tables.daily == {}


async def test_r14_the_credential_is_checked_before_any_gate_that_looks_at_the_payee(world):
    world.regions.statuses_by_code[world.parties.payee.place_of_use] = RegionStatus.DISABLED
    with pytest.raises(DomainError) as refused:
        await world.submit(password="000000")
    assert refused.value.reason == "VERIFICATION_FAILED"  # not the payee's region
    assert world.accounts.calls == [("verify", world.parties.payer.person_id)]
    assert world.tables.transfers == {}


async def submit_refused_at_hold(world, kind: ErrorKind, reason: str):
    """Submits while the account service answers the hold with this error; the transfer as recorded."""
    world.accounts.refuse_hold = DomainError(kind, reason, "the hold was not made")
    with pytest.raises(DomainError):
        await world.submit()
    (t,) = world.tables.transfers.values()
    return t


async def test_r14_a_refused_hold_rejects_the_transfer_and_gives_the_daily_slot_back(world):
    t = await submit_refused_at_hold(world, ErrorKind.FAILED_PRECONDITION, "INSUFFICIENT_FUNDS")
    assert t.status is Status.REJECTED
    assert set(world.tables.daily.values()) == {0}
    assert world.tables.events == []  # nothing happened that a platform must learn


async def test_r17_an_unanswered_hold_leaves_the_transfer_accepted_for_the_worker(world):
    t = await submit_refused_at_hold(world, ErrorKind.UNAVAILABLE, "UPSTREAM_UNAVAILABLE")
    assert t.status is Status.ACCEPTED
    world.accounts.refuse_hold = None
    assert await world.lifecycle.resume(at_start=True) == 1
    assert world.tables.transfers[t.id].status is Status.PENDING
    assert world.accounts.calls.count(("hold", t.id)) == 2  # the same hold, asked again


async def test_r16_the_same_request_is_the_same_transfer_and_other_content_is_refused(world):
    first = await world.submit()
    assert await world.submit() == first
    with pytest.raises(DomainError) as reused:
        await world.submit(amount=30_001)
    assert reused.value.reason == "REQUEST_ID_REUSED"
    assert world.accounts.calls.count(("hold", first.id)) == 1


async def test_r15_receive_before_expiry_credits_the_payee_once(world):
    t = await world.submit()
    received = await world.lifecycle.receive(world.payee, t.id)
    again = await world.lifecycle.receive(world.payee, t.id)
    assert received.status is again.status is Status.RECEIVED
    assert world.accounts.holds[t.id] == "received"
    assert world.accounts.calls.count(("received", t.id)) == 1
    assert [e[2] for e in world.tables.events] == [EventType.CREATED, EventType.RECEIVED]


async def test_r15_at_0600_the_refund_wins_and_a_late_receipt_is_refused(world):
    t = await world.submit()
    world.clock.set(t.expires_at)
    with pytest.raises(DomainError) as late:
        await world.lifecycle.receive(world.payee, t.id)
    assert late.value.reason == "TRANSFER_EXPIRED"
    assert await world.lifecycle.refund_expired() == 1
    done = world.tables.transfers[t.id]
    assert (done.status, done.refund_reason) == (Status.REFUNDED, RefundReason.EXPIRED)
    assert world.accounts.holds[t.id] == "refunded"
    assert await world.lifecycle.refund_expired() == 0  # nothing is refunded twice


async def test_r15_decline_refunds_at_once_and_only_the_payee_may(world):
    t = await world.submit()
    with pytest.raises(DomainError) as refused:
        await world.lifecycle.decline(world.payer, t.id)
    assert refused.value.kind is ErrorKind.PERMISSION_DENIED
    declined = await world.lifecycle.decline(world.payee, t.id)
    assert (declined.status, declined.refund_reason) == (Status.REFUNDED, RefundReason.DECLINED)
    with pytest.raises(DomainError) as after:
        await world.lifecycle.receive(world.payee, t.id)
    assert after.value.reason == "TRANSFER_NOT_PENDING"


async def test_r17_a_decision_recorded_before_a_crash_is_carried_out_on_resume(world):
    t = await world.submit()
    async with world.uow() as tx:  # the receipt was decided, then the process died
        await tx.transfers.move(t.id, Status.RECEIVING, world.clock.now())
        await tx.commit()
    world.clock.advance(minutes=1)
    assert await world.lifecycle.resume(at_start=True) == 1
    assert world.tables.transfers[t.id].status is Status.RECEIVED
    assert world.accounts.holds[t.id] == "received"


async def test_r14_the_daily_limit_counts_refunded_transfers(world):
    for n in range(3):
        t = await world.submit(request_id=f"req-{n}")
        await world.lifecycle.decline(world.payee, t.id)
    with pytest.raises(DomainError) as refused:
        await world.submit(request_id="req-4")
    assert refused.value.reason == "DAILY_TRANSFER_LIMIT"
    world.clock.set(at("2026-03-03T07:00:00"))  # the next Beijing day
    assert (await world.submit(request_id="req-5")).status is Status.PENDING


async def test_r14_one_pending_transfer_per_payee(world):
    await world.submit()
    with pytest.raises(DomainError) as refused:
        await world.submit(request_id="req-2")
    assert refused.value.reason == "PAYEE_HAS_PENDING_TRANSFER"


async def test_r14_the_window_is_checked_before_anyone_is_asked(world):
    world.clock.set(at("2026-03-02T22:00:00"))
    with pytest.raises(DomainError) as refused:
        await world.submit()
    assert refused.value.reason == "TRANSFER_WINDOW_CLOSED"
    assert world.regions.calls == 0 and world.accounts.calls == []
    assert refused.value.metadata["next_open_time"] == "2026-03-03T06:00:00+08:00"  # Beijing time


async def test_r15_a_decline_after_0600_is_refused_and_the_refund_is_the_expirys(world):
    t = await world.submit()
    world.clock.set(t.expires_at)
    with pytest.raises(DomainError) as late:
        await world.lifecycle.decline(world.payee, t.id)
    assert late.value.reason == "TRANSFER_EXPIRED"
    assert world.tables.transfers[t.id].status is Status.PENDING  # nothing recorded as declined
    assert await world.lifecycle.refund_expired() == 1
    done = world.tables.transfers[t.id]
    assert (done.status, done.refund_reason) == (Status.REFUNDED, RefundReason.EXPIRED)


async def test_r15_before_0600_the_sweep_takes_nothing_and_a_decline_wins(world):
    t = await world.submit()
    world.clock.set(t.expires_at - timedelta(seconds=1))
    assert await world.lifecycle.refund_expired() == 0
    declined = await world.lifecycle.decline(world.payee, t.id)
    assert (declined.status, declined.refund_reason) == (Status.REFUNDED, RefundReason.DECLINED)


def accepted(world: World, n: int) -> Transfer:
    """Transfer ``t-n`` of its own payer, accepted (not yet held), stored in the fake tables."""
    now = world.clock.now()
    t = Transfer(
        f"t-{n}", f"r-{n}", "h", f"payer-{n}", "payee", "李秀英", "1101**", RelationKind.PARENT,
        Source.PERSONAL, 100, Status.ACCEPTED, "450000", "110000", now, world.deps.policy.expires_at(now),
    )  # fmt: skip
    world.tables.transfers[t.id] = t
    return t


async def test_r17_resume_walks_every_stuck_transfer_past_a_page(world, monkeypatch):
    """The oldest page cannot be finished now (the account service does not
    answer for those): the walk goes on past it, and ends."""
    monkeypatch.setattr(lifecycle_module, "RESUME_PAGE", 2)
    stuck = [accepted(world, n) for n in range(5)]
    real_hold = world.accounts.hold

    async def hold(asked):
        if asked[0].id in ("t-0", "t-1"):
            raise UpstreamUnavailable.of("account")
        return await real_hold(asked)

    world.accounts.hold = hold
    assert await world.lifecycle.resume(at_start=True) == 3
    statuses = [world.tables.transfers[t.id].status for t in stuck]
    assert statuses == [Status.ACCEPTED] * 2 + [Status.PENDING] * 3


async def test_r21_a_hold_call_refused_as_a_whole_is_split_until_each_refusal_is_its_own(world):
    """The account service refuses a whole HoldTransfers call that carries one
    bad hold: nothing was held, so the saga asks again in halves, and only
    the bad one is rejected; the others are held."""
    sizes = []
    real_hold = world.accounts.hold

    async def hold(asked):
        sizes.append(len(asked))
        if any(t.id == "t-2" for t in asked):
            raise UpstreamRefused(
                ErrorKind.INVALID_ARGUMENT, "AMOUNT_TOO_LARGE", "too much", upstream="account"
            )
        return await real_hold(asked)

    world.accounts.hold = hold
    batch = [accepted(world, n) for n in range(4)]
    answers = await Saga(world.deps).hold(batch)
    assert [type(a).__name__ for a in answers] == ["Transfer", "Transfer", "UpstreamRefused", "Transfer"]
    assert {t: world.tables.transfers[t].status for t in ("t-0", "t-2")} == {
        "t-0": Status.PENDING,
        "t-2": Status.REJECTED,
    }
    assert sizes[0] == 4 and len(sizes) > 1
