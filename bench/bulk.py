"""Bulk loader of the benchmark's 06:00 burst: ``count`` pending transfers
written straight into the account and transfer databases, row for row what
the API would have written (persons, accounts, wallets, the funding and hold
journal entries with their postings, the holds, the transfers and their
CREATED events), set-based so that 100,000 take seconds, not the hours the
API would need under its own limits (three transfers a day per payer, one
pending transfer per payer and payee). The benchmark checks the ledger after
the burst."""

from __future__ import annotations

from datetime import datetime

import psycopg

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
