"""What must hold after every seed, read from the state alone (the two
services' tables and what callers were told), never from the trace."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from services.account.domain.holds import HoldState
from services.transfer.domain.transfer import Status

if TYPE_CHECKING:
    from tests.sim.world import World

FINAL_HOLD: dict[Status, set[HoldState | None]] = {
    Status.RECEIVED: {HoldState.RECEIVED},
    Status.REFUNDED: {HoldState.REFUNDED},
    Status.REJECTED: {HoldState.REFUNDED, None},  # refused, or held and given back
}


class InvariantBroken(AssertionError):
    pass


def _fail(world: World, what: str) -> None:
    raise InvariantBroken(f"seed {world.seed}: {what}")


def money_conserved(world: World) -> None:
    total = sum(world.account_tables.balances.values())
    if total != world.money:
        _fail(world, f"money not conserved: {total} fen in all accounts, {world.money} at the start")
    negative = {k: v for k, v in world.account_tables.balances.items() if v < 0}
    if negative:
        _fail(world, f"negative balances: {negative}")


def every_transfer_final_with_its_hold(world: World) -> None:
    holds = world.account_tables.holds
    for t in world.transfer_tables.transfers.values():
        hold = holds.get(t.id)
        state = hold.state if hold else None
        if not t.status.final:
            _fail(world, f"transfer {t.id} left {t.status.value} (hold: {state})")
        if state not in FINAL_HOLD[t.status]:
            _fail(world, f"transfer {t.id} is {t.status.value} but its hold is {state}")
    for transfer_id, hold in holds.items():
        if hold.state is HoldState.PENDING:
            _fail(world, f"hold {transfer_id} still pending (transfer: {_status(world, transfer_id)})")
        if transfer_id not in world.transfer_tables.transfers:
            _fail(world, f"hold {transfer_id} ({hold.state.value}) of no transfer")
    reserved = {k: v for k, v in world.account_tables.balances.items() if k[1].value == "reserved" and v}
    if reserved:
        _fail(world, f"money left reserved: {reserved}")


def _status(world: World, transfer_id: str) -> str:
    t = world.transfer_tables.transfers.get(transfer_id)
    return t.status.value if t else "none"


def daily_limit(world: World) -> None:
    per_day = Counter(
        (t.payer_id, world.policy.day_of(t.created_at))
        for t in world.transfer_tables.transfers.values()
        if t.status is not Status.REJECTED
    )
    over = {key: n for key, n in per_day.items() if n > world.policy.per_day}
    if over:
        _fail(world, f"daily limit ({world.policy.per_day}) exceeded: {over}")


def one_open_per_pair(world: World) -> None:
    open_pairs = Counter(
        (t.payer_id, t.payee_id) for t in world.transfer_tables.transfers.values() if not t.status.final
    )
    twice = {pair: n for pair, n in open_pairs.items() if n > 1}
    if twice:
        _fail(world, f"payees with more than one open transfer from one payer: {twice}")


def one_transfer_per_request(world: World) -> None:
    """R16: a request id makes one transfer; every answer to it names that one."""
    stored = Counter((t.payer_id, t.request_id) for t in world.transfer_tables.transfers.values())
    if twice := {k: n for k, n in stored.items() if n > 1}:
        _fail(world, f"request ids with more than one transfer: {twice}")
    by_request = {(t.payer_id, t.request_id): t.id for t in world.transfer_tables.transfers.values()}
    for key, answered in world.answers.by_request.items():
        if len(answered) > 1 or answered != {by_request.get(key)}:
            _fail(world, f"request {key} answered with {sorted(answered)}, stored {by_request.get(key)}")


def check_all(world: World) -> None:
    for check in (
        money_conserved,
        every_transfer_final_with_its_hold,
        daily_limit,
        one_open_per_pair,
        one_transfer_per_request,
    ):
        check(world)
