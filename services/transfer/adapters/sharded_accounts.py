"""The account service as shards (R24, docs/sharding.md), behind the one
AccountPort the saga calls: each call goes to the shard of the province
concerned, so that a shard that is down stops only the transfers that need
it, and they fail fast with UNAVAILABLE naming it (``account:<shard>``).

- the gates' facts (parties) go to the payer's shard, found through the
  national person index (that shard asks the payee's, when another keeps
  them);
- a transfer's money goes to its payer's province's shard: the hold, the
  refund, and the first leg of a receipt; when the payee is kept in another
  shard the second leg (CreditTransfers) goes to theirs, and the transfer
  counts as received only once both legs are done — until then it stays
  RECEIVING, and resume repeats both legs (each idempotent by transfer id);
- the relation lapses are followed per shard, each from its own cursor,
  and each is spread to the other shards, which may keep links with the
  person, before the transfers it affects are refunded.

With an empty shard map every call goes to the one account service."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any, cast

from services.kernel.errors import DomainError
from services.kernel.shard_clients import ShardChannels as KernelShardChannels
from services.kernel.shard_clients import no_shard_for
from services.kernel.shard_map import Shard, ShardDirectory, ShardMap
from services.kernel.upstream import UpstreamError
from services.transfer.adapters.account_client import AccountClient
from services.transfer.adapters.hold_reader import HoldReader
from services.transfer.domain.parties import Parties
from services.transfer.domain.settlement import ClearingLine, ClearingStatements
from services.transfer.domain.transfer import Transfer
from services.transfer.usecases.ports import PartiesAsk


def _per_item(groups: Mapping[Shard, list], answers: Mapping[Shard, object]) -> Iterator[tuple[Any, Any]]:
    """Each item asked with its answer: the shard's answer for it, or the
    UpstreamError that shard failed with."""
    for shard, answered in answers.items():
        for k, item in enumerate(groups[shard]):
            yield item, answered if isinstance(answered, UpstreamError) else answered[k]  # type: ignore[index]


def _union(answers: Mapping[Shard, object]) -> set[str]:
    """The ids given back by the shards that answered."""
    return set().union(*(a for a in answers.values() if not isinstance(a, UpstreamError)))  # type: ignore[arg-type]


def _raise_if_all_failed(answers: Mapping[Shard, object]) -> None:
    """Every shard asked failed: the call fails as one account service's would."""
    failures = [a for a in answers.values() if isinstance(a, UpstreamError)]
    if answers and len(failures) == len(answers):
        raise failures[0]


