"""The money of a transfer, for the transfer service (R10, R15): hold, then
exactly one of receive or refund (domain/holds.py). Each is one balanced
journal entry, idempotent by transfer id, in one unit of work with the hold."""

from __future__ import annotations

from services.account.domain.errors import (
    amount_too_large,
    hold_not_found,
    person_not_found,
    relation_lapsed,
    source_account_missing,
    source_invalid,
    too_many_ids,
    wallet_not_opened,
)
from services.account.domain.holds import Hold, HoldState
from services.account.domain.ledger import (
    AccountKind,
    EntryKind,
    KeyReused,
    Movement,
    clearing_key,
    validate_amount,
    validate_province,
)
from services.account.usecases.common import AccountDeps
from services.kernel.errors import DomainError, required_key
from services.kernel.idempotency import content_hash, reused_request_id

MAX_BATCH = 1000  # holds per HoldTransfers or RefundTransfers call
_KEYS = {
    EntryKind.TRANSFER_HOLD: "hold",
    EntryKind.TRANSFER_RECEIVE: "receive",
    EntryKind.TRANSFER_REFUND: "refund",
}
_TEXTS = {
    EntryKind.TRANSFER_HOLD: "医保钱包转出",
    EntryKind.TRANSFER_RECEIVE: "医保钱包转入",
    EntryKind.TRANSFER_REFUND: "医保钱包转账退回",
}


def _key(entry: EntryKind, transfer_id: str) -> str:
    return f"transfer:{_KEYS[entry]}:{transfer_id}"


def _target(hold: Hold, outcome: HoldState, payer_provinces: dict[str, str]) -> tuple[str, AccountKind]:
    """Where the held money goes: the payee's wallet (or, for a payee kept in
    another shard, what the payer's province owes theirs: R24), or back to
    its source."""
    if outcome is HoldState.RECEIVED and hold.payee_province is not None:
        key = clearing_key(AccountKind.CLEARING_TO, payer_provinces[hold.payer_id], hold.payee_province)
        return key, AccountKind.CLEARING_TO
    if outcome is HoldState.RECEIVED:
        return hold.payee_id, AccountKind.WALLET
    return hold.payer_id, hold.source


async def _payer_provinces(tx, holds: list[Hold], outcome: HoldState) -> dict[str, str]:
    """The provinces of the payers whose money is received into a clearing
    account (R24), as this shard keeps them: the own side of the account.
    It is the province the transfer was made in: a move lapses the payer's
    relations (R8), and the hold of a lapsed relation is refunded, not received."""
    payers = {h.payer_id for h in holds if h.payee_province is not None}
    if outcome is not HoldState.RECEIVED or not payers:
        return {}
    return await tx.accounts.provinces_of(payers)


async def _account_ids(tx, wanted: set[tuple[str, AccountKind]]) -> dict[tuple[str, AccountKind], int]:
    """The ids of persons' accounts and clearing accounts, by (owner or key, kind)."""
    clearing = {key for key in wanted if key[1] is AccountKind.CLEARING_TO}
    ids = await tx.ledger.accounts_of(wanted - clearing)
    for key, kind in sorted(clearing, key=lambda k: k[0]):
        ids[(key, kind)] = await tx.ledger.system_account(key, kind)
    return ids


def _hold_request(hold: Hold) -> dict:
    """What a hold's entry is idempotent on (a payee kept here: as before R24)."""
    request = {
        "payer": hold.payer_id,
        "payee": hold.payee_id,
        "source": hold.source.value,
        "amount": hold.amount,
    }
    return request | ({"payee_province": hold.payee_province} if hold.payee_province else {})


async def _lapsed(tx, pending: list[Hold], outcome: HoldState) -> set[str]:
    """R8: the transfers among ``pending`` whose payer and payee are no
    longer close relatives (the relation lapsed when an insurance ended or
    moved), when they are to be received; such money is only refunded, even
    before the transfer service has followed the lapse."""
    if outcome is not HoldState.RECEIVED or not pending:
        return set()
    lapsed = await tx.accounts.lapsed_between({(h.payer_id, h.payee_id) for h in pending})
    return {h.transfer_id for h in pending if (h.payer_id, h.payee_id) in lapsed}


