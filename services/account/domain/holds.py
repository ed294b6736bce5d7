"""The money of a transfer (SPEC R15) as a two-phase transfer, on the model
of TigerBeetle's pending -> posted | voided: a **hold** moves the amount
from the payer's source into the payer's reserved account and leaves the
hold *pending*; exactly one of **receive** (reserved -> the payee's wallet)
or **refund** (reserved -> back to the source) then ends it. The same words
name the transfer service's steps and the ledger's entries."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum

from services.account.domain.errors import hold_already_ended
from services.account.domain.ledger import AccountKind, EntryKind


class HoldState(Enum):
    PENDING = "pending"  # held: in the payer's reserved account
    RECEIVED = "received"  # final: in the payee's wallet
    REFUNDED = "refunded"  # final: back in the source


# The only moves a hold makes, and the ledger entry each one posts.
TRANSITIONS: dict[tuple[HoldState, HoldState], EntryKind] = {
    (HoldState.PENDING, HoldState.RECEIVED): EntryKind.TRANSFER_RECEIVE,
    (HoldState.PENDING, HoldState.REFUNDED): EntryKind.TRANSFER_REFUND,
}


@dataclass(frozen=True)
class Hold:
    transfer_id: str
    payer_id: str
    payee_id: str
    source: AccountKind
    amount: int
    state: HoldState = HoldState.PENDING
    # The payee's province when the payee is kept in another shard (R24):
    # received, the money goes to clearing-to:<payer's province>:<that
    # province>. None: here.
    payee_province: str | None = None

    def end(self, outcome: HoldState) -> tuple[Hold, EntryKind | None]:
        """The hold after ``outcome`` and the entry to post; no entry when it
        has that outcome already (a retry). The other outcome is refused."""
        if self.state is outcome:
            return self, None
        entry = TRANSITIONS.get((self.state, outcome))
        if entry is None:
            raise hold_already_ended(self.state.value, self.transfer_id)
        return replace(self, state=outcome), entry

    def same_request(
        self,
        payer_id: str,
        payee_id: str,
        source: AccountKind,
        amount: int,
        payee_province: str | None = None,
    ) -> bool:
        return (self.payer_id, self.payee_id, self.source, self.amount, self.payee_province) == (
            payer_id,
            payee_id,
            source,
            amount,
            payee_province,
        )


@dataclass(frozen=True)
class HoldRecord:
    """A hold as stored: with when it was made and when it last changed
    (what the transfer service's reconciler reads, R22)."""

    hold: Hold
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Credit:
    """The second leg of a transfer received across shards (R24), in the
    payee's shard: clearing-from:<payee's province>:<payer_province> ->
    the payee's wallet, once per transfer id (docs/sharding.md)."""

    transfer_id: str
    payer_id: str
    payer_province: str
    payee_id: str
    amount: int
