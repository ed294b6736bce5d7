"""Helpers of the transfer tests: requests, the money invariant, waiting."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select
from yibao.transfer.v1 import transfer_pb2 as pb
from yibao.type.v1 import relation_pb2, verification_pb2

from services.account.adapters.tables import accounts
from services.kernel.db import create_engine
from services.transfer.adapters.tables import transfers as transfer_rows

PASSWORD = "258036"


@dataclass
class Member:
    id: str
    name: str
    id_number: str
    region: str


_requests = itertools.count()


def submit_request(
    payer,
    payee,
    amount=30_000,
    request_id=None,
    relation=relation_pb2.RELATION_KIND_PARENT,
    source=pb.TRANSFER_SOURCE_PERSONAL_ACCOUNT,
    password=PASSWORD,
    **over,
):
    return pb.SubmitTransferRequest(
        payer_id=payer.id,
        source=source,
        payee_name=over.pop("payee_name", payee.name),
        payee_id_number=over.pop("payee_id_number", payee.id_number),
        relation=relation,
        amount_fen=amount,
        verification=over.pop("verification", verification_pb2.Verification(password=password)),
        request_id=f"req-{next(_requests)}" if request_id is None else request_id,
        **over,
    )


async def check_invariant(account_urls: str | list[str], transfer_url: str) -> None:
    """What every test ends with: person accounts plus in-transit money equal
    what was funded minus what was paid out, and in-transit money is exactly
    the amount of the transfers still open. Over account shards (R24), the
    sums are of every shard, and money between the two legs of a receipt is
    in transit in the clearing accounts, which otherwise cancel out."""
    by_kind: Counter[str] = Counter()
    for url in [account_urls] if isinstance(account_urls, str) else account_urls:
        account_db = create_engine(url)
        try:
            async with account_db.connect() as conn:
                query = select(accounts.c.kind, func.sum(accounts.c.balance)).group_by(accounts.c.kind)
                by_kind.update(dict((await conn.execute(query)).all()))
        finally:
            await account_db.dispose()
    transfer_db = create_engine(transfer_url)
    try:
        async with transfer_db.connect() as conn:
            open_fen = (
                await conn.execute(
                    select(func.coalesce(func.sum(transfer_rows.c.amount), 0)).where(
                        transfer_rows.c.status.in_(["pending", "receiving", "refunding"])
                    )
                )
            ).scalar_one()
    finally:
        await transfer_db.dispose()
    clearing = by_kind.get("clearing_to", 0) + by_kind.get("clearing_from", 0)
    # Persons who moved, contributions for relatives kept elsewhere: cancel out between shards.
    moved = sum(by_kind.get(k, 0) for k in ("moved_out", "moved_in", "dues_out", "dues_in"))
    held = (
        by_kind.get("personal", 0) + by_kind.get("wallet", 0) + by_kind.get("reserved", 0) + clearing + moved
    )
    funded = -by_kind.get("fund", 0)
    paid = by_kind.get("institution", 0) + by_kind.get("contributions", 0)
    assert held == funded - paid
    assert by_kind.get("reserved", 0) + clearing == open_fen


async def eventually(predicate, timeout=10.0):
    for _ in range(int(timeout / 0.05)):
        if await predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached in time")
