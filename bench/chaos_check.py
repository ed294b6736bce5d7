"""The checker of make chaos: did the bank keep its books through the failures?

It reads only two things: the history the run wrote (``.chaos/history.jsonl``,
one line per event, Jepsen's model: every operation an ``invoke`` followed by
``ok`` = acknowledged, ``fail`` = definitely not done, or ``info`` = unknown;
an unknown operation is retried later with the same request id, each retry
a new operation whose value names the original in ``retry_of``), and the
databases named in ``.chaos/run.json``. From them it proves:

  * the bank invariant at every recorded read: the money in persons'
    accounts (personal, wallet, reserved) equals the initial total plus the
    acknowledged fundings minus the acknowledged charges. An operation
    concurrent with a read may or may not be in it; one that completed
    before the read began must be, one that began after it ended must not;
  * every acknowledged funding and charge is in the ledger exactly once,
    every refused one not at all (``lost``, ``duplicated``);
  * every acknowledged transfer exists once for its request id, ended in
    exactly one final state, and the account service's hold agrees with it
    (received => hold received, refunded => hold refunded), with one hold
    entry and one outcome entry in the ledger; an acknowledged receipt
    ended received, an acknowledged decline refunded as declined;
  * every unknown outcome was resolved, to exactly one result;
  * at the end nothing is open, nothing held, and the ledger balances.

``check(history, ledger)`` is pure (``tests/ha/test_chaos_check.py`` feeds
it hand-made histories); ``read_ledger`` reads the databases.

    python -m bench.chaos_check .chaos     # writes .chaos/result.json; exit 1 unless it passes
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

MONEY = {"fund": 1, "charge": -1}  # sign of each money operation on the bank total
WRITES = {"fund", "submit", "receive", "decline", "charge"}
FINAL = {"received", "refunded", "rejected"}
HOLD_OF = {"received": "received", "refunded": "refunded"}  # transfer status -> the hold state it needs
NEMESIS_RECOVERY = {"start-service", "primary-elected", "start-node", "restart-cluster-done"}
SUBSET_LIMIT = 200_000  # reachable sums tracked before falling back to bounds


# --- what the databases hold


@dataclass(frozen=True)
class TransferRow:
    id: str
    status: str
    refund_reason: str | None = None


@dataclass
class Ledger:
    """What the checker needs from the databases, read once at the end."""

    total: int  # sum of the persons' account balances now
    entries: dict[tuple[str, str], int] = field(default_factory=dict)  # (kind, reference) -> journal entries
    transfers: dict[str, list[TransferRow]] = field(default_factory=dict)  # request id -> rows
    holds: dict[str, str] = field(default_factory=dict)  # transfer id -> hold state
    problems: list[str] = field(default_factory=list)  # double-entry problems found by SQL


def read_ledger(account_url: str, transfer_url: str) -> Ledger:
    with psycopg.connect(transfer_url) as conn:
        transfers: dict[str, list[TransferRow]] = defaultdict(list)
        for request_id, *row in conn.execute("SELECT request_id, id, status, refund_reason FROM transfers"):
            transfers[request_id].append(TransferRow(*row))
    with psycopg.connect(account_url) as conn:
        total = conn.execute(
            "SELECT coalesce(sum(balance), 0) FROM accounts WHERE person_id IS NOT NULL"
        ).fetchone()[0]
        entries = {
            (kind, reference): n
            for kind, reference, n in conn.execute(
                "SELECT kind, reference, count(*) FROM journal_entries GROUP BY kind, reference"
            )
        }
        holds = dict(conn.execute("SELECT transfer_id, state FROM holds").fetchall())
        problems = _double_entry_problems(conn)
    return Ledger(int(total), entries, dict(transfers), holds, problems)


def _double_entry_problems(conn) -> list[str]:
    """R10 in SQL: every entry sums to zero, every balance is the sum of its
    postings, all balances together are zero."""
    problems = []
    unbalanced = conn.execute(
        "SELECT count(*) FROM (SELECT entry_id FROM postings GROUP BY entry_id HAVING sum(amount) <> 0) e"
    ).fetchone()[0]
    if unbalanced:
        problems.append(f"{unbalanced} journal entries whose postings do not sum to zero")
    drifted = conn.execute(
        "SELECT count(*) FROM accounts a LEFT JOIN (SELECT account_id, sum(amount) AS s FROM postings"
        " GROUP BY account_id) p ON p.account_id = a.id WHERE a.balance <> coalesce(p.s, 0)"
    ).fetchone()[0]
    if drifted:
        problems.append(f"{drifted} accounts whose balance is not the sum of their postings")
    everything = conn.execute("SELECT coalesce(sum(balance), 0) FROM accounts").fetchone()[0]
    if everything:
        problems.append(f"all balances sum to {everything}, not 0")
    return problems


# --- the history


@dataclass
class Op:
    """One operation: its invocation and completion."""

    op: int
    f: str
    value: dict
    invoked: float
    type: str = "open"  # ok | fail | info | open (no completion recorded)
    completed: float | None = None
    result: dict = field(default_factory=dict)
    error: str | None = None
    retry_of: int | None = None


@dataclass
class Outcome:
    """What became of an operation the clients asked for, its retries included."""

    first: Op
    status: str  # ok | fail | unknown (unresolved)
    settled: float  # when its outcome became known (inf while unknown)
    resolutions: list[Op] = field(default_factory=list)  # the retries that answered ok or fail
    result: dict = field(default_factory=dict)


def parse(lines) -> tuple[list[Op], list[dict]]:
    """Operations (in invocation order) and the nemesis' events."""
    ops: dict[int, Op] = {}
    nemesis = []
    for line in lines:
        if not line.strip():
            continue
        event = json.loads(line)
        if event.get("process") == "nemesis":
            nemesis.append(event)
        elif event["type"] == "invoke":
            value = event.get("value") or {}
            ops[event["op"]] = Op(
                event["op"], event["f"], value, event["time"], retry_of=event.get("retry_of")
            )
        elif event["op"] in ops:
            o = ops[event["op"]]
            o.type, o.completed, o.error = event["type"], event["time"], event.get("error")
            o.result = event.get("value") or {}
    return list(ops.values()), nemesis


