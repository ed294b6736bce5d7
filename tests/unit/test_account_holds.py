"""The account service's hold -> receive | refund on a fake unit of work:
the two-phase transfer's money moves once, whatever is retried (R10, R15)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.account.domain.holds import Hold, HoldState
from services.account.domain.ledger import AccountKind
from services.account.usecases.common import AccountDeps
from services.account.usecases.holds import HoldUseCases
from services.kernel.clock import FrozenClock
from services.kernel.errors import DomainError
from tests.unit.fakes import AccountTables, account_unit_of_work

PAYER, PAYEE = "payer", "payee"


@pytest.fixture
def tables() -> AccountTables:
    balances = {(PAYER, AccountKind.PERSONAL): 10_000, (PAYEE, AccountKind.WALLET): 0}
    return AccountTables(persons={PAYER, PAYEE}, wallets={PAYEE}, balances=balances)


@pytest.fixture
def holds(tables) -> HoldUseCases:
    clock = FrozenClock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    deps = AccountDeps(account_unit_of_work(tables), clock, None, b"key", "face-key", None)
    return HoldUseCases(deps)


def money(tables) -> dict:
    return {kind.value: fen for (_, kind), fen in tables.balances.items()}


async def test_r15_hold_then_receive_moves_the_money_once(holds, tables):
    held = await holds.hold("t1", PAYER, PAYEE, AccountKind.PERSONAL, 3_000)
    assert held.state is HoldState.PENDING
    assert await holds.hold("t1", PAYER, PAYEE, AccountKind.PERSONAL, 3_000) == held  # a retry
    assert money(tables) == {"personal": 7_000, "wallet": 0, "reserved": 3_000}
    received = await holds.receive("t1")
    assert (await holds.receive("t1")) == received and received.state is HoldState.RECEIVED
    assert money(tables) == {"personal": 7_000, "wallet": 3_000, "reserved": 0}


async def test_r15_after_a_refund_a_receipt_is_refused(holds, tables):
    await holds.hold("t1", PAYER, PAYEE, AccountKind.PERSONAL, 3_000)
    assert (await holds.refund("t1")).state is HoldState.REFUNDED
    with pytest.raises(DomainError) as refused:
        await holds.receive("t1")
    assert refused.value.reason == "HOLD_ALREADY_REFUNDED"
    assert money(tables) == {"personal": 10_000, "wallet": 0, "reserved": 0}


async def test_r10_a_hold_beyond_the_balance_moves_nothing_and_keeps_no_hold(holds, tables):
    with pytest.raises(DomainError) as refused:
        await holds.hold("t1", PAYER, PAYEE, AccountKind.PERSONAL, 10_001)
    assert refused.value.reason == "INSUFFICIENT_FUNDS"
    assert tables.holds == {} and money(tables)["personal"] == 10_000  # rolled back whole


async def test_r16_the_same_transfer_id_with_other_content_is_refused(holds):
    await holds.hold("t1", PAYER, PAYEE, AccountKind.PERSONAL, 3_000)
    with pytest.raises(DomainError) as reused:
        await holds.hold("t1", PAYER, PAYEE, AccountKind.PERSONAL, 3_001)
    assert reused.value.reason == "REQUEST_ID_REUSED"


async def test_r15_a_batch_refund_moves_each_pending_hold_once_and_leaves_received_ones(holds, tables):
    tables.balances[(PAYER, AccountKind.PERSONAL)] = 10_000
    for transfer_id in ("t1", "t2", "t3"):
        await holds.hold(transfer_id, PAYER, PAYEE, AccountKind.PERSONAL, 1_000)
    await holds.receive("t2")
    first = await holds.refund_many(["t1", "t2", "t3", "unknown"])
    assert {h.transfer_id: h.state for h in first} == {
        "t1": HoldState.REFUNDED,
        "t2": HoldState.RECEIVED,
        "t3": HoldState.REFUNDED,
    }
    again = await holds.refund_many(["t3", "t1"])  # a batch retried after a crash: nothing moves twice
    assert {h.state for h in again} == {HoldState.REFUNDED}
    assert money(tables) == {"personal": 9_000, "wallet": 1_000, "reserved": 0}


async def test_r15_holds_made_together_are_answered_each_as_alone(holds, tables):
    """Group commit: one unit of work for the batch; a balance short for one
    of them sends every hold of the batch through hold() on its own."""
    tables.balances[(PAYER, AccountKind.PERSONAL)] = 2_500
    await holds.hold("t0", PAYER, PAYEE, AccountKind.PERSONAL, 500)
    asked = [
        ("t1", PAYER, PAYEE, AccountKind.PERSONAL, 1_000),
        ("t2", PAYER, PAYEE, AccountKind.PERSONAL, 1_000),
        ("t3", PAYER, PAYEE, AccountKind.PERSONAL, 1_000),  # 500 short: refused alone
        ("t0", PAYER, PAYEE, AccountKind.PERSONAL, 500),  # a retry of an earlier hold
        ("t0", PAYER, PAYEE, AccountKind.PERSONAL, 501),  # the same id with other content
        ("", PAYER, PAYEE, AccountKind.PERSONAL, 1),  # malformed
    ]
    answers = await holds.hold_many(asked)
    kinds = [a.state.value if isinstance(a, Hold) else a.reason for a in answers]
    assert kinds == [
        "pending",
        "pending",
        "INSUFFICIENT_FUNDS",
        "pending",
        "REQUEST_ID_REUSED",
        "TRANSFER_ID_REQUIRED",
    ]
    assert money(tables) == {"personal": 0, "wallet": 0, "reserved": 2_500}


async def test_r15_holds_made_together_in_one_unit_of_work(holds, tables):
    commits = holds._d.uow.commits
    asked = [(f"t{i}", PAYER, PAYEE, AccountKind.PERSONAL, 1_000) for i in range(5)]
    assert {a.state for a in await holds.hold_many(asked)} == {HoldState.PENDING}
    assert holds._d.uow.commits == commits + 1
    assert money(tables) == {"personal": 5_000, "wallet": 0, "reserved": 5_000}


async def test_r8_a_lapsed_relation_keeps_the_money_from_being_received(holds, tables):
    await holds.hold("t1", PAYER, PAYEE, AccountKind.PERSONAL, 3_000)
    await holds.hold("t2", PAYER, PAYEE, AccountKind.PERSONAL, 1_000)
    tables.lapsed.add((PAYER, PAYEE))
    found, lapsed = await holds.receive_many(["t1", "t2"])
    assert lapsed == {"t1", "t2"} and {h.state for h in found} == {HoldState.PENDING}
    with pytest.raises(DomainError) as refused:
        await holds.receive("t1")
    assert refused.value.reason == "RELATION_LAPSED"
    assert money(tables)["wallet"] == 0
    assert {h.state for h in await holds.refund_many(["t1", "t2"])} == {
        HoldState.REFUNDED
    }  # refunds still go
    assert money(tables) == {"personal": 10_000, "wallet": 0, "reserved": 0}


async def test_r16_copies_of_one_hold_in_a_batch_get_its_answer_and_move_the_money_once(holds, tables):
    asked = [("t1", PAYER, PAYEE, AccountKind.PERSONAL, 3_000)] * 1000
    answers = await holds.hold_many(asked)
    assert len({id(a) for a in answers}) == 1 and answers[0].state is HoldState.PENDING
    assert money(tables) == {"personal": 7_000, "wallet": 0, "reserved": 3_000}


async def test_r22_a_retried_hold_is_found_before_a_lowered_ceiling_refuses_it(holds, tables):
    """The first answer was lost; the ceiling was lowered before the retry.
    The retry answers the hold that was made (else the money would stay in
    the reserved account with its transfer rejected); a new hold that large
    is refused."""
    held = await holds.hold("t1", PAYER, PAYEE, AccountKind.PERSONAL, 3_000)
    holds._d.max_hold = 2_000
    assert await holds.hold("t1", PAYER, PAYEE, AccountKind.PERSONAL, 3_000) == held
    assert await holds.hold_many([("t1", PAYER, PAYEE, AccountKind.PERSONAL, 3_000)]) == [held]
    (refused,) = await holds.hold_many([("t2", PAYER, PAYEE, AccountKind.PERSONAL, 3_000)])
    assert isinstance(refused, DomainError) and refused.reason == "AMOUNT_TOO_LARGE"
    (reused,) = await holds.hold_many([("t1", PAYER, PAYEE, AccountKind.PERSONAL, 2_500)])
    assert isinstance(reused, DomainError) and reused.reason == "REQUEST_ID_REUSED"
    assert money(tables) == {"personal": 7_000, "wallet": 0, "reserved": 3_000}
