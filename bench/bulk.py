"""Bulk loaders of the benchmarks: rows written straight into the account
and transfer databases, row for row what the API would have written,
set-based so that 100,000 take seconds, not the hours the API would need
under its own limits (three transfers a day per payer, one pending transfer
per payer and payee).

``load_due_transfers`` (make bench's 06:00 burst): ``count`` pending
transfers with their persons, accounts, wallets, the funding and hold
journal entries with their postings, the holds, the transfers and their
CREATED events; the benchmark checks the ledger after the burst.
``load_pairs`` (make soak): payer/payee pairs ready to transfer."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import psycopg

from services.account.domain.identity import check_digit, id_number_hash, mask_id_number
from services.kernel.clock import beijing_month

AMOUNT = 10_000  # fen per bulk transfer

_ACCOUNT = [
    # payers (employee, 南宁) and payees (resident, 北京)
    """INSERT INTO persons SELECT 'bp-' || i, md5('bp-' || i), '450102********0000', '批量付款人', 'employee',
           '450102', '450000', 'active', %(at)s, %(at)s FROM generate_series(1, %(n)s::integer) i""",
    """INSERT INTO persons SELECT 'bq-' || i, md5('bq-' || i), '110101********0000', '批量收款人', 'resident',
           '110101', '110000', 'active', %(at)s, %(at)s FROM generate_series(1, %(n)s::integer) i""",
    # personal account: funded, then held to reserved; the payee's wallet
    """INSERT INTO accounts (kind, person_id, balance, may_go_negative)
       SELECT kind, 'bp-' || i, CASE kind WHEN 'reserved' THEN %(amount)s::bigint ELSE 0 END, false
       FROM generate_series(1, %(n)s::integer) i, (VALUES ('personal'), ('reserved')) k(kind)""",
    """INSERT INTO accounts (kind, person_id, balance, may_go_negative)
       SELECT 'wallet', 'bq-' || i, 0, false FROM generate_series(1, %(n)s::integer) i""",
    """INSERT INTO wallets SELECT person_id, id, '110101', '13800138000', %(at)s, %(at)s
       FROM accounts WHERE kind = 'wallet' AND person_id LIKE 'bq-%%'""",
    """INSERT INTO accounts (kind, system_key, balance, may_go_negative) VALUES ('fund', 'fund:450000', 0, true)
       ON CONFLICT (system_key) DO NOTHING""",
    "UPDATE accounts SET balance = balance - %(n)s::integer * %(amount)s::bigint WHERE system_key = 'fund:450000'",
    # journal entries: the funding and the hold of each transfer
    """INSERT INTO journal_entries (kind, idempotency_key, request_hash, reference, description, posted_at)
       SELECT 'funding', 'fund:450000:bulk-' || i, 'bulk', 'bulk-' || i, '个人账户划入 bulk', %(at)s
       FROM generate_series(1, %(n)s::integer) i""",
    """INSERT INTO journal_entries (kind, idempotency_key, request_hash, reference, description, posted_at)
       SELECT 'transfer_hold', 'transfer:hold:bt-' || i, 'bulk', 'bt-' || i, '医保钱包转出', %(at)s
       FROM generate_series(1, %(n)s::integer) i""",
    # postings: fund -> personal (funding), personal -> reserved (hold)
    *(
        f"""INSERT INTO postings (entry_id, account_id, amount, balance_after)
            SELECT j.id, a.id, {sign} * %(amount)s::bigint, {after}
            FROM generate_series(1, %(n)s::integer) i
            JOIN journal_entries j ON j.idempotency_key = '{key}' || i
            JOIN accounts a ON {account}"""
        for key, sign, after, account in (
            ("fund:450000:bulk-", -1, "0", "a.system_key = 'fund:450000'"),
            (
                "fund:450000:bulk-",
                1,
                "%(amount)s::bigint",
                "a.person_id = 'bp-' || i AND a.kind = 'personal'",
            ),
            ("transfer:hold:bt-", -1, "0", "a.person_id = 'bp-' || i AND a.kind = 'personal'"),
            (
                "transfer:hold:bt-",
                1,
                "%(amount)s::bigint",
                "a.person_id = 'bp-' || i AND a.kind = 'reserved'",
            ),
        )
    ),
    """INSERT INTO holds SELECT 'bt-' || i, 'bp-' || i, 'bq-' || i, 'personal', %(amount)s::bigint, 'pending', %(at)s, %(at)s
       FROM generate_series(1, %(n)s::integer) i""",
]

_TRANSFER = [
    """INSERT INTO transfers (id, request_id, request_hash, payer_id, payee_id, payee_name, payee_masked_id_number,
           relation, source, amount, status, payer_province, payee_province, created_at, expires_at, updated_at,
           open_pair)
       SELECT 'bt-' || i, 'bulk-' || i, 'bulk', 'bp-' || i, 'bq-' || i, '批量收款人', '110101********0000', 'parent',
           'personal', %(amount)s::bigint, 'pending', '450000', '110000', %(at)s, %(expires)s, %(at)s, 'bp-' || i || ':bq-' || i
       FROM generate_series(1, %(n)s::integer) i""",
    # CREATED events, numbered after the last one (as the sequencer would have, hours before 06:00)
    """INSERT INTO transfer_events (sequence, transfer_id, type, payer_province, payee_province, occurred_at)
       SELECT top.n + i, 'bt-' || i, 'created', '450000', '110000', %(at)s
       FROM generate_series(1, %(n)s::integer) i, (SELECT coalesce(max(sequence), 0) AS n FROM transfer_events) top""",
]


def load_due_transfers(
    account_url: str, transfer_url: str, count: int, at: datetime, expires: datetime
) -> None:
    """``count`` pending transfers of AMOUNT fen created at ``at``, due at ``expires``."""
    params = {"n": count, "amount": AMOUNT, "at": at, "expires": expires}
    for url, statements in ((account_url, _ACCOUNT), (transfer_url, _TRANSFER)):
        with psycopg.connect(url) as conn:
            for statement in statements:
                conn.execute(statement, params)


# --- the soak's payer/payee pairs (make soak)

FUNDING = 100_000  # fen in each soak payer's personal account


@dataclass(frozen=True)
class Pair:
    """A payer ready to transfer to a payee: both insured and with a wallet in
    their own county, funded, attested as the payee's child."""

    payer_id: str
    payee_id: str
    payee_name: str
    payee_id_number: str


