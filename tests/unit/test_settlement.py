"""The settlement's flows (R19a) from the transfers and, over account shards
(R24), from the shards' clearing statements (transfer/domain/settlement.py)."""

from __future__ import annotations

from services.transfer.domain.settlement import (
    ClearingLine,
    ClearingStatements,
    Flow,
    settlement_flows,
)

GX, GD, BJ, HI = "450000", "440000", "110000", "460000"
# 广西's shard keeps 广东 too; 北京's its own; 海南 is in no shard.
OWNERS = {GX: "gx", GD: "gx", BJ: "bj"}


def test_r19a_one_account_service_settles_from_the_transfers():
    received = [(GX, BJ, 2, 500), (GX, GD, 1, 100)]
    assert settlement_flows(received, None) == [Flow(GX, BJ, 2, 500, 500), Flow(GX, GD, 1, 100, 100)]


def test_r19a_between_shards_the_payer_side_is_owed_and_the_payee_side_credited():
    lines = [
        ClearingLine(GX, BJ, True, 45_000, 3),  # clearing-to:450000:110000, in 广西's shard
        ClearingLine(BJ, GX, False, 42_000, 2),  # clearing-from:110000:450000, in 北京's: a leg 2 to come
        ClearingLine(GD, BJ, True, 0, 0),  # an account with nothing booked this month
        ClearingLine(BJ, GD, False, 1_000, 1),  # a leg 2 of last month's leg 1
        ClearingLine("", BJ, True, 9_999, 1),  # a key of the first, unreleased format: read by no one
    ]
    received = [
        (GX, GD, 1, 8_000),  # one shard's two provinces: from the transfers
        (GX, BJ, 3, 45_000),  # across shards: the clearing accounts decide, not the transfers
        (HI, BJ, 1, 300),  # a province in no shard: from the transfers
    ]
    assert settlement_flows(received, ClearingStatements(OWNERS, lines)) == [
        Flow(GD, BJ, 0, 0, 1_000),
        Flow(GX, BJ, 3, 45_000, 42_000),
        Flow(GX, GD, 1, 8_000, 8_000),
        Flow(HI, BJ, 1, 300, 300),
    ]


def test_r19a_no_shard_booked_anything_no_flow_across_shards():
    received = [(GX, BJ, 1, 500)]  # not the source across shards
    assert settlement_flows(received, ClearingStatements(OWNERS, [])) == []
