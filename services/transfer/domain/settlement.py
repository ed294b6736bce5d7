"""The monthly settlement (R19a) as flows between ordered pairs of provinces.

In one account service, every transfer's money moves in one transaction, so
the flows are the received transfers of the month (the transfer database).
With the account service kept in shards (R24, docs/sharding.md), money
between provinces of two shards moves in two legs through clearing
accounts, and the flows between such provinces are read from them: for
payer province A and payee province B, what A's shard booked in the month
to ``clearing-to:A:B`` is owed (the first leg, final once booked), and what
B's shard booked from ``clearing-from:B:A`` is what reached the payees (the
second leg). The two agree once every second leg is done within the month.
Provinces kept in the same shard never touch a clearing account: their
flows are the transfers', as in one account service."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Flow:
    """What moved from one province to another in a month."""

    from_province: str
    to_province: str
    count: int
    amount_fen: int  # owed: the payer side
    credited_fen: int  # reached the payee side


@dataclass(frozen=True)
class ClearingLine:
    """One clearing account of a shard, for a month (the account service's
    GetClearingStatement)."""

    own_province: str  # the shard's side: the payer's (owed_to_province) or the payee's
    province: str  # the other side, kept in another shard
    owed_to_province: bool  # clearing-to: own_province owes province
    month_fen: int
    month_count: int


@dataclass(frozen=True)
class ClearingStatements:
    """Every account shard's clearing statement for one month, and which
    shard owns each province (the map they were read by)."""

    owners: Mapping[str, str]  # province -> the name of its shard
    lines: Sequence[ClearingLine]

    def across(self, payer_province: str, payee_province: str) -> bool:
        """Money between these provinces crosses shards (through clearing accounts)."""
        a, b = self.owners.get(payer_province), self.owners.get(payee_province)
        return a is not None and b is not None and a != b


def settlement_flows(
    received: Sequence[tuple[str, str, int, int]], clearing: ClearingStatements | None
) -> list[Flow]:
    """The month's flows, by (from, to): ``received`` are the transfer
    database's (payer province, payee province, count, fen) of transfers
    received across provinces; ``clearing`` the shards' statements, or None
    for one account service. Between two shards the clearing accounts
    decide, and a pair with nothing booked either way is left out."""
    if clearing is None:
        return [Flow(a, b, n, fen, fen) for a, b, n, fen in received]
    flows = [Flow(a, b, n, fen, fen) for a, b, n, fen in received if not clearing.across(a, b)]
    owed: dict[tuple[str, str], tuple[int, int]] = {}
    credited: dict[tuple[str, str], int] = {}
    for line in clearing.lines:
        if line.owed_to_province:
            pair = (line.own_province, line.province)
            count, fen = owed.get(pair, (0, 0))
            owed[pair] = (count + line.month_count, fen + line.month_fen)
        else:
            pair = (line.province, line.own_province)
            credited[pair] = credited.get(pair, 0) + line.month_fen
    for pair in owed.keys() | credited.keys():
        count, fen = owed.get(pair, (0, 0))
        if clearing.across(*pair) and (fen or credited.get(pair)):
            flows.append(Flow(*pair, count, fen, credited.get(pair, 0)))
    return sorted(flows)