class ShardedAccounts:
    def __init__(
        self,
        directory: ShardDirectory,
        single: AccountClient,
        client_of: Callable[[Shard], AccountClient],
        locate: Callable[[list[str]], Awaitable[dict[str, str]]],
    ) -> None:
        self._directory, self._single, self._client_of, self._locate = directory, single, client_of, locate

    async def _shards(self) -> ShardMap:
        return await self._directory.current()

    @staticmethod
    async def _each_shard(groups: Mapping[Shard, list], ask) -> dict[Shard, object]:
        """``ask(shard, items)`` for every shard at once; each shard's answer
        or the UpstreamError it failed with (one shard down stops only its own)."""
        shards = list(groups)
        answers = await asyncio.gather(*(ask(s, groups[s]) for s in shards), return_exceptions=True)
        for answer in answers:
            if isinstance(answer, BaseException) and not isinstance(answer, UpstreamError):
                raise answer
        return dict(zip(shards, answers, strict=True))

    # --- the gates' facts
    async def parties(self, asks: list[PartiesAsk]) -> list[Parties | DomainError]:
        shards = await self._shards()
        if shards.single:
            return await self._single.parties(asks)
        provinces = await self._locate(sorted({payer_id for payer_id, *_ in asks}))
        groups: dict[Shard, list[int]] = defaultdict(list)
        answers: list[Parties | DomainError | None] = [None] * len(asks)
        for i, (payer_id, *_) in enumerate(asks):
            # A payer the index does not know: the first shard answers PERSON_NOT_FOUND.
            shard = shards.shard_of(provinces[payer_id]) if payer_id in provinces else shards.shards[0]
            if shard is None:
                answers[i] = no_shard_for(provinces[payer_id])
            else:
                groups[shard].append(i)

        async def gates(shard: Shard, indexes: list[int]):
            return await self._client_of(shard).parties([asks[i] for i in indexes])

        for i, answer in _per_item(groups, await self._each_shard(groups, gates)):
            answers[i] = answer
        return [a for a in answers if a is not None]

    # --- the money of transfers
    def _by_payer(self, shards: ShardMap, transfers: list[Transfer]):
        """Transfers grouped by their payer's shard, and the unroutable ones."""
        groups: dict[Shard, list[Transfer]] = defaultdict(list)
        unowned: list[Transfer] = []
        for t in transfers:
            shard = shards.shard_of(t.payer_province)
            (groups[shard] if shard is not None else unowned).append(t)
        return groups, unowned

    @staticmethod
    def _elsewhere(shards: ShardMap, t: Transfer) -> bool:
        return shards.shard_of(t.payee_province) != shards.shard_of(t.payer_province)

    async def hold(self, transfers: list[Transfer]) -> list[DomainError | None]:
        shards = await self._shards()
        if shards.single:
            return await self._single.hold(transfers)
        groups, unowned = self._by_payer(shards, transfers)
        answers: dict[str, DomainError | None] = {t.id: no_shard_for(t.payer_province) for t in unowned}

        async def ask(shard: Shard, group: list[Transfer]):
            elsewhere = frozenset(t.id for t in group if self._elsewhere(shards, t))
            return await self._client_of(shard).hold(group, elsewhere)

        for t, answer in _per_item(groups, await self._each_shard(groups, ask)):
            answers[t.id] = answer
        return [answers[t.id] for t in transfers]

    async def refund(self, t: Transfer) -> None:
        shards = await self._shards()
        if shards.single:
            return await self._single.refund(t)
        shard = shards.shard_of(t.payer_province)
        if shard is None:
            raise no_shard_for(t.payer_province)
        await self._client_of(shard).refund(t)

    async def receive_many(self, transfers: list[Transfer]) -> tuple[set[str], set[str]]:
        """Both legs: the transfers received (within a shard, or once the
        payee's shard credited them) and those refused as lapsed (R8)."""
        shards = await self._shards()
        if shards.single:
            return await self._single.receive_many(transfers)
        groups, _ = self._by_payer(shards, transfers)

        async def first_leg(shard: Shard, group: list[Transfer]):
            return await self._client_of(shard).receive_many(group)

        received, lapsed = set(), set()
        first = await self._each_shard(groups, first_leg)
        _raise_if_all_failed(first)
        for answered in first.values():
            if not isinstance(answered, UpstreamError):
                received |= answered[0]  # type: ignore[index]
                lapsed |= answered[1]  # type: ignore[index]
        crossing = [t for t in transfers if t.id in received and self._elsewhere(shards, t)]
        payees: dict[Shard, list[Transfer]] = defaultdict(list)
        for t in crossing:
            if (shard := shards.shard_of(t.payee_province)) is not None:
                payees[shard].append(t)

        async def second_leg(shard: Shard, group: list[Transfer]):
            return await self._client_of(shard).credit_many(group)

        credited = _union(await self._each_shard(payees, second_leg))
        received -= {t.id for t in crossing if t.id not in credited}  # leg 2 to come: still receiving
        return received, lapsed

    async def refund_many(
        self, transfer_ids: list[str], payer_provinces: Mapping[str, str] | None = None
    ) -> set[str]:
        shards = await self._shards()
        if shards.single:
            return await self._single.refund_many(transfer_ids, payer_provinces)
        provinces = payer_provinces or {}
        groups: dict[Shard, list[str]] = defaultdict(list)
        for transfer_id in transfer_ids:
            shard = shards.shard_of(provinces[transfer_id]) if transfer_id in provinces else None
            # Where a hold is unknown (the reconciler's hold without a transfer): every shard is asked.
            for s in [shard] if shard is not None else list(shards.shards):
                groups[s].append(transfer_id)

        async def ask(shard: Shard, ids: list[str]):
            return await self._client_of(shard).refund_many(ids)

        answers = await self._each_shard(groups, ask)
        _raise_if_all_failed(answers)
        return _union(answers)

    # --- the relation lapses, one feed per shard
    async def lapse_feeds(self) -> list[str]:
        shards = await self._shards()
        return [""] if shards.single else [s.name for s in shards.shards]

    async def lapses(self, after_id: int, limit: int = 500, feed: str = "") -> list[tuple[int, str]]:
        if not feed:
            return await self._single.lapses(after_id, limit)
        shards = await self._shards()
        shard = next((s for s in shards.shards if s.name == feed), None)
        if shard is None:
            return []
        return await self._client_of(shard).lapses(after_id, limit)

    async def spread_lapse(self, feed: str, person_id: str) -> None:
        """Every other shard lapses its links with the person (they may keep
        relatives of theirs); one that does not answer fails the call, so the
        lapse is read and spread again later."""
        shards = await self._shards()
        others = {s: [person_id] for s in shards.shards if s.name != feed}
        if shards.single or not feed or not others:
            return

        async def ask(shard: Shard, ids: list[str]):
            return await self._client_of(shard).lapse_relations(ids[0])

        for answer in (await self._each_shard(others, ask)).values():
            if isinstance(answer, UpstreamError):
                raise answer

    async def insured_province(self, person_id: str) -> str | None:
        shards = await self._shards()
        if shards.single:
            return await self._single.insured_province(person_id)
        return (await self._locate([person_id])).get(person_id)

    async def clearing_statements(self, month: str) -> ClearingStatements | None:
        """Every shard's clearing statement for the month (R19a over shards):
        all of them or the failure of one that did not answer (a settlement
        is never made of a part of them)."""
        shards = await self._shards()
        if shards.single:
            return await self._single.clearing_statements(month)

        async def ask(shard: Shard, _: list):
            return await self._client_of(shard).clearing_lines(month)

        answers = await self._each_shard({s: [] for s in shards.shards}, ask)
        for answer in answers.values():
            if isinstance(answer, UpstreamError):
                raise answer  # the first shard in the map's order that failed, named
        lines = [line for answer in answers.values() for line in cast(list[ClearingLine], answer)]
        owners = {province: s.name for s in shards.shards for province in s.provinces}
        return ClearingStatements(owners, lines)


class ShardChannels(KernelShardChannels):
    """The account shards' channels (kernel/shard_clients.py), as this
    service's clients of each shard."""

    def __init__(self, tls, identity) -> None:
        super().__init__(tls)
        self._identity = identity

    def client(self, shard: Shard) -> AccountClient:
        return AccountClient(self.channel(shard), self._identity, f"account:{shard.name}")

    def reader(self, shard: Shard) -> HoldReader:
        return HoldReader(self.channel(shard), self._identity, f"account:{shard.name}")
