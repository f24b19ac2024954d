"""Lending: the stored answers are kept with holes for what end-of-day and the date move.

An answer stored before this revision was the whole answer of the business
date it was rendered on, served only on that date. The read model now stores
the answer cut around the loan row's moving columns and each payment's status,
and fills them in when it serves it (lending/stored_answers.py), so an answer
stored the old way cannot be served: they are removed. A loan without a stored
answer is rendered as before until its next change or
`fairlend loan rebuild-answers`.

Revision ID: lending_0013
"""

from collections.abc import Sequence

from alembic import op

revision: str = "lending_0013"
down_revision: str | Sequence[str] | None = "lending_0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DELETE FROM loan_answer")


def downgrade() -> None:
    # The old code would take the new bytes for a whole answer: remove them as well.
    op.execute("DELETE FROM loan_answer")
