"""The chaos checker (bench/chaos_check.py) on small hand-made histories:
a clean run passes, and each kind of fault it exists to catch — a lost
acknowledged funding, charge or transfer, a duplicate, money not conserved
at a read, a refused operation that took effect, an unknown outcome never
resolved, a transfer left open or disagreeing with its hold — fails it."""

from __future__ import annotations

import json

import pytest

from bench.chaos_check import Ledger, TransferRow, check

INITIAL = 1_000_000


class History:
    """Builds history lines as bench/chaos.py writes them."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._next = 0

    def _write(self, **event) -> None:
        self.lines.append(json.dumps(event))

    def op(self, f, value, at, type_="ok", took=0.1, result=None, error=None, retry_of=None) -> int:
        n, self._next = self._next, self._next + 1
        extra = {"retry_of": retry_of} if retry_of is not None else {}
        self._write(op=n, process=0, type="invoke", f=f, value=value, time=at, **extra)
        if type_ != "open":
            self._write(
                op=n,
                process=0,
                type=type_,
                f=f,
                value={**value, **(result or {})},
                time=at + took,
                error=error,
            )
        return n

    def read(self, at, total, took=0.05) -> int:
        return self.op("read", {}, at, result={"total": total}, took=took)

    def nemesis(self, f, at, **value) -> None:
        self._write(op=None, process="nemesis", type="info", f=f, value=value, time=at)


def fund(request_id="f1", amount=5_000):
    return {"request_id": request_id, "person_id": "p1", "province": "450000", "amount": amount}


def charge(request_id="c1", amount=2_500):
    return {"request_id": request_id, "person_id": "q1", "institution": "H45010200001", "amount": amount}


def submit(request_id="s1"):
    return {"request_id": request_id, "payer_id": "p1", "payee_id": "q1", "amount": 10_000}


def clean() -> tuple[History, Ledger]:
    """One of everything, all acknowledged, and a ledger that agrees."""
    h = History()
    h.read(0.0, INITIAL)
    h.op("fund", fund(), 1.0)
    h.op("submit", submit(), 2.0, result={"transfer_id": "t1", "status": "pending"})
    h.op("receive", {"transfer_id": "t1", "payee_id": "q1"}, 3.0)
    h.op("charge", charge(), 4.0)
    h.read(5.0, INITIAL + 5_000 - 2_500)
    ledger = Ledger(
        total=INITIAL + 2_500,
        entries={
            ("funding", "f1"): 1,
            ("payment", "c1"): 1,
            ("transfer_hold", "t1"): 1,
            ("transfer_receive", "t1"): 1,
        },
        transfers={"s1": [TransferRow("t1", "received")]},
        holds={"t1": "received"},
    )
    return h, ledger


def test_a_clean_history_passes():
    h, ledger = clean()
    result = check(h.lines, ledger)
    assert result["verdict"] == "pass", result["invariant_violations"]
    assert (result["operations"], result["acknowledged"], result["lost"], result["duplicated"]) == (
        4,
        4,
        0,
        0,
    )


def test_a_lost_acknowledged_funding_is_detected():
    h, ledger = clean()
    del ledger.entries["funding", "f1"]
    ledger.total -= 5_000
    result = check(h.lines, ledger)
    assert result["lost"] == 1 and result["verdict"] == "fail"
    assert "f1" in result["lost_operations"][0]


def test_a_lost_acknowledged_charge_is_detected():
    h, ledger = clean()
    del ledger.entries["payment", "c1"]
    assert check(h.lines, ledger)["lost"] == 1


def test_a_lost_acknowledged_transfer_is_detected():
    h, ledger = clean()
    ledger.transfers.clear()
    result = check(h.lines, ledger)
    assert result["lost"] == 1 and result["verdict"] == "fail"


def test_a_duplicated_funding_is_detected():
    h, ledger = clean()
    ledger.entries["funding", "f1"] = 2
    result = check(h.lines, ledger)
    assert result["duplicated"] == 1 and result["verdict"] == "fail"


def test_a_duplicated_transfer_is_detected():
    h, ledger = clean()
    ledger.transfers["s1"].append(TransferRow("t2", "refunded", "expired"))
    ledger.holds["t2"] = "refunded"
    ledger.entries |= {("transfer_hold", "t2"): 1, ("transfer_refund", "t2"): 1}
    result = check(h.lines, ledger)
    assert result["duplicated"] == 1 and result["verdict"] == "fail"


def test_money_not_conserved_at_a_read_is_detected():
    h, ledger = clean()
    h.read(6.0, INITIAL + 2_500 + 1)  # a fen from nowhere
    result = check(h.lines, ledger)
    assert result["verdict"] == "fail"
    assert any("off by 1" in v for v in result["invariant_violations"])


def test_money_not_conserved_at_the_end_is_detected():
    h, ledger = clean()
    ledger.total -= 100
    result = check(h.lines, ledger)
    assert any("at the end" in v for v in result["invariant_violations"])


def test_a_read_concurrent_with_a_funding_may_see_it_or_not():
    for seen in (0, 5_000):
        h = History()
        h.read(0.0, INITIAL)
        h.op("fund", fund(), 1.0, took=2.0)  # 1.0 .. 3.0
        h.read(2.0, INITIAL + seen)  # 2.0 .. 2.05: while the funding runs
        h.read(4.0, INITIAL + 5_000)
        ledger = Ledger(total=INITIAL + 5_000, entries={("funding", "f1"): 1})
        assert check(h.lines, ledger)["verdict"] == "pass"


def test_a_read_after_an_acknowledged_funding_must_see_it():
    h = History()
    h.read(0.0, INITIAL)
    h.op("fund", fund(), 1.0)
    h.read(2.0, INITIAL)  # acknowledged at 1.1, not seen at 2.0
    ledger = Ledger(total=INITIAL + 5_000, entries={("funding", "f1"): 1})
    assert check(h.lines, ledger)["verdict"] == "fail"


def test_an_unknown_outcome_settled_by_its_retry_counts_as_its_resolution():
    h = History()
    h.read(0.0, INITIAL)
    first = h.op("fund", fund(), 1.0, type_="info", error="UNAVAILABLE")
    h.read(2.0, INITIAL + 5_000)  # the unknown funding may already be in
    h.op("fund", fund(), 3.0, retry_of=first)
    h.read(4.0, INITIAL + 5_000)
    ledger = Ledger(total=INITIAL + 5_000, entries={("funding", "f1"): 1})
    result = check(h.lines, ledger)
    assert result["verdict"] == "pass", result["invariant_violations"]
    assert result["unknown"] == {"total": 1, "resolved_ok": 1, "resolved_fail": 0, "unresolved": 0}


def test_an_unknown_outcome_never_resolved_fails_the_run():
    h = History()
    h.read(0.0, INITIAL)
    first = h.op("charge", charge(), 1.0, type_="info", error="DEADLINE_EXCEEDED")
    h.op("charge", charge(), 3.0, type_="info", error="UNAVAILABLE", retry_of=first)
    ledger = Ledger(total=INITIAL)
    result = check(h.lines, ledger)
    assert result["unknown"]["unresolved"] == 1 and result["verdict"] == "fail"


def test_an_unknown_outcome_resolved_both_ways_fails_the_run():
    h = History()
    h.read(0.0, INITIAL)
    first = h.op("fund", fund(), 1.0, type_="info", error="UNAVAILABLE")
    h.op("fund", fund(), 3.0, retry_of=first)
    h.op("fund", fund(), 4.0, type_="fail", error="FAILED_PRECONDITION", retry_of=first)
    ledger = Ledger(total=INITIAL + 5_000, entries={("funding", "f1"): 1})
    assert any("both ok and fail" in v for v in check(h.lines, ledger)["invariant_violations"])


def test_a_refused_funding_that_took_effect_is_detected():
    h = History()
    h.read(0.0, INITIAL)
    h.op("fund", fund(), 1.0, type_="fail", error="FAILED_PRECONDITION NO_PERSONAL_ACCOUNT")
    ledger = Ledger(total=INITIAL + 5_000, entries={("funding", "f1"): 1})
    result = check(h.lines, ledger)
    assert result["verdict"] == "fail"
    assert any("refused" in v for v in result["invariant_violations"])


@pytest.mark.parametrize(
    "status, hold, entries",
    [
        ("pending", "pending", {("transfer_hold", "t1"): 1}),  # never final
        (
            "received",
            "refunded",
            {("transfer_hold", "t1"): 1, ("transfer_refund", "t1"): 1},
        ),  # hold disagrees
        ("received", "received", {("transfer_hold", "t1"): 1}),  # no receive entry
        (
            "received",
            "received",
            {("transfer_hold", "t1"): 1, ("transfer_receive", "t1"): 1, ("transfer_refund", "t1"): 1},
        ),  # both outcomes in the ledger
    ],
)
def test_a_transfer_not_final_or_disagreeing_with_its_hold_is_detected(status, hold, entries):
    h, ledger = clean()
    ledger.transfers["s1"] = [TransferRow("t1", status)]
    ledger.holds["t1"] = hold
    ledger.entries = {k: v for k, v in ledger.entries.items() if not k[0].startswith("transfer")} | entries
    assert check(h.lines, ledger)["verdict"] == "fail"


def test_an_acknowledged_decline_must_end_refunded_as_declined():
    h = History()
    h.read(0.0, INITIAL)
    h.op("submit", submit(), 1.0, result={"transfer_id": "t1"})
    h.op("decline", {"transfer_id": "t1", "payee_id": "q1"}, 2.0)
    ledger = Ledger(
        total=INITIAL,
        entries={("transfer_hold", "t1"): 1, ("transfer_refund", "t1"): 1},
        transfers={"s1": [TransferRow("t1", "refunded", "expired")]},
        holds={"t1": "refunded"},
    )
    assert check(h.lines, ledger)["verdict"] == "fail"
    ledger.transfers["s1"] = [TransferRow("t1", "refunded", "declined")]
    assert check(h.lines, ledger)["verdict"] == "pass"


def test_a_pending_hold_without_a_transfer_is_detected():
    h, ledger = clean()
    ledger.holds["t9"] = "pending"
    assert check(h.lines, ledger)["verdict"] == "fail"


def test_the_write_outage_of_a_failover_runs_from_the_kill_to_the_first_acknowledged_write():
    h = History()
    h.read(0.0, INITIAL)
    h.nemesis("kill-primary", 10.0, node="pg0")
    h.op("fund", fund("f1"), 10.5, type_="info", error="UNAVAILABLE")
    h.nemesis("primary-elected", 14.0, node="pg1", seconds=4.0)
    h.op("fund", fund("f2"), 15.0, took=0.2)
    ledger = Ledger(total=INITIAL + 5_000, entries={("funding", "f2"): 1})
    result = check(h.lines, ledger)
    assert result["failovers"] == [
        {
            "node": "pg0",
            "time": 10.0,
            "new_primary": "pg1",
            "election_seconds": 4.0,
            "write_outage_seconds": 5.2,
            "with_sweep": False,
        }
    ]
    assert result["unknown"]["unresolved"] == 1  # f1 never resolved: the run fails


def test_a_refused_submission_whose_transfer_exists_is_detected():
    h = History()
    h.read(0.0, INITIAL)
    h.op("submit", submit(), 1.0, type_="fail", error="FAILED_PRECONDITION INSUFFICIENT_FUNDS")
    ledger = Ledger(
        total=INITIAL,
        entries={("transfer_hold", "t1"): 1, ("transfer_receive", "t1"): 1},
        transfers={"s1": [TransferRow("t1", "received")]},
        holds={"t1": "received"},
    )
    assert any("refused" in v for v in check(h.lines, ledger)["invariant_violations"])
    ledger.transfers["s1"] = [TransferRow("t1", "rejected")]  # recorded, but nothing held: as refused
    ledger.entries, ledger.holds = {}, {}
    assert check(h.lines, ledger)["verdict"] == "pass"