def outcomes(ops: list[Op]) -> tuple[dict[int, Outcome], list[str]]:
    """Each original operation settled by its own answer or its retries';
    with the violations of the retry rules."""
    originals = {o.op: o for o in ops if o.retry_of is None}
    retries = defaultdict(list)
    for o in ops:
        if o.retry_of is not None:
            retries[o.retry_of].append(o)
    violations, settled = [], {}
    for number, first in originals.items():
        if first.type in ("ok", "fail"):
            settled[number] = Outcome(first, first.type, first.completed, [], first.result)
            if retries[number]:
                violations.append(f"op {number} ({first.f}) was retried though it had answered {first.type}")
            continue
        answered = [r for r in retries[number] if r.type in ("ok", "fail")]
        for r in retries[number]:
            if r.value.get("request_id") != first.value.get("request_id"):
                violations.append(f"op {r.op} retries op {number} with another request id")
        if not answered:
            settled[number] = Outcome(first, "unknown", float("inf"))
            continue
        kinds = {r.type for r in answered}
        if len(kinds) > 1:
            violations.append(
                f"op {number} ({first.f}) resolved both ok and fail: ops {[r.op for r in answered]}"
            )
        resolution = answered[0]
        settled[number] = Outcome(first, resolution.type, resolution.completed, answered, resolution.result)
    for number in retries:
        if number not in originals:
            violations.append(f"retries of op {number}, which was never invoked")
    return settled, violations


# --- the bank invariant at every read


def reachable(amounts: list[int]) -> set[int] | None:
    """Every sum of a subset of ``amounts``; None when there are too many."""
    sums = {0}
    for a in amounts:
        sums |= {s + a for s in sums}
        if len(sums) > SUBSET_LIMIT:
            return None
    return sums


def bank_violations(reads: list[Op], money: list[Outcome], initial: int) -> list[str]:
    """At each read: total = initial + every money operation settled ok before
    the read began + some subset of those that may have happened while it ran."""
    violations = []
    for read in reads:
        certain, maybe = 0, []
        for m in money:
            if m.status == "fail":
                continue
            delta = MONEY[m.first.f] * m.first.value["amount"]
            if m.status == "ok" and m.settled < read.invoked:
                certain += delta
            elif m.first.invoked < read.completed:  # ok while the read ran, or still unknown
                maybe.append(delta)
        off = read.result["total"] - initial - certain
        sums = reachable(maybe)
        possible = (
            off in sums
            if sums is not None
            else sum(a for a in maybe if a < 0) <= off <= sum(a for a in maybe if a > 0)
        )
        if not possible:
            violations.append(
                f"read op {read.op} at {read.invoked:.2f}s saw {read.result['total']}: expected"
                f" {initial + certain} plus some of {len(maybe)} concurrent operations, off by {off}"
            )
    return violations


# --- the ledger against the acknowledged operations


@dataclass
class Findings:
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)


def money_findings(money: list[Outcome], ledger: Ledger, found: Findings) -> None:
    """Each funding and charge in the ledger once if it was acknowledged, never if refused."""
    kind = {"fund": "funding", "charge": "payment"}
    for m in money:
        request_id = m.first.value["request_id"]
        n = ledger.entries.get((kind[m.first.f], request_id), 0)
        label = f"{m.first.f} op {m.first.op} ({request_id})"
        if n > 1:
            found.duplicated.append(f"{label}: {n} ledger entries")
        elif m.status == "ok" and n == 0:
            found.lost.append(f"{label} was acknowledged and is not in the ledger")
        elif m.status == "fail" and n:
            found.violations.append(f"{label} was refused ({m.first.error}) yet is in the ledger")


