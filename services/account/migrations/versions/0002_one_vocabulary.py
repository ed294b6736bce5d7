"""One vocabulary for a transfer's money: hold -> receive | refund.

Hold states held / settled / released become pending / received / refunded;
ledger entries transfer_out / transfer_in become transfer_hold /
transfer_receive; their idempotency keys are namespaced transfer:<step>:<id>.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_STATES = [("held", "pending"), ("settled", "received"), ("released", "refunded")]
_ENTRIES = [("transfer_out", "transfer_hold"), ("transfer_in", "transfer_receive")]
_KEYS = [("hold:", "transfer:hold:"), ("settled:", "transfer:receive:"), ("released:", "transfer:refund:")]


def _rename(states, entries, keys) -> None:
    for old, new in states:
        op.execute(f"UPDATE holds SET state = '{new}' WHERE state = '{old}'")
    for old, new in entries:
        op.execute(f"UPDATE journal_entries SET kind = '{new}' WHERE kind = '{old}'")
    for old, new in keys:
        op.execute(
            f"UPDATE journal_entries SET idempotency_key = '{new}' || substr(idempotency_key, {len(old) + 1}) "
            f"WHERE idempotency_key LIKE '{old}%'"
        )


def upgrade() -> None:
    _rename(_STATES, _ENTRIES, _KEYS)


def downgrade() -> None:
    flip = lambda pairs: [(new, old) for old, new in pairs]  # noqa: E731
    _rename(flip(_STATES), flip(_ENTRIES), flip(_KEYS))
