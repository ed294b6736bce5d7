"""The other services as the simulated transfer service sees them: its
AccountPort carried out by the account service's REAL hold use cases
(services/account/usecases/holds.py) on in-memory tables, with faults
injected on the wire, and its RegionPort by a fake (every region enabled).

A fault is what a network does to one call, chosen by the seeded
scheduler: the request lost (a timeout BEFORE the callee ran), the reply
lost AFTER the callee committed, or the request delivered twice. The first
two raise UpstreamUnavailable, as the gRPC adapter does."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import TypeVar

from services.account.domain.holds import HoldState
from services.account.domain.ledger import AccountKind
from services.account.usecases.holds import HoldUseCases
from services.kernel.errors import DomainError
from services.kernel.region_codes import RegionStatus
from services.kernel.upstream import UpstreamRefused, UpstreamUnavailable
from services.transfer.domain.parties import Parties
from services.transfer.domain.settlement import ClearingStatements
from services.transfer.domain.transfer import Transfer
from services.transfer.usecases.ports import PartiesAsk

T = TypeVar("T")

PASSWORD = "258036"


class Fault(Enum):
    NONE = "none"
    LOST_REQUEST = "lost request"  # timed out before the callee ran
    LOST_REPLY = "lost reply"  # the callee committed; the answer never came
    DUPLICATE = "duplicate"  # delivered twice


@dataclass
class SimAccounts:
    """``choose_fault(method)`` and ``pause(where)`` are the scheduler's."""

    holds: HoldUseCases
    parties_of: Callable[[str, str], Parties | None]  # (payer id, payee ID number) -> facts
    lapse_log: list[tuple[int, str]]
    choose_fault: Callable[[str], Fault]
    pause: Callable[[str], Awaitable[None]]
    faults: list[tuple[str, Fault]] = field(default_factory=list)

    async def _wire(self, method: str, run: Callable[[], Awaitable[T]]) -> T:
        await self.pause(f"{method}: request")
        fault = self.choose_fault(method)
        if fault is not Fault.NONE:
            self.faults.append((method, fault))
        if fault is Fault.LOST_REQUEST:
            raise UpstreamUnavailable.of("account", "timed out")
        try:
            answer = await run()
            if fault is Fault.DUPLICATE:
                answer = await run()
        except DomainError as error:  # the callee's definite refusal
            raise UpstreamRefused.passing_on(error, "account") from None
        await self.pause(f"{method}: reply")
        if fault is Fault.LOST_REPLY:
            raise UpstreamUnavailable.of("account", "timed out")
        return answer

    async def parties(self, asks: list[PartiesAsk]) -> list[Parties | DomainError]:
        await self.pause("parties")
        answers: list[Parties | DomainError] = []
        for payer_id, number, _name, password, _ticket in asks:
            found = self.parties_of(payer_id, number)
            if password != PASSWORD:
                answers.append(_refusal("VERIFICATION_FAILED"))
            elif found is None:
                answers.append(_refusal("PAYEE_NOT_FOUND"))
            else:
                answers.append(found)
        return answers

    async def hold(self, transfers: list[Transfer]) -> list[DomainError | None]:
        asked = [(t.id, t.payer_id, t.payee_id, AccountKind(t.source.value), t.amount) for t in transfers]

        async def run() -> list[DomainError | None]:
            made = await self.holds.hold_many(asked)
            return [
                UpstreamRefused.passing_on(h, "account") if isinstance(h, DomainError) else None for h in made
            ]

        return await self._wire("hold", run)

    async def refund(self, t: Transfer) -> None:
        async def run() -> None:
            await self.holds.refund(t.id)

        await self._wire("refund", run)

    async def receive_many(self, transfers: list[Transfer]) -> tuple[set[str], set[str]]:
        async def run() -> tuple[set[str], set[str]]:
            holds, lapsed = await self.holds.receive_many([t.id for t in transfers])
            return {h.transfer_id for h in holds if h.state is HoldState.RECEIVED}, set(lapsed)

        return await self._wire("receive_many", run)

    async def refund_many(
        self, transfer_ids: list[str], payer_provinces: Mapping[str, str] | None = None
    ) -> set[str]:
        async def run() -> set[str]:
            holds = await self.holds.refund_many(transfer_ids)
            return {h.transfer_id for h in holds if h.state is HoldState.REFUNDED}

        return await self._wire("refund_many", run)

    async def lapse_feeds(self) -> list[str]:
        return [""]

    async def spread_lapse(self, feed: str, person_id: str) -> None:
        """One simulated account service keeps both sides of every relation."""

    async def lapses(self, after_id: int, limit: int = 500, feed: str = "") -> list[tuple[int, str]]:
        async def run() -> list[tuple[int, str]]:
            return [(i, person) for i, person in self.lapse_log if i > after_id][:limit]

        return await self._wire("lapses", run)

    async def insured_province(self, person_id: str) -> str | None:
        """No platform reads notifications in the simulated world: nobody's."""
        return None

    async def clearing_statements(self, month: str) -> ClearingStatements | None:
        """One account service: nothing crosses shards."""
        return None


def _refusal(reason: str) -> DomainError:
    from services.kernel.errors import ErrorKind

    return DomainError(ErrorKind.FAILED_PRECONDITION, reason, reason.lower().replace("_", " "))


@dataclass
class SimRegions:
    pause: Callable[[str], Awaitable[None]]

    async def statuses(self, codes: list[str]) -> dict[str, RegionStatus]:
        await self.pause("regions")
        return dict.fromkeys(codes, RegionStatus.ENABLED)


class AccountSideRegions:
    """The account service's region client; the holds never ask it."""

    async def status(self, code: str) -> RegionStatus:
        return RegionStatus.ENABLED

    async def institution(self, code: str) -> None:
        return None