def transfer_findings(by_f: dict[str, list[Outcome]], ledger: Ledger, found: Findings) -> None:
    for s in by_f.get("submit", []):
        request_id = s.first.value["request_id"]
        rows = ledger.transfers.get(request_id, [])
        label = f"submit op {s.first.op} ({request_id})"
        if len(rows) > 1:
            found.duplicated.append(f"{label}: {len(rows)} transfers")
        elif s.status == "ok" and not rows:
            found.lost.append(f"{label} was acknowledged and no transfer has its request id")
        elif s.status == "ok" and rows[0].status == "rejected":
            found.violations.append(f"{label} was acknowledged but its transfer {rows[0].id} is rejected")
        elif s.status == "fail" and rows and rows[0].status != "rejected":
            found.violations.append(
                f"{label} was refused ({s.first.error}) yet transfer {rows[0].id} is {rows[0].status}"
            )
        if (
            s.status == "ok"
            and s.result.get("transfer_id")
            and rows
            and rows[0].id != s.result["transfer_id"]
        ):
            found.violations.append(
                f"{label} answered transfer {s.result['transfer_id']}, the database has {rows[0].id}"
            )
    status = {row.id: row for rows in ledger.transfers.values() for row in rows}
    for f, wanted in (("receive", ("received", None)), ("decline", ("refunded", "declined"))):
        for o in by_f.get(f, []):
            row = status.get(o.first.value["transfer_id"])
            got = (row.status, row.refund_reason if f == "decline" else None) if row else None
            if o.status == "ok" and got != wanted:
                found.violations.append(f"{f} op {o.first.op} was acknowledged, transfer is {got}")
    for row in status.values():
        found.violations.extend(_final_and_agreed(row, ledger))
    for transfer_id, state in ledger.holds.items():
        if transfer_id not in status and state != "refunded":
            found.violations.append(f"hold {transfer_id} is {state} and no transfer has its id")


def _final_and_agreed(row: TransferRow, ledger: Ledger) -> list[str]:
    """One final state, the hold and the ledger's entries agreeing with it."""
    if row.status not in FINAL:
        return [f"transfer {row.id} is still {row.status}"]
    hold = ledger.holds.get(row.id)
    entries = {k: ledger.entries.get((f"transfer_{k}", row.id), 0) for k in ("hold", "receive", "refund")}
    if row.status == "rejected":
        ok = hold in (None, "refunded") and entries["receive"] == 0
        return [] if ok else [f"transfer {row.id} is rejected, its hold is {hold}, entries {entries}"]
    wanted = {"hold": 1, "receive": int(row.status == "received"), "refund": int(row.status == "refunded")}
    if hold != HOLD_OF[row.status] or entries != wanted:
        return [f"transfer {row.id} is {row.status}, its hold is {hold}, ledger entries {entries}"]
    return []


# --- the nemesis' record, latencies


def failovers(nemesis: list[dict], ops: list[Op]) -> list[dict]:
    """Each kill of the primary, with the write outage: from the kill to the
    first acknowledged write invoked after it."""
    writes = sorted((o.invoked, o.completed) for o in ops if o.f in WRITES and o.type == "ok")
    elected = [e for e in nemesis if e["f"] == "primary-elected"]
    result = []
    for kill in (e for e in nemesis if e["f"] == "kill-primary"):
        at = kill["time"]
        first = min((done for invoked, done in writes if invoked >= at), default=None)
        new = next((e for e in elected if e["time"] >= at), None)
        result.append(
            {
                "node": kill["value"].get("node"),
                "time": round(at, 2),
                "new_primary": new["value"].get("node") if new else None,
                "election_seconds": new["value"].get("seconds") if new else None,
                "write_outage_seconds": round(first - at, 2) if first is not None else None,
                "with_sweep": bool(kill["value"].get("sweep")),
            }
        )
    return result


def latency_p99(ops: list[Op], nemesis: list[dict]) -> dict:
    """p99 (ms) of acknowledged client operations invoked before, during and
    after the nemeses (from the first fault to the last recovery)."""
    faults = [e["time"] for e in nemesis if e["f"] not in NEMESIS_RECOVERY | {"clock"}]
    recoveries = [e["time"] for e in nemesis if e["f"] in NEMESIS_RECOVERY]
    start, end = (min(faults), max(recoveries + faults)) if faults else (float("inf"), float("inf"))
    phases: dict[str, list[float]] = {"before": [], "during": [], "after": []}
    for o in ops:
        if o.f in WRITES and o.type == "ok" and o.retry_of is None:
            phase = "before" if o.invoked < start else "during" if o.invoked <= end else "after"
            phases[phase].append(o.completed - o.invoked)

    def p99(values: list[float]) -> float | None:
        ordered = sorted(values)
        return round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000, 1) if ordered else None

    return {phase: p99(values) for phase, values in phases.items()}


