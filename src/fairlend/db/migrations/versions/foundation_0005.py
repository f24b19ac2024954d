"""Foundation: PostgreSQL's deferred balance check sums an entry once, not once per posting.

The check (foundation_0001) fires once per posting row at commit and summed the
whole entry each time: n postings cost n^2 row reads, minutes for a market
distribution entry of 20,000 postings. Deferred triggers fire in the order the
rows were written, and `Ledger` writes an entry's postings together, so the
entry a posting's check has just found balanced is remembered in one
transaction-local setting and its next postings skip the sum. An entry whose
postings are interleaved with another's is summed again: slower, never wrong.

One setting name for every entry: a name per entry would stay in the session's
settings for the life of a pooled connection and grow without bound.

Revision ID: foundation_0005
"""

from collections.abc import Sequence

from alembic import op

revision: str = "foundation_0005"
down_revision: str | Sequence[str] | None = "foundation_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHECK_ONCE = """
CREATE OR REPLACE FUNCTION ledger_check_entry_balanced() RETURNS trigger AS $$
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
    IF TG_OP = 'INSERT' AND current_setting('fairlend.balanced_entry', true) = target THEN
        RETURN NULL;  -- this entry's previous posting found it balanced
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
    IF TG_OP = 'INSERT' THEN
        PERFORM set_config('fairlend.balanced_entry', target, true);
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(CHECK_ONCE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        from fairlend.db.migrations.versions.foundation_0001 import BALANCE_CHECK

        function = BALANCE_CHECK.split("CREATE CONSTRAINT TRIGGER")[0]
        op.execute(function.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1))
