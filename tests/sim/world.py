"""One simulated run (TigerBeetle's VOPR is the model): the transfer
service's REAL use cases (submit, saga, lifecycle) and the account service's
REAL hold use cases, on in-memory units of work, driven by one seeded random
generator that picks the workload, the interleaving of concurrent
coroutines, the faults on the wire and the crashes. A seed replays exactly
(virtual time, seeded ids, a fixed order of everything the run does).

At the end the process restarts once more, everything left is resumed and
swept past every expiry, and the invariants are checked from the state
alone (invariants.py)."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import cast
from unittest import mock

from argon2 import PasswordHasher

from services.account.domain.ledger import AccountKind
from services.account.usecases.common import AccountDeps
from services.account.usecases.holds import HoldUseCases
from services.account.usecases.ports import AccountUnitsOfWork
from services.kernel.auth import Principal, Role
from services.kernel.clock import BEIJING, FrozenClock
from services.kernel.errors import DomainError
from services.kernel.relations import RelationKind
from services.transfer.domain.parties import Parties, Party
from services.transfer.domain.policy import TransferPolicy
from services.transfer.domain.transfer import Source, Status, Transfer
from services.transfer.usecases.common import TransferDeps
from services.transfer.usecases.lifecycle import Lifecycle
from services.transfer.usecases.ports import TransferUnitsOfWork
from services.transfer.usecases.saga import Saga
from services.transfer.usecases.submit import SubmitTransfer, SubmitTransferUseCase
from tests.sim.clients import PASSWORD, AccountSideRegions, Fault, SimAccounts, SimRegions
from tests.sim.loop import VirtualTimeLoop
from tests.unit.fakes import AccountTables, TransferTables, account_unit_of_work, transfer_unit_of_work

PERSONS = 6
START = datetime(2026, 3, 2, 9, 0, tzinfo=BEIJING)


@dataclass
class Answers:
    """What callers were told: per (payer, request id), the transfer ids answered (R16)."""

    by_request: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)

    def note(self, key: tuple[str, str], outcome: object) -> None:
        if isinstance(outcome, Transfer):
            self.by_request.setdefault(key, set()).add(outcome.id)
        elif isinstance(outcome, DomainError):
            self.errors[outcome.reason] = self.errors.get(outcome.reason, 0) + 1
        elif isinstance(outcome, BaseException) and not isinstance(outcome, asyncio.CancelledError):
            raise outcome  # a bug, not a refusal: the use case let something escape


class Process:
    """One life of the transfer service: its use cases, built afresh on restart."""

    def __init__(self, deps: TransferDeps) -> None:
        self.saga = Saga(deps)
        self.submit = SubmitTransferUseCase(deps, self.saga, max_wait=0.001)
        self.lifecycle = Lifecycle(deps, self.saga)


class World:
    def __init__(self, seed: int, steps: int | None = None) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.steps = steps if steps is not None else self.rng.randint(20, 50)
        self.clock = FrozenClock(START + timedelta(minutes=self.rng.randint(0, 600)))
        self.policy = TransferPolicy()
        self.trace: list[str] = []
        self.answers = Answers()
        self.faults_on = True
        self.fault_rate = self.rng.choice([0.0, 0.05, 0.15, 0.3])
        self.pause_rate = self.rng.choice([0.2, 0.5, 0.8])
        self._requests: list[SubmitTransfer] = []
        self._build_people()
        # the account service: the real holds on in-memory tables
        self.account_tables = AccountTables(
            persons={p.person_id for p in self.people},
            wallets={p.person_id for p in self.people},
            balances=self._balances(),
        )
        self.money = sum(self.account_tables.balances.values())
        account_uow = account_unit_of_work(self.account_tables)
        account_uow.pause = self.pause
        account_deps = AccountDeps(
            # The fake keeps only the holds' part of the account store
            # (ports.HoldsRepository, LedgerPort; see ports_check.py).
            cast(AccountUnitsOfWork, account_uow),
            self.clock,
            AccountSideRegions(),
            b"sim",
            "sim",
            PasswordHasher(),
            max_hold=self.policy.max_amount_fen,
        )
        self.account_deps = account_deps
        self.lapse_log: list[tuple[int, str]] = []
        self.accounts = SimAccounts(
            HoldUseCases(account_deps), self.parties_of, self.lapse_log, self.choose_fault, self.pause
        )
        # the transfer service's database outlives its processes
        self.transfer_tables = TransferTables()
        self.transfer_uow = transfer_unit_of_work(self.transfer_tables)
        self.transfer_uow.pause = self.pause
        self.deps = TransferDeps(
            # The fake keeps the money path's part (ports.TransferRepository).
            cast(TransferUnitsOfWork, self.transfer_uow),
            self.clock,
            self.policy,
            self.accounts,
            SimRegions(self.pause),
        )
        self.process = Process(self.deps)
        self.crashes = 0

    # --- the people and what the account service knows of them
    def _build_people(self) -> None:
        self.people = [
            Party(f"p{i}", f"name{i}", f"ID{i}****", "450102", self.rng.random() < 0.7, "450102")
            for i in range(PERSONS)
        ]
        self.relation: dict[tuple[str, str], RelationKind] = {}
        for a in self.people:
            for b in self.people:
                if a is not b and self.rng.random() < 0.5:
                    self.relation[(a.person_id, b.person_id)] = self.rng.choice(list(RelationKind))

    def _balances(self) -> dict:
        balances = {}
        for p in self.people:
            balances[(p.person_id, AccountKind.WALLET)] = self.rng.choice([0, 50_000, 500_000])
            if p.employee:
                balances[(p.person_id, AccountKind.PERSONAL)] = self.rng.choice([10_000, 500_000, 2_000_000])
        return balances

    def parties_of(self, payer_id: str, number: str) -> Parties | None:
        payer = next(p for p in self.people if p.person_id == payer_id)
        payee = next((p for p in self.people if p.masked_id_number == number), None)
        if payee is None:
            return None
        lapsed = (payer_id, payee.person_id) in self.account_tables.lapsed
        return Parties(payer, payee, None if lapsed else self.relation.get((payer_id, payee.person_id)))

    # --- the scheduler's choices
    async def pause(self, where: str) -> None:
        if self.rng.random() < self.pause_rate:
            for _ in range(self.rng.randint(1, 4)):
                await asyncio.sleep(0)

    def choose_fault(self, method: str) -> Fault:
        if not self.faults_on or self.rng.random() >= self.fault_rate:
            return Fault.NONE
        return self.rng.choice([Fault.LOST_REQUEST, Fault.LOST_REPLY, Fault.DUPLICATE])

    # --- the workload
    def _new_request(self) -> SubmitTransfer:
        payer = self.rng.choice(self.people)
        relatives = [b for (a, b) in self.relation if a == payer.person_id]
        if relatives and self.rng.random() < 0.9:
            payee_id = self.rng.choice(relatives)
        else:
            payee_id = self.rng.choice(self.people).person_id
        payee = next(p for p in self.people if p.person_id == payee_id)
        kind = self.relation.get((payer.person_id, payee_id)) or self.rng.choice(list(RelationKind))
        amount = self.rng.choice([1, 100, 5_000, 50_000, 150_000, 200_000, 200_001])
        source = Source.PERSONAL if payer.employee and self.rng.random() < 0.7 else Source.WALLET
        return SubmitTransfer(
            payer.person_id,
            source,
            payee.name,
            payee.masked_id_number,
            kind,
            amount,
            PASSWORD,
            None,
            f"{self.rng.getrandbits(64):016x}",
        )

    def _request(self) -> SubmitTransfer:
        if self._requests and self.rng.random() < 0.25:
            return self.rng.choice(self._requests)  # R16: a retry of an earlier request
        cmd = self._new_request()
        self._requests.append(cmd)
        return cmd

    async def _submit(self, cmd: SubmitTransfer) -> None:
        caller = Principal(cmd.payer_id, Role.CITIZEN, person_id=cmd.payer_id)
        try:
            outcome: object = await self.process.submit(caller, cmd)
        except DomainError as error:
            outcome = error
        self.answers.note((cmd.payer_id, cmd.request_id), outcome)

    def _transfers(self, *states: Status) -> list[Transfer]:
        return [t for t in self.transfer_tables.transfers.values() if not states or t.status in states]

    async def _payee_action(self, decline: bool) -> None:
        candidates = self._transfers(Status.PENDING) or self._transfers()
        if not candidates:
            return
        t = self.rng.choice(candidates)
        caller = Principal(t.payee_id, Role.CITIZEN, person_id=t.payee_id)
        try:
            if decline:
                await self.process.lifecycle.decline(caller, t.id)
            else:
                await self.process.lifecycle.receive(caller, t.id)
        except DomainError:
            pass

    async def _quietly(self, work) -> None:
        try:
            await work
        except DomainError:
            pass  # the account service away: left for resume()

    def _lapse(self) -> None:
        if not self.relation:
            return
        a, b = self.rng.choice(sorted(self.relation))
        self.account_tables.lapsed |= {(a, b), (b, a)}
        self.relation.pop((a, b), None)
        self.relation.pop((b, a), None)
        for person in (a, b):
            self.lapse_log.append((len(self.lapse_log) + 1, person))

    def _jump_clock(self) -> None:
        now = self.clock.now().astimezone(BEIJING)
        choice = self.rng.random()
        if choice < 0.4:
            self.clock.advance(minutes=self.rng.randint(1, 240))
        elif choice < 0.8:  # just before or just after the next 06:00
            six = now.replace(hour=6, minute=0, second=0, microsecond=0)
            if six <= now:
                six += timedelta(days=1)
            self.clock.set(six + timedelta(seconds=self.rng.choice([-1, 0, 1, 3600 * 3])))
        else:
            self.clock.advance(days=1)

    def _lower_ceiling(self) -> None:
        ceiling = self.rng.choice([100_000, 150_000, 200_000])
        self.policy = replace(self.policy, max_amount_fen=ceiling)
        self.deps.policy = self.policy
        self.account_deps.max_hold = ceiling

    def _spawn(self) -> list:
        """The coroutines one step starts, all at once."""
        roll = self.rng.random()
        life = self.process.lifecycle
        if roll < 0.40:
            cmds = [self._request() for _ in range(self.rng.randint(1, 4))]
            if self.rng.random() < 0.2:
                cmds.append(cmds[0])  # a concurrent copy
            self.trace.append(f"submit {len(cmds)}")
            return [self._submit(c) for c in cmds]
        if roll < 0.55:
            self.trace.append("receive")
            return [self._payee_action(decline=False) for _ in range(self.rng.randint(1, 2))]
        if roll < 0.62:
            self.trace.append("decline")
            return [self._payee_action(decline=True)]
        if roll < 0.67:
            self._lapse()
            self.trace.append("lapse")
            return [self._quietly(life.refund_lapsed())]
        if roll < 0.74:
            self.trace.append("sweep")
            return [self._quietly(life.refund_expired())]
        if roll < 0.78:
            self.trace.append("resume")
            return [self._quietly(life.resume())]
        if roll < 0.88:
            self._jump_clock()
            self.trace.append(f"clock {self.clock.now().astimezone(BEIJING):%m-%d %H:%M:%S}")
            return []
        if roll < 0.92:
            self._lower_ceiling()
            self.trace.append(f"ceiling {self.policy.max_amount_fen}")
            return []
        self.trace.append("crash")
        return ["crash"]

    async def _crash(self) -> None:
        """The transfer process dies wherever its coroutines are (between
        two steps of a saga, in a batch, waiting for the account service);
        only what it committed survives. A new process resumes at start."""
        await self._run_a_little()
        me = asyncio.current_task()
        doomed = sorted((t for t in asyncio.all_tasks() if t is not me), key=_creation_order)
        for task in doomed:
            task.cancel()
        await asyncio.gather(*doomed, return_exceptions=True)
        self.crashes += 1
        self.process = Process(self.deps)
        await self._quietly(self.process.lifecycle.resume(at_start=True))

    async def _run_a_little(self) -> None:
        for _ in range(self.rng.randint(0, 30)):
            await asyncio.sleep(0)

    async def run(self) -> None:
        running: list[asyncio.Task] = []
        for _ in range(self.steps):
            for work in self._spawn():
                if work == "crash":
                    await self._crash()
                    running = []
                else:
                    running.append(asyncio.ensure_future(work))
            if running and self.rng.random() < 0.5:
                await asyncio.gather(*running)
                running = []
            else:
                await self._run_a_little()
            check_open_pairs(self)
        if running:
            await asyncio.gather(*running)
        await self.settle()

    async def settle(self) -> None:
        """A last restart without faults; then everything finishes: resumed,
        lapses followed, and swept after the last expiry."""
        self.faults_on = False
        await self._crash()
        life = self.process.lifecycle
        for _ in range(5):
            await life.refund_lapsed()
            await life.resume(at_start=True)
            self.clock.advance(days=2)
            await life.refund_expired()
            await life.resume(at_start=True)
            if not self._transfers(Status.ACCEPTED, Status.PENDING, Status.RECEIVING, Status.REFUNDING):
                return


def _creation_order(task: asyncio.Task) -> int:
    name = task.get_name()
    return int(name.rsplit("-", 1)[1]) if name.rsplit("-", 1)[-1].isdigit() else 0


def check_open_pairs(world: World) -> None:
    from tests.sim.invariants import one_open_per_pair

    one_open_per_pair(world)


@contextmanager
def seeded_ids(rng: random.Random) -> Iterator[None]:
    """Transfer ids from the seed, so that their order (which sorts batches) replays too."""
    with mock.patch("uuid.uuid4", lambda: uuid.UUID(int=rng.getrandbits(128), version=4)):
        yield


def simulate(seed: int, steps: int | None = None) -> World:
    """Runs one seed to the end and checks every invariant; raises
    InvariantBroken (or whatever escaped a use case) if one fails."""
    from tests.sim.invariants import check_all

    world = World(seed, steps)
    loop = VirtualTimeLoop()
    try:
        with seeded_ids(random.Random(seed ^ 0x5EED)):
            loop.run_until_complete(world.run())
    finally:
        loop.close()
    check_all(world)
    return world
