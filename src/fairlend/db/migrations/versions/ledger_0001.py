"""Ledger: the period lock. Nothing posts into a closed period, whoever inserts the entry.

A trigger on `ledger_entry` refuses a row dated on or before the locked date
with the message `period_closed` (the ledger turns it into that error code).
In the database rather than in `Ledger.post` so that the hot path pays no extra
round trip and no writer (a batch, a migration script, a psql session) can
slip an entry into a closed month.

Revision ID: ledger_0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ledger_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("ledger",)
depends_on: str | Sequence[str] | None = "foundation_0001"

PG_FUNCTION = """
CREATE FUNCTION ledger_refuse_closed_period() RETURNS trigger AS $$
BEGIN
    IF NEW.business_date <= (SELECT closed_through FROM ledger_period_lock WHERE id = 1) THEN
        RAISE EXCEPTION 'period_closed: the journal is closed through %', (
            SELECT closed_through FROM ledger_period_lock WHERE id = 1
        ) USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
"""
PG_TRIGGER = """
CREATE TRIGGER ledger_entry_period_open BEFORE INSERT ON ledger_entry
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_closed_period();
"""
SQLITE_TRIGGER = """
CREATE TRIGGER ledger_entry_period_open BEFORE INSERT ON ledger_entry
WHEN NEW.business_date <= (SELECT closed_through FROM ledger_period_lock WHERE id = 1)
BEGIN
    SELECT RAISE(ABORT, 'period_closed: the journal is closed for that date');
END;
"""


def upgrade() -> None:
    op.create_table(
        "ledger_period_lock",
        sa.Column("id", sa.SmallInteger, nullable=False, autoincrement=False),
        sa.Column("closed_through", sa.Date, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_period_lock"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute(PG_TRIGGER)
    else:
        op.execute(SQLITE_TRIGGER)


def downgrade() -> None:
    op.execute(
        "DROP TRIGGER IF EXISTS ledger_entry_period_open"
        + (" ON ledger_entry" if op.get_bind().dialect.name == "postgresql" else "")
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS ledger_refuse_closed_period()")
    op.drop_table("ledger_period_lock")
