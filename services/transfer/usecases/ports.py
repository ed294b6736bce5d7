"""What the transfer use cases depend on, as typed ports: the unit of work
and its repository, and the clients of the account and region services.
The SQL and gRPC adapters (services/transfer/adapters/) implement them, and
so do the in-memory fakes of the tests and the simulator (tests/unit/fakes.py,
tests/sim/); mypy checks both sides (``make typecheck``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol, Self

from services.kernel.errors import DomainError
from services.kernel.region_codes import RegionStatus
from services.kernel.uow import UnitsOfWork
from services.transfer.domain.notifications import Notification
from services.transfer.domain.parties import Parties
from services.transfer.domain.settlement import ClearingStatements
from services.transfer.domain.transfer import EventType, Status, StoredEvent, Transfer

# (payer id, payee ID number, payee name, password, face ticket)
PartiesAsk = tuple[str, str, str, str | None, str | None]


@dataclass(frozen=True)
class InFlight:
    """The transfers in one state that is not final (the saga's gauges,
    usecases/monitoring.py)."""

    status: Status
    count: int
    oldest_change: datetime  # the earliest last change (updated_at) among them
    expired: int  # how many of them are at or past their expires_at


@dataclass(frozen=True)
class Outbox:
    """Where the event outbox and its followers stand."""

    unnumbered: int  # events written, not yet numbered by the sequencer
    last_sequence: int  # the highest number given (0: none)
    cursors: dict[str, int] = field(default_factory=dict)  # follower -> the last sequence it took


class TransferRepository(Protocol):
    """The money path (submit, saga, lifecycle): every state change is a
    conditional move that arbitrates races; the daily limit and the open pair
    are the store's own constraints."""

    async def get(self, transfer_id: str) -> Transfer | None: ...
    async def by_requests(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Transfer]: ...
    async def take_daily_slots(self, payer_ids: Sequence[str], day: date, limit: int) -> set[str]: ...
    async def give_back_daily_slot(self, payer_id: str, day: date) -> None: ...
    async def add_new(self, new: Sequence[Transfer]) -> set[str]: ...
    async def remove(self, ids: Sequence[str]) -> None: ...
    async def move(self, transfer_id: str, to: Status, now: datetime, **values) -> Transfer | None: ...
    async def get_many(self, ids: Sequence[str]) -> dict[str, Transfer]: ...
    async def claim_due(self, now: datetime, limit: int) -> list[Transfer]: ...
    async def move_many(
        self, ids: Sequence[str], to: Status, now: datetime, from_: Status | None = None, **values
    ) -> list[Transfer]: ...
    async def in_states(
        self,
        states: Sequence[Status],
        older_than: datetime | None,
        limit: int,
        after: tuple[datetime, str] | None = None,
    ) -> list[Transfer]: ...
    async def open_involving(self, person_id: str) -> list[Transfer]: ...
    async def add_events(self, moved: Sequence[Transfer], kind: EventType, now: datetime) -> None: ...
    async def cursor(self, name: str) -> int: ...
    async def set_cursor(self, name: str, position: int) -> None: ...


class TransferReads(Protocol):
    """Queries, the event outbox and notifications."""

    async def count_today(self, payer_id: str, day: date) -> int: ...
    async def in_state_changed(
        self, status: Status, since: datetime | None, after: tuple[datetime, str] | None, limit: int
    ) -> list[tuple[Transfer, datetime]]: ...
    async def of_person(
        self,
        person_id: str,
        statuses: Sequence[Status],
        outgoing: bool,
        incoming: bool,
        before: tuple[datetime, str] | None,
        limit: int,
    ) -> list[Transfer]: ...
    async def received_across_provinces(
        self, start: datetime, end: datetime
    ) -> list[tuple[str, str, int, int]]: ...
    async def add_event(self, t: Transfer, kind: EventType, now: datetime) -> None: ...
    async def sequence_events(self, limit: int = 1000) -> int: ...
    async def events_after(self, province: str | None, after: int, limit: int) -> list[StoredEvent]: ...
    async def record_notifications(self, sent: Sequence[Notification], now: datetime) -> None: ...
    async def notifications_of(
        self, person_id: str, before: int | None, limit: int
    ) -> list[Notification]: ...
    # The saga's gauges (usecases/monitoring.py), read off the request path.
    async def in_flight(self, now: datetime) -> list[InFlight]: ...
    async def finished_since(self, since: datetime) -> dict[Status, int]: ...
    async def outbox(self, cursor_names: Sequence[str]) -> Outbox: ...


class TransferStore(TransferRepository, TransferReads, Protocol):
    """``tx.transfers``: everything the transfer service keeps."""


class TransferUnitOfWork(Protocol):
    """One transaction: ``async with uow() as tx: …; await tx.commit()``;
    leaving without commit() rolls back."""

    @property
    def transfers(self) -> TransferStore: ...

    async def commit(self) -> None: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None: ...


TransferUnitsOfWork = UnitsOfWork[TransferUnitOfWork]


class AccountPort(Protocol):
    """The account service, as the transfer service calls it. A call that
    fails raises kernel.upstream's UpstreamError: UpstreamUnavailable leaves
    the outcome unknown (the callee may have committed), so every mutation is
    idempotent by transfer id."""

    async def parties(self, asks: list[PartiesAsk]) -> list[Parties | DomainError]: ...

    # The money of transfers. The transfer itself is passed where it is known,
    # so that an adapter over account shards (R24) routes each call to the
    # shard of the payer's province (adapters/sharded_accounts.py).
    async def hold(self, transfers: list[Transfer]) -> list[DomainError | None]: ...

    async def refund(self, t: Transfer) -> None: ...

    async def receive_many(self, transfers: list[Transfer]) -> tuple[set[str], set[str]]: ...

    async def refund_many(
        self, transfer_ids: list[str], payer_provinces: Mapping[str, str] | None = None
    ) -> set[str]:
        """``payer_provinces``: where each hold is (a hold without a transfer
        record, which the reconciler refunds, has none: every shard is asked)."""
        ...

    async def lapse_feeds(self) -> list[str]:
        """The relation-lapse feeds to follow: "" for the one account
        service, else one name per shard."""
        ...

    async def lapses(self, after_id: int, limit: int = 500, feed: str = "") -> list[tuple[int, str]]: ...

    async def spread_lapse(self, feed: str, person_id: str) -> None:
        """R24: a lapse read from one shard's feed, applied to the relations
        the other shards keep with that person (idempotent); nothing for the
        one account service."""
        ...

    async def insured_province(self, person_id: str) -> str | None:
        """The province of the person's insured region; None for no such person."""
        ...

    async def clearing_statements(self, month: str) -> ClearingStatements | None:
        """Every account shard's clearing statement for the month (R19a over
        shards, R24), with the map it was read by; None for one account
        service, where nothing crosses shards. A shard that does not answer
        fails the call: never a part of them."""
        ...


class RegionPort(Protocol):
    """The region service: each code's wallet status (cached by the adapter)."""

    async def statuses(self, codes: list[str]) -> dict[str, RegionStatus]: ...
