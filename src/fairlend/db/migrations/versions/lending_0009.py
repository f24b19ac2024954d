"""Lending: a loan stores the risk grade it was offered at.

Finance used to infer the grade from the loan's rate (the worst grade priced
at or below it), which is wrong for a loan whose rate was agreed by hand and
costs a 35-way comparison per loan at every month-end. The column is added
with the empty grade as its default and filled for the loans already booked:

1. from the accepted offer that booked the loan (origination's `loan_offer`,
   whose `loan_id` names it, a listed offer's too): the grade the score gave;
2. else from the rate, as finance did: the worst grade priced at or below it,
   on the credit policy's ladder as it stood when this migration was written
   (A1 at 6 %, 0.5 % more per grade to G5 at 23 %; origination/model.py
   `CreditPolicy`). The ladder is copied here, not imported: a migration must
   do tomorrow what it did today.

It reads origination's table once, as data: hence `depends_on`.

Revision ID: lending_0009
"""

from collections.abc import Sequence
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision: str = "lending_0009"
down_revision: str | Sequence[str] | None = "lending_0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "origination_0001"

GRADES = tuple(f"{letter}{n}" for letter in "ABCDEFG" for n in range(1, 6))
BASE_RATE = Decimal("0.06")
RATE_STEP = Decimal("0.005")


def _by_rate(rate: sa.ColumnElement[float]) -> sa.ColumnElement[str]:
    # Worst grade first: the first price at or below the rate wins; below A1's price, A1.
    whens = [
        (rate >= float(BASE_RATE + RATE_STEP * i) - 1e-9, sa.literal(grade))
        for i, grade in reversed(list(enumerate(GRADES)))
    ]
    return sa.case(*whens, else_=sa.literal(GRADES[0]))


def upgrade() -> None:
    with op.batch_alter_table("loan") as batch:
        batch.add_column(sa.Column("grade", sa.String(2), nullable=False, server_default=""))
    loan = sa.table(
        "loan", sa.column("borrower_id"), sa.column("id"), sa.column("rate"), sa.column("grade", sa.String(2))
    )
    offer = sa.table("loan_offer", sa.column("borrower_id"), sa.column("loan_id"), sa.column("grade"))
    offered = (
        sa.select(offer.c.grade)
        .where(offer.c.borrower_id == loan.c.borrower_id, offer.c.loan_id == loan.c.id)
        .limit(1)
        .scalar_subquery()
    )
    op.execute(sa.update(loan).values(grade=sa.func.coalesce(offered, _by_rate(sa.cast(loan.c.rate, sa.Float)))))


def downgrade() -> None:
    with op.batch_alter_table("loan") as batch:
        batch.drop_column("grade")
