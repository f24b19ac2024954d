"""Market: distribution per loan, not per note: cumulative rows, epochs, and the notes' received amounts.

A batch used to write a row per note (`market_distribution`) and update every
note's outstanding principal; it now writes one row per loan (`market_loan_batch`)
and advances the loan's cumulative row (`market_loan_share`), a note's part being
floor(C * w / W) over its weight in the loan's current epoch (docs/market.md,
"Shares derived from the loan's totals"). The fold: each note's existing share rows
are summed into its new received columns (repayments: principal, fee, net;
recoveries: fee, net), its outstanding principal is already current, and each loan
with notes starts epoch 0 with nothing distributed in it and the notes' outstanding
plus principal written down as its weight. `market_distribution` keeps its rows as
the history of the batches before this revision and gets no new ones.

Revision ID: market_0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "market_0008"
down_revision: str | Sequence[str] | None = "market_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_RECEIVED = (
    ("paid_principal_minor", "principal_minor", "<>"),
    ("paid_fee_minor", "fee_minor", "<>"),
    ("paid_net_minor", "net_minor", "<>"),
    ("recovered_fee_minor", "fee_minor", "="),
    ("recovered_net_minor", "net_minor", "="),
)


def upgrade() -> None:
    for column, _, _ in _RECEIVED:
        op.add_column("market_note", sa.Column(column, sa.BigInteger, nullable=False, server_default="0"))
    op.create_table(
        "market_loan_share",
        sa.Column("loan_id", sa.String(40), primary_key=True),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("epoch", sa.Integer, nullable=False),
        sa.Column("weight_minor", sa.BigInteger, nullable=False),
        sa.Column("principal_minor", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("fee_minor", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("net_minor", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("recovery_fee_minor", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("recovery_net_minor", sa.BigInteger, nullable=False, server_default="0"),
        sa.CheckConstraint(
            "weight_minor >= 0 AND principal_minor >= 0 AND fee_minor >= 0 AND net_minor >= 0 "
            "AND recovery_fee_minor >= 0 AND recovery_net_minor >= 0",
            name="ck_market_loan_share_amounts",
        ),
    )
    op.create_table(
        "market_loan_batch",
        sa.Column("batch_id", sa.String(40), primary_key=True),
        sa.Column("loan_id", sa.String(40), primary_key=True),
        sa.Column("epoch", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("business_date", sa.Date, nullable=False),
        sa.Column("weight_minor", sa.BigInteger, nullable=False),
        sa.Column("principal_before", sa.BigInteger, nullable=False),
        sa.Column("fee_before", sa.BigInteger, nullable=False),
        sa.Column("net_before", sa.BigInteger, nullable=False),
        sa.Column("principal_after", sa.BigInteger, nullable=False),
        sa.Column("fee_after", sa.BigInteger, nullable=False),
        sa.Column("net_after", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_market_loan_batch_loan", "market_loan_batch", ["loan_id", "epoch"])
    op.create_table(
        "market_note_epoch",
        sa.Column("loan_id", sa.String(40), primary_key=True),
        sa.Column("epoch", sa.Integer, primary_key=True),
        sa.Column("holder_id", sa.String(40), primary_key=True),
        sa.Column("note_id", sa.String(40), primary_key=True),
        sa.Column("weight_minor", sa.BigInteger, nullable=False),
        sa.Column("batch_id", sa.String(40), nullable=False),
        sa.Column("business_date", sa.Date, nullable=False),
        sa.Column("principal_minor", sa.BigInteger, nullable=False),
        sa.Column("fee_minor", sa.BigInteger, nullable=False),
        sa.Column("net_minor", sa.BigInteger, nullable=False),
        sa.Column("recovery_fee_minor", sa.BigInteger, nullable=False),
        sa.Column("recovery_net_minor", sa.BigInteger, nullable=False),
    )
    # The fold: what each note received, from its share rows (correlated sums: one statement, both databases).
    sets = ",\n".join(
        f"""{column} = (SELECT COALESCE(SUM(d.{source}), 0) FROM market_distribution d
             WHERE d.holder_id = market_note.holder_id AND d.note_id = market_note.id AND d.kind {op_} 'recovery')"""
        for column, source, op_ in _RECEIVED
    )
    op.execute(
        f"UPDATE market_note SET {sets} WHERE EXISTS (SELECT 1 FROM market_distribution d "
        "WHERE d.holder_id = market_note.holder_id AND d.note_id = market_note.id)"
    )
    op.execute(
        """
        INSERT INTO market_loan_share (loan_id, currency, epoch, weight_minor, principal_minor, fee_minor,
                                       net_minor, recovery_fee_minor, recovery_net_minor)
        SELECT loan_id, MIN(currency), 0, SUM(outstanding_minor + charged_off_minor), 0, 0, 0, 0, 0
          FROM market_note GROUP BY loan_id
        """
    )


def downgrade() -> None:
    # Batches distributed after this revision have no per-note rows to go back to: a downgrade keeps the
    # notes' outstanding principal only if every loan's current epoch has distributed nothing.
    op.drop_table("market_note_epoch")
    op.drop_index("ix_market_loan_batch_loan", table_name="market_loan_batch")
    op.drop_table("market_loan_batch")
    op.drop_table("market_loan_share")
    with op.batch_alter_table("market_note") as batch:
        for column, _, _ in _RECEIVED:
            batch.drop_column(column)
