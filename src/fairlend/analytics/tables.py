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

from sqlalchemy import BigInteger, Boolean, Column, Date, Index, Integer, String, Table, false

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
    # The status at the month-end before (NULL: no row then): a roll is one row, not a self-join (analytics_0002).
    Column("prev_status", String(20), nullable=True),
    Index("ix_analytics_loan_month_month", "month_end", "grade"),
)

analytics_snapshot_month = Table(
    "analytics_snapshot_month",
    metadata,
    Column("month_end", Date, primary_key=True),
    Column("loans", Integer, nullable=False),
    Column("written_at", UtcDateTime, nullable=False),
    # Whether the month-end before was stored when this one was written: only then is `prev_status` complete.
    Column("rolls", Boolean, nullable=False, server_default=false()),
    # Whether every default on or before this month-end is in `analytics_loan_default`.
    Column("defaults", Boolean, nullable=False, server_default=false()),
)

# Contact attempts per calendar month of UTC instants (as the live count reads the log), by outcome,
# rules and collector: written the day after the month's end, when every instant of it has passed.
analytics_attempt_month = Table(
    "analytics_attempt_month",
    metadata,
    Column("month_end", Date, primary_key=True),
    Column("outcome", String(12), primary_key=True),
    Column("rules", String(200), primary_key=True),
    Column("collector_id", String(40), primary_key=True),
    Column("attempts", Integer, nullable=False),
)

analytics_attempt_snapshot = Table(
    "analytics_attempt_snapshot",
    metadata,
    Column("month_end", Date, primary_key=True),
    Column("attempts", Integer, nullable=False),
    Column("written_at", UtcDateTime, nullable=False),
)

# Each loan's default date (the first day more than 90 days past due, or its charge-off), stored once
# it falls on or before a stored month-end: a past default never moves, so the page reads it instead
# of looking up every loan's transitions (analytics_0002).
analytics_loan_default = Table(
    "analytics_loan_default",
    metadata,
    Column("borrower_id", id_column_type(), primary_key=True),
    Column("loan_id", id_column_type(), primary_key=True),
    Column("default_on", Date, nullable=False),
)

# Each loan's facts that the measures join on and that never move once booked (grade, score, opening
# day, currency) or move once (the first charge-off or write-off), for the loans opened on or before the
# day in `analytics_loan_snapshot` (analytics_0003): the page reads one row per loan instead of joining
# lending's loans to origination's offers and applications and to a pass over the whole journal, which
# SQLite re-ran for every month a statement joined. What moves within a day (principal by a tranche,
# settlement, the closed amount) stays lending's, read by primary key (loans.py).
analytics_loan = Table(
    "analytics_loan",
    metadata,
    Column("borrower_id", id_column_type(), primary_key=True),
    Column("loan_id", id_column_type(), primary_key=True),
    Column("grade", String(1), nullable=False),  # the offer's letter, "" when booked without an offer
    Column("score", Integer, nullable=True),  # the application's score, NULL likewise
    Column("open_date", Date, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("closed_on", Date, nullable=True),  # the first charge-off or write-off's business date
    Index("ix_analytics_loan_open_date", "open_date"),
)

# One row: the day through which `analytics_loan` holds every loan and every closing.
analytics_loan_snapshot = Table(
    "analytics_loan_snapshot",
    metadata,
    Column("through", Date, primary_key=True),
    Column("loans", Integer, nullable=False),
    Column("written_at", UtcDateTime, nullable=False),
)