# --- all together


def check(lines, ledger: Ledger) -> dict:
    ops, nemesis = parse(lines)
    settled, violations = outcomes(ops)
    clients = [s for s in settled.values() if s.first.f != "read"]
    by_f: dict[str, list[Outcome]] = defaultdict(list)
    for s in clients:
        by_f[s.first.f].append(s)
    money = by_f["fund"] + by_f["charge"]
    reads = [o for o in ops if o.f == "read" and o.type == "ok"]
    found = Findings(violations=violations)
    initial = _initial(reads, money, found)
    if initial is not None:
        found.violations += bank_violations(reads, money, initial)
        expected = initial + sum(
            MONEY[m.first.f] * m.first.value["amount"] for m in money if m.status == "ok"
        )
        if not any(m.status == "unknown" for m in money) and ledger.total != expected:
            found.violations.append(f"the bank holds {ledger.total} at the end, expected {expected}")
    money_findings(money, ledger, found)
    transfer_findings(by_f, ledger, found)
    found.violations += ledger.problems
    unresolved = [s for s in clients if s.status == "unknown"]
    found.violations += [f"{s.first.f} op {s.first.op} never resolved" for s in unresolved]
    lost, duplicated = len(found.lost), len(found.duplicated)
    return {
        "operations": len(clients),
        "by_function": {f: len(v) for f, v in sorted(by_f.items())},
        "acknowledged": sum(s.first.type == "ok" for s in clients),
        "acknowledged_by_function": {f: sum(s.status == "ok" for s in v) for f, v in sorted(by_f.items())},
        "failed": sum(s.first.type == "fail" for s in clients),
        "unknown": {
            "total": sum(s.first.type not in ("ok", "fail") for s in clients),
            "resolved_ok": sum(s.first.type not in ("ok", "fail") and s.status == "ok" for s in clients),
            "resolved_fail": sum(s.first.type not in ("ok", "fail") and s.status == "fail" for s in clients),
            "unresolved": len(unresolved),
        },
        "reads": {"ok": len(reads), "failed": sum(o.f == "read" and o.type != "ok" for o in ops)},
        "transfers_final": _statuses(ledger),
        "lost": lost,
        "duplicated": duplicated,
        "invariant_violations": found.violations,
        "lost_operations": found.lost,
        "duplicated_operations": found.duplicated,
        "failovers": failovers(nemesis, ops),
        "kills": [{"time": round(e["time"], 2), **e["value"]} for e in nemesis if e["f"] == "kill-service"],
        "nemesis": [{"time": round(e["time"], 2), "f": e["f"], **e.get("value", {})} for e in nemesis],
        "p99_ms": latency_p99(ops, nemesis),
        "verdict": "pass" if lost == duplicated == len(found.violations) == 0 else "fail",
    }


def _statuses(ledger: Ledger) -> dict[str, int]:
    """How the transfers ended: received, refunded (and why), rejected."""
    counts: dict[str, int] = defaultdict(int)
    for rows in ledger.transfers.values():
        for row in rows:
            counts[row.status + (f" ({row.refund_reason})" if row.refund_reason else "")] += 1
    return dict(sorted(counts.items()))


def _initial(reads: list[Op], money: list[Outcome], found: Findings) -> int | None:
    """The total of the first read, which must precede every money operation."""
    if not reads:
        found.violations.append("no read of the bank total in the history")
        return None
    first = reads[0]
    if any(m.first.invoked < first.completed for m in money):
        found.violations.append(f"the first read (op {first.op}) is not before every money operation")
        return None
    return first.result["total"]


def main(directory: str = ".chaos") -> int:
    path = Path(directory)
    run = json.loads((path / "run.json").read_text())
    ledger = read_ledger(run["urls"]["account"], run["urls"]["transfer"])
    with (path / "history.jsonl").open() as lines:
        result = check(lines, ledger)
    # A run whose workload never got a receipt, a decline... acknowledged proved nothing about it.
    result["unexercised"] = [f for f in sorted(WRITES) if not result["acknowledged_by_function"].get(f)]
    if result["unexercised"]:
        result["verdict"] = "fail"
    (path / "result.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(
        f"{result['verdict'].upper()}: {result['operations']} operations, lost {result['lost']},"
        f" duplicated {result['duplicated']}, violations {len(result['invariant_violations'])}"
    )
    for line in (
        result["invariant_violations"][:20]
        + result["lost_operations"][:20]
        + result["duplicated_operations"][:20]
    ):
        print(f"  {line}")
    return 0 if result["verdict"] == "pass" else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
