"""Foundation: outbox, idempotency keys and the ledger.

Every context owns a branch of migrations (branch label = context name) whose
base depends on this revision, so contexts evolve their schemas independently
and `fairlend db upgrade` applies every branch's head.

Revision ID: foundation_0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fairlend.db.types import BigIntPK, UtcDateTime

revision: str = "foundation_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("foundation",)
depends_on: str | Sequence[str] | None = None

BALANCE_CHECK = """
CREATE FUNCTION ledger_check_entry_balanced() RETURNS trigger AS $$
DECLARE
    target text;
    off record;
    postings integer;
BEGIN
    IF TG_TABLE_NAME = 'ledger_entry' THEN
        target := NEW.id;
    ELSIF TG_OP = 'DELETE' THEN
        target := OLD.entry_id;
    ELSE
        target := NEW.entry_id;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM ledger_entry WHERE id = target) THEN
        RETURN NULL;  -- the entry itself was removed
    END IF;
    SELECT currency, sum(amount) AS total INTO off
      FROM ledger_posting WHERE entry_id = target
     GROUP BY currency HAVING sum(amount) <> 0 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'journal entry % does not balance: % postings sum to %',
            target, off.currency, off.total USING ERRCODE = 'check_violation';
    END IF;
    SELECT count(*) INTO postings FROM ledger_posting WHERE entry_id = target;
    IF postings < 2 THEN
        RAISE EXCEPTION 'journal entry % has % postings, needs at least 2', target, postings
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER ledger_posting_balanced
    AFTER INSERT OR UPDATE OR DELETE ON ledger_posting
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_check_entry_balanced();

CREATE CONSTRAINT TRIGGER ledger_entry_balanced
    AFTER INSERT ON ledger_entry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_check_entry_balanced();
"""


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("position", BigIntPK, primary_key=True, autoincrement=True),
        sa.Column("event_type", sa.String(80), nullable=False),
        sa.Column("aggregate_id", sa.String(40), nullable=False),
        sa.Column("business_date", sa.Date, nullable=True),
        sa.Column("occurred_at", UtcDateTime, nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("position", name="pk_outbox"),
    )
    op.create_index("ix_outbox_event_type", "outbox", ["event_type"])
    op.create_index("ix_outbox_aggregate_id", "outbox", ["aggregate_id"])
    op.create_table(
        "outbox_consumer",
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("position", BigIntPK, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_outbox_consumer"),
    )
    op.create_table(
        "idempotency_key",
        sa.Column("scope_key", sa.String(64), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("status_code", sa.Integer, nullable=True),
        sa.Column("content_type", sa.Text, nullable=True),
        sa.Column("body", sa.LargeBinary, nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("scope_key", name="pk_idempotency_key"),
    )
    op.create_table(
        "ledger_account",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("owner_id", sa.String(40), nullable=False, server_default=""),
        sa.Column("balance", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_account"),
        sa.UniqueConstraint("type", "currency", "owner_id", name="uq_ledger_account_key"),
    )
    op.create_table(
        "ledger_entry",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("business_date", sa.Date, nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("reference", sa.String(80), nullable=False, server_default=""),
        sa.Column("description", sa.String(200), nullable=False, server_default=""),
        sa.Column("posted_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_entry"),
    )
    op.create_index("ix_ledger_entry_business_date", "ledger_entry", ["business_date"])
    op.create_table(
        "ledger_posting",
        sa.Column("id", BigIntPK, autoincrement=True, nullable=False),
        sa.Column("entry_id", sa.String(40), nullable=False),
        sa.Column("account_id", sa.String(40), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_posting"),
        sa.ForeignKeyConstraint(["entry_id"], ["ledger_entry.id"], name="fk_ledger_posting_entry_id_ledger_entry"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["ledger_account.id"], name="fk_ledger_posting_account_id_ledger_account"
        ),
    )
    op.create_index("ix_ledger_posting_entry_id", "ledger_posting", ["entry_id"])
    op.create_index("ix_ledger_posting_account_id", "ledger_posting", ["account_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(BALANCE_CHECK)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS ledger_entry_balanced ON ledger_entry")
        op.execute("DROP TRIGGER IF EXISTS ledger_posting_balanced ON ledger_posting")
        op.execute("DROP FUNCTION IF EXISTS ledger_check_entry_balanced()")
    for table in ("ledger_posting", "ledger_entry", "ledger_account", "idempotency_key", "outbox_consumer", "outbox"):
        op.drop_table(table)
