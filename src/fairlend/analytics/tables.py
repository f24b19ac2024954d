"""Analytics' own tables: the month-end snapshot of the book, a cache of what the live statements compute.

Analytics still owns no truth: every row here is what `queries.py` would
compute live from the other contexts' published selectables for that month's
last day, written once by end-of-day on the month's last day (or by the
backfill) so that a page over many months reads loans × months rows with no
correlated look-up. Dropping the rows loses nothing: the page falls back to
the live statements for every month without a recorded snapshot.

`analytics_loan_month` keeps, for each month-end, the loans still on the book
(status a delinquency bucket) and those that left it during that month
(`settled`, `charged_off`: the destination of a roll from the month before);
a loan that left in an earlier month has no row, so a closed book stops
growing the table. Borrower-owned: `borrower_id` first in the key (DESIGN.md
§7). `analytics_snapshot_month` records which month-ends were written (a month
with no loan still has its row), so the reader knows a month is complete.
"""

from sqlalchemy import BigInteger, Column, Date, Index, Integer, String, Table

from fairlend.db.metadata import metadata
from fairlend.db.types import UtcDateTime, id_column_type

analytics_loan_month = Table(
    "analytics_loan_month",
    metadata,
    Column("borrower_id", id_column_type(), primary_key=True),
    Column("month_end", Date, primary_key=True),
    Column("loan_id", id_column_type(), primary_key=True),
    Column("grade", String(1), nullable=False),  # the offer's letter, "" when booked without an offer
    Column("status", String(20), nullable=False),  # a bucket's name, `settled` or `charged_off`
    Column("outstanding", BigInteger, nullable=False),  # principal less principal repaid through the day
    Index("ix_analytics_loan_month_month", "month_end", "grade"),
)

analytics_snapshot_month = Table(
    "analytics_snapshot_month",
    metadata,
    Column("month_end", Date, primary_key=True),
    Column("loans", Integer, nullable=False),
    Column("written_at", UtcDateTime, nullable=False),
)