class HoldUseCases:
    def __init__(self, deps: AccountDeps) -> None:
        self._d = deps

    def _wanted(
        self,
        transfer_id: str,
        payer_id: str,
        payee_id: str,
        source: AccountKind | None,
        amount: int,
        payee_province: str = "",
    ) -> Hold:
        """The hold asked for, well formed; the policy's ceiling is checked
        later, once no earlier hold of the transfer was found (_within_ceiling)."""
        transfer_id = required_key(transfer_id, "transfer_id", "TRANSFER_ID")
        validate_amount(amount)
        if source not in (AccountKind.PERSONAL, AccountKind.WALLET):
            raise source_invalid()
        if payee_province:
            validate_province(payee_province, "payee_province")
        return Hold(transfer_id, payer_id, payee_id, source, amount, payee_province=payee_province or None)

    async def _within_ceiling(self, tx, wanted: list[Hold]) -> dict[str, Hold | DomainError]:
        """For holds over the policy's ceiling: the earlier hold of the same
        transfer, answered as before (a retry after the ceiling was lowered
        must find the money it held, or it would freeze in the reserved
        account); else the refusal."""
        earlier = {h.transfer_id: h for h in await tx.accounts.get_holds([h.transfer_id for h in wanted])}
        answers: dict[str, Hold | DomainError] = {}
        for h in wanted:
            found = earlier.get(h.transfer_id)
            if found is None:
                answers[h.transfer_id] = amount_too_large("amount_fen", self._d.max_hold)
            elif found.same_request(h.payer_id, h.payee_id, h.source, h.amount, h.payee_province):
                answers[h.transfer_id] = found
            else:
                answers[h.transfer_id] = reused_request_id(h.transfer_id)
        return answers

    async def hold(
        self,
        transfer_id: str,
        payer_id: str,
        payee_id: str,
        source: AccountKind | None,
        amount: int,
        payee_province: str = "",
    ) -> Hold:
        """Source -> the payer's reserved account; the hold is pending. A
        payee kept in another shard (``payee_province``) is not looked for here."""
        wanted = self._wanted(transfer_id, payer_id, payee_id, source, amount, payee_province)
        source, remote = wanted.source, wanted.payee_province is not None  # checked by _wanted
        now = self._d.clock.now()
        payee_wallet, from_, to = (
            (payee_id, AccountKind.WALLET),
            (payer_id, source),
            (payer_id, AccountKind.RESERVED),
        )
        async with self._d.uow() as tx:
            if amount > self._d.max_hold:
                answer = (await self._within_ceiling(tx, [wanted]))[transfer_id]
                if isinstance(answer, DomainError):
                    raise answer
                return answer
            # The persons and accounts first: a hold names existing persons only.
            ids = await tx.ledger.accounts_of({from_, to} | (set() if remote else {payee_wallet}))
            payee_ready = remote or payee_wallet in ids
            if not payee_ready or from_ not in ids:
                await self._missing(tx, wanted, payee_ready)
            if not await tx.accounts.add_hold(wanted, now):
                existing = await tx.accounts.get_hold(transfer_id)
                if existing is None:  # add_hold found one, and holds are never deleted
                    raise hold_not_found(transfer_id)
                if not existing.same_request(payer_id, payee_id, source, amount, wanted.payee_province):
                    raise reused_request_id(transfer_id)
                return existing
            reserved = ids.get(to) or await tx.ledger.open_person_account(payer_id, AccountKind.RESERVED)
            movement = Movement(
                EntryKind.TRANSFER_HOLD, ids[from_], source, reserved, AccountKind.RESERVED, amount
            )
            await self._post(tx, movement, transfer_id, _hold_request(wanted), now)
            await tx.commit()
        return wanted

    async def hold_many(self, asked: list[tuple]) -> list[Hold | DomainError]:
        """hold() for many transfers (group commit): each (transfer id, payer,
        payee, source, amount) answered as hold() would answer it, in order.
        The new holds are made in one unit of work with one set-based posting;
        copies of one request in the batch get its answer; anything out of the
        ordinary (one id with two contents, a missing account, a balance
        short for one of them) is held one by one instead."""
        if len(asked) > MAX_BATCH:
            raise too_many_ids(MAX_BATCH)
        results: list[Hold | DomainError | None] = [None] * len(asked)
        batch: dict[int, Hold] = {}
        over: dict[int, Hold] = {}
        first: dict[str, int] = {}  # transfer id -> index of its first copy in the batch
        copies: dict[int, int] = {}
        for i, request in enumerate(asked):
            try:
                wanted = self._wanted(*request)
            except DomainError as error:
                results[i] = error
                continue
            if wanted.amount > self._d.max_hold:
                over[i] = wanted
            elif wanted.transfer_id not in first:
                first[wanted.transfer_id] = i
                batch[i] = wanted
            elif batch[first[wanted.transfer_id]] == wanted:
                copies[i] = first[wanted.transfer_id]
        if over:
            async with self._d.uow(read_only=True) as tx:
                answers = await self._within_ceiling(tx, list(over.values()))
            for i, h in over.items():
                results[i] = answers[h.transfer_id]
        try:
            results = await self._hold_batch(batch, results)
        except (DomainError, KeyReused):
            pass  # the batch changed nothing: every hold on its own below
        for i, j in copies.items():
            results[i] = results[j]
        answered: list[Hold | DomainError] = []
        for i, result in enumerate(results):
            if result is None:
                try:
                    result = await self.hold(*asked[i])
                except DomainError as error:
                    result = error
            answered.append(result)
        return answered

    async def _hold_batch(self, batch: dict[int, Hold], results: list) -> list:
        results = list(results)
        now = self._d.clock.now()
        async with self._d.uow() as tx:
            wanted = {(h.payer_id, h.source) for h in batch.values()} | {
                (h.payee_id, AccountKind.WALLET) for h in batch.values() if h.payee_province is None
            }
            ids = await tx.ledger.accounts_of(
                wanted | {(h.payer_id, AccountKind.RESERVED) for h in batch.values()}
            )
            ready = {
                i: h
                for i, h in batch.items()
                if (h.payee_province is not None or (h.payee_id, AccountKind.WALLET) in ids)
                and (h.payer_id, h.source) in ids
            }
            made = await tx.accounts.add_holds(list(ready.values()), now)
            retried = [h.transfer_id for h in ready.values() if h.transfer_id not in made]
            earlier = {h.transfer_id: h for h in await tx.accounts.get_holds(retried)} if retried else {}
            new_reserved = {
                (h.payer_id, AccountKind.RESERVED)
                for h in ready.values()
                if h.transfer_id in made and (h.payer_id, AccountKind.RESERVED) not in ids
            }
            if new_reserved:
                ids |= await tx.ledger.open_person_accounts(new_reserved)
            entries = []
            for i, h in ready.items():
                if h.transfer_id not in made:  # a retried hold: answered as before
                    existing = earlier[h.transfer_id]
                    same = existing.same_request(h.payer_id, h.payee_id, h.source, h.amount, h.payee_province)
                    results[i] = existing if same else reused_request_id(h.transfer_id)
                    continue
                move = Movement(
                    EntryKind.TRANSFER_HOLD,
                    ids[(h.payer_id, h.source)],
                    h.source,
                    ids[(h.payer_id, AccountKind.RESERVED)],
                    AccountKind.RESERVED,
                    h.amount,
                )
                entries.append((move, _key(EntryKind.TRANSFER_HOLD, h.transfer_id), h.transfer_id))
                results[i] = h
            if entries:
                text = _TEXTS[EntryKind.TRANSFER_HOLD]
                await tx.ledger.post_many(entries, content_hash({"batch": "hold"}), now, text)
            await tx.commit()
        return results

    @staticmethod
    async def _missing(tx, hold: Hold, payee_has_wallet: bool):
        """Why a hold cannot be made: a person unknown, the payee's wallet not
        opened, or the payer without that source account (a payee kept in
        another shard is not looked for)."""
        for person_id in (hold.payer_id,) if hold.payee_province else (hold.payer_id, hold.payee_id):
            if await tx.accounts.person(person_id) is None:
                raise person_not_found(person_id)
        if not payee_has_wallet:
            raise wallet_not_opened(hold.payee_id)
        raise source_account_missing(hold.source.value)

    @staticmethod
    async def _post(tx, movement: Movement, transfer_id: str, request: dict, now) -> None:
        """The entry of one step of a transfer's money, set-based (three statements)."""
        entries = [(movement, _key(movement.kind, transfer_id), transfer_id)]
        try:
            await tx.ledger.post_many(entries, content_hash(request), now, _TEXTS[movement.kind])
        except KeyReused:
            raise reused_request_id(transfer_id) from None

    async def receive(self, transfer_id: str) -> Hold:
        """Reserved -> the payee's wallet."""
        return await self._end(transfer_id, HoldState.RECEIVED)

    async def refund(self, transfer_id: str) -> Hold:
        """Reserved -> back to the source."""
        return await self._end(transfer_id, HoldState.REFUNDED)

    async def receive_many(self, transfer_ids: list[str]) -> tuple[list[Hold], set[str]]:
        """receive() for many holds at once (concurrent receipts); also the
        ids of the holds not received because payer and payee are no longer
        related (R8), which stay pending for the transfer service to refund."""
        return await self._end_many(transfer_ids, HoldState.RECEIVED)

    async def refund_many(self, transfer_ids: list[str]) -> list[Hold]:
        """refund() for many holds at once (the 06:00 sweep)."""
        return (await self._end_many(transfer_ids, HoldState.REFUNDED))[0]

    async def _end_many(self, transfer_ids: list[str], outcome: HoldState) -> tuple[list[Hold], set[str]]:
        """Ends many holds with ``outcome``, each as _end() would, in one unit
        of work with set-based SQL; returns the holds found, in their state
        after the call (a hold the other outcome ended stays so), and the
        ids of those a lapsed relation kept from being received."""
        ids = sorted({required_key(t, "transfer_ids", "TRANSFER_ID") for t in transfer_ids})
        if len(ids) > MAX_BATCH:
            raise too_many_ids(MAX_BATCH)
        now = self._d.clock.now()
        async with self._d.uow() as tx:
            found = await tx.accounts.get_holds(ids)
            lapsed = await _lapsed(tx, [h for h in found if h.state is HoldState.PENDING], outcome)
            outcomes = [
                hold.end(outcome)
                if hold.state is HoldState.PENDING and hold.transfer_id not in lapsed
                else (hold, None)
                for hold in found
            ]
            moving = [
                (before, after) for before, (after, entry) in zip(found, outcomes, strict=True) if entry
            ]
            if moving:
                entry = next(entry for _, entry in outcomes if entry)
                provinces = await _payer_provinces(tx, [h for h, _ in moving], outcome)
                targets = {h.transfer_id: _target(h, outcome, provinces) for h, _ in moving}
                reserved = {(h.payer_id, AccountKind.RESERVED) for h, _ in moving}
                ids_of = await _account_ids(tx, reserved | set(targets.values()))
                entries = [
                    (
                        Movement(
                            entry,
                            ids_of[(h.payer_id, AccountKind.RESERVED)],
                            AccountKind.RESERVED,
                            ids_of[targets[h.transfer_id]],
                            targets[h.transfer_id][1],
                            h.amount,
                        ),
                        _key(entry, h.transfer_id),
                        h.transfer_id,
                    )
                    for h, _ in moving
                ]
                batch = content_hash({"batch": entry.value})
                await tx.ledger.post_many(entries, batch, now, _TEXTS[entry])
                await tx.accounts.save_hold_states([after for _, after in moving], now)
                await tx.commit()
        return [after for after, _ in outcomes], lapsed

    async def _end(self, transfer_id: str, outcome: HoldState) -> Hold:
        """Exactly one outcome ever moves the held money; asking for the same
        outcome again is a no-op, for the other one an error."""
        transfer_id = required_key(transfer_id, "transfer_id", "TRANSFER_ID")
        now = self._d.clock.now()
        async with self._d.uow() as tx:
            hold = await tx.accounts.get_hold(transfer_id, for_update=True)
            if hold is None:
                raise hold_not_found(transfer_id)
            if hold.state is HoldState.PENDING and await _lapsed(tx, [hold], outcome):
                raise relation_lapsed(transfer_id)
            ended, entry = hold.end(outcome)
            if entry is None:
                return hold
            provinces = await _payer_provinces(tx, [hold], outcome)
            reserved, target = (hold.payer_id, AccountKind.RESERVED), _target(hold, outcome, provinces)
            ids = await _account_ids(tx, {reserved, target})
            movement = Movement(
                entry, ids[reserved], AccountKind.RESERVED, ids[target], target[1], hold.amount
            )
            await self._post(tx, movement, transfer_id, {"t": transfer_id}, now)
            await tx.accounts.save_hold(ended, now)
            await tx.commit()
        return ended