def _id_number(region: str, born: date, serial: int) -> str:
    first17 = f"{region}{born:%Y%m%d}{serial:03d}"
    return first17 + check_digit(first17)


def load_pairs(
    account_url: str, counties: list[str], first: int, count: int, at: datetime, id_hash_key: str
) -> list[Pair]:
    """``count`` pairs numbered from ``first`` (so that calls add to each
    other): payer i insured (employee) in ``counties[i % n]``, payee
    (resident) in a county of another province, persons found by the
    service's keyed hash of their ID numbers. Row for row what RegisterPerson,
    FundPersonalAccount, OpenWallet and AttestRelation write, set-based: the
    rows go into a temporary table by COPY and from there into the tables
    with one statement each."""
    n, key = len(counties), id_hash_key.encode()
    pairs, people, links = [], [], []
    for i in range(first, first + count):
        # Counties come grouped by province (ten each in the soak): a shift
        # of 10..300 lands in another province.
        payer_region, payee_region = counties[i % n], counties[(i + 10 * (1 + (i // n) % 30)) % n]
        day, serial = divmod(i, 1000)
        payer_no = _id_number(payer_region, date(1970, 1, 1) + timedelta(days=day), serial)
        payee_no = _id_number(payee_region, date(1940, 1, 1) + timedelta(days=day), serial)
        payer_id, payee_id = str(uuid.uuid5(_SOAK, payer_no)), str(uuid.uuid5(_SOAK, payee_no))
        for pid, number, name, kind, region in (
            (payer_id, payer_no, "付款人", "employee", payer_region),
            (payee_id, payee_no, "收款人", "resident", payee_region),
        ):
            people.append(
                (
                    pid,
                    id_number_hash(number, key),
                    mask_id_number(number),
                    name,
                    kind,
                    region,
                    region[:2] + "0000",
                )
            )
        links.append((payer_id, payee_id, f"soak-{i}"))
        pairs.append(Pair(payer_id, payee_id, "收款人", payee_no))
    params = {"at": at, "amount": FUNDING, "period": f"个人账户划入 {beijing_month(at)}"}
    with psycopg.connect(account_url) as conn:
        conn.execute(
            "CREATE TEMP TABLE soak_people (id text, id_hash text, masked text, name text, kind text,"
            " region text, province text) ON COMMIT DROP"
        )
        conn.execute("CREATE TEMP TABLE soak_links (payer text, payee text, ref text) ON COMMIT DROP")
        with conn.cursor().copy("COPY soak_people FROM STDIN") as copy:
            for row in people:
                copy.write_row(row)
        with conn.cursor().copy("COPY soak_links FROM STDIN") as copy:
            for row in links:
                copy.write_row(row)
        for statement in _PAIRS:
            conn.execute(statement, params)
    return pairs


_SOAK = uuid.UUID("5f0a3c1e-0000-4000-8000-000000000016")

_PAIRS = [
    """INSERT INTO persons (id, id_hash, masked_id_number, name, insurance_type, insured_region, province,
           status, created_at, updated_at)
       SELECT id, id_hash, masked, name, kind, region, province, 'active', %(at)s, %(at)s FROM soak_people""",
    # the payers' personal accounts, funded; everyone's wallet, at their insured county
    """INSERT INTO accounts (kind, person_id, balance, may_go_negative)
       SELECT 'personal', id, %(amount)s::bigint, false FROM soak_people WHERE kind = 'employee'""",
    """INSERT INTO accounts (kind, person_id, balance, may_go_negative)
       SELECT 'wallet', id, 0, false FROM soak_people""",
    """INSERT INTO wallets (person_id, account_id, place_of_use, mobile, opened_at, updated_at)
       SELECT p.id, a.id, p.region, '13800138000', %(at)s, %(at)s
       FROM soak_people p JOIN accounts a ON a.person_id = p.id AND a.kind = 'wallet'""",
    # the funding: one entry per payer, from the fund of the payer's province
    """INSERT INTO accounts (kind, system_key, balance, may_go_negative)
       SELECT DISTINCT 'fund', 'fund:' || province, 0, true FROM soak_people WHERE kind = 'employee'
       ON CONFLICT (system_key) DO NOTHING""",
    """UPDATE accounts a SET balance = a.balance - f.total
       FROM (SELECT 'fund:' || province AS key, count(*) * %(amount)s::bigint AS total
             FROM soak_people WHERE kind = 'employee' GROUP BY province) f
       WHERE a.system_key = f.key""",
    """INSERT INTO journal_entries (kind, idempotency_key, request_hash, reference, description, posted_at)
       SELECT 'funding', 'fund:' || p.province || ':' || l.ref, 'bulk', l.ref, %(period)s, %(at)s
       FROM soak_links l JOIN soak_people p ON p.id = l.payer""",
    """INSERT INTO postings (entry_id, account_id, amount, balance_after)
       SELECT j.id, a.id, -%(amount)s::bigint, 0
       FROM soak_links l JOIN soak_people p ON p.id = l.payer
       JOIN journal_entries j ON j.idempotency_key = 'fund:' || p.province || ':' || l.ref
       JOIN accounts a ON a.system_key = 'fund:' || p.province""",
    """INSERT INTO postings (entry_id, account_id, amount, balance_after)
       SELECT j.id, a.id, %(amount)s::bigint, %(amount)s::bigint
       FROM soak_links l JOIN soak_people p ON p.id = l.payer
       JOIN journal_entries j ON j.idempotency_key = 'fund:' || p.province || ':' || l.ref
       JOIN accounts a ON a.person_id = l.payer AND a.kind = 'personal'""",
    # the relation, both ways: the payee is the payer's parent
    """INSERT INTO relations (person_id, relative_id, kind, attested_at)
       SELECT payer, payee, 'parent', %(at)s FROM soak_links
       UNION ALL SELECT payee, payer, 'child', %(at)s FROM soak_links""",
]
