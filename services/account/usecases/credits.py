"""Provinces as shards (R24, docs/sharding.md): this shard's side of money
that crosses to or from a province kept in another shard.

- ``credit_many``: the second leg of a transfer received across shards.
  The first leg (holds.py, receive) moved the money in the payer's shard
  from the payer's reserved account to ``clearing-to:<payer province>:<payee
  province>``; here, in the payee's shard, ``clearing-from:<payee
  province>:<payer province>`` pays it into the payee's wallet. The own
  province is the payee's as this shard keeps them, the other one is the
  request's. Once per transfer id: a repeat with the same content answers
  the credit made, with other content REQUEST_ID_REUSED.
- ``clearing_statement``: the clearing accounts, what was booked in a month
  (and in how many entries) and the balances, which the monthly settlement
  (R19a) reads."""

from __future__ import annotations

from services.account.domain.errors import (
    month_invalid,
    person_not_found,
    too_many_ids,
    wallet_not_opened,
)
from services.account.domain.holds import Credit
from services.account.domain.ledger import (
    AccountKind,
    ClearingLine,
    EntryKind,
    Movement,
    clearing_key,
    validate_amount,
    validate_province,
)
from services.account.usecases.common import AccountDeps
from services.kernel.clock import beijing_month_bounds
from services.kernel.errors import DomainError, required_key
from services.kernel.idempotency import content_hash, reused_request_id

MAX_BATCH = 1000
TEXT = "医保钱包转入"  # as a receipt within one shard: the payee sees the same line


def _wanted(credit: Credit) -> Credit:
    required_key(credit.transfer_id, "transfer_id", "TRANSFER_ID")
    required_key(credit.payer_id, "payer_id", "PAYER_ID")
    validate_province(credit.payer_province, "payer_province")
    validate_amount(credit.amount)
    return credit


class CreditUseCases:
    def __init__(self, deps: AccountDeps) -> None:
        self._d = deps

    async def credit_many(self, asked: list[Credit]) -> list[Credit | DomainError]:
        """Each credit answered on its own, in order; the new ones posted in
        one unit of work, one set-based entry each."""
        if len(asked) > MAX_BATCH:
            raise too_many_ids(MAX_BATCH)
        answers: list[Credit | DomainError | None] = [None] * len(asked)
        wanted: dict[str, Credit] = {}
        for i, credit in enumerate(asked):
            try:
                wanted.setdefault(credit.transfer_id, _wanted(credit))
            except DomainError as error:
                answers[i] = error
        now = self._d.clock.now()
        async with self._d.uow() as tx:
            wallets = await tx.ledger.accounts_of({(c.payee_id, AccountKind.WALLET) for c in wanted.values()})
            refused: dict[str, DomainError] = {}
            for c in wanted.values():
                if (c.payee_id, AccountKind.WALLET) not in wallets:
                    known = await tx.accounts.person(c.payee_id) is not None
                    refused[c.transfer_id] = (
                        wallet_not_opened(c.payee_id) if known else person_not_found(c.payee_id)
                    )
            ready = [c for c in wanted.values() if c.transfer_id not in refused]
            made = await tx.accounts.add_credits(ready, now)
            earlier = await tx.accounts.get_credits(
                [c.transfer_id for c in ready if c.transfer_id not in made]
            )
            entries = []
            payees = {c.payee_id for c in ready if c.transfer_id in made}
            provinces = await tx.accounts.provinces_of(payees) if payees else {}
            for c in ready:
                if c.transfer_id in made:
                    key = clearing_key(AccountKind.CLEARING_FROM, provinces[c.payee_id], c.payer_province)
                    source = await tx.ledger.system_account(key, AccountKind.CLEARING_FROM)
                    wallet = wallets[(c.payee_id, AccountKind.WALLET)]
                    move = Movement(
                        EntryKind.TRANSFER_RECEIVE,
                        source,
                        AccountKind.CLEARING_FROM,
                        wallet,
                        AccountKind.WALLET,
                        c.amount,
                    )
                    entries.append((move, f"transfer:credit:{c.transfer_id}", c.transfer_id))
                elif earlier.get(c.transfer_id) != c:
                    refused[c.transfer_id] = reused_request_id(c.transfer_id)
            if entries:
                await tx.ledger.post_many(entries, content_hash({"batch": "credit"}), now, TEXT)
            await tx.commit()
        for i, credit in enumerate(asked):
            if answers[i] is None:
                answers[i] = refused.get(credit.transfer_id) or wanted[credit.transfer_id]
                if wanted[credit.transfer_id] != credit:  # a second copy in the batch with other content
                    answers[i] = reused_request_id(credit.transfer_id)
        return [a for a in answers if a is not None]

    async def clearing_statement(self, month: str) -> list[ClearingLine]:
        """Per clearing account: booked in the month, in how many entries, and the balance now."""
        bounds = beijing_month_bounds(month)
        if bounds is None:
            raise month_invalid()
        async with self._d.uow(read_only=True) as tx:
            return await tx.ledger.clearing_lines(*bounds)
