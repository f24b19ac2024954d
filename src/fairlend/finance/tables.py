"""Finance's tables: classification (current and its changes), provisions, the allowance's movements.

Borrower-owned rows carry `borrower_id` first in their primary key (DESIGN.md
section 7). Classification keeps one change row per move, never a row per loan
per day; a loan's current class is its latest change row when that row left the
profile's first class (`latest` = 1; a loan without one is normal / stage 1), so a
move writes one row, not a change row and a current row. Provisions keep one row per active loan per
month-end: the explanation of each figure (which class, grade, PD, LGD).
"""

from sqlalchemy import JSON, BigInteger, Column, Date, Index, Integer, String, Table, text

from fairlend.db.metadata import metadata
from fairlend.db.types import UtcDateTime, id_column_type

finance_class_change = Table(
    "finance_class_change",
    metadata,
    Column("borrower_id", id_column_type(), primary_key=True),
    Column("loan_id", id_column_type(), primary_key=True),
    Column("business_date", Date, primary_key=True),
    Column("currency", String(3), nullable=False),
    Column("from_class", String(20), nullable=False),
    Column("to_class", String(20), nullable=False),
    Column("dpd", Integer, nullable=False),
    Column("restructured", Integer, nullable=False),  # 1: the restructured floor set the class
    # 1 on the loan's latest change when it left the first class: its current class (finance_0006).
    Column("latest", Integer, nullable=False, server_default="0"),
    Index("ix_finance_class_change_date", "business_date"),
    # One current class per loan, refused by the database otherwise (a move retires the previous one first).
    # Over the current classes only, and covering the daily join on PostgreSQL (to_class included: an
    # index-only scan), never the history that grows with every move.
    Index(
        "ix_finance_class_change_latest",
        "borrower_id",
        "loan_id",
        unique=True,
        postgresql_include=["to_class"],
        sqlite_where=text("latest = 1"),
        postgresql_where=text("latest = 1"),
    ),
)

finance_provision_loan = Table(
    "finance_provision_loan",
    metadata,
    Column("borrower_id", id_column_type(), primary_key=True),
    Column("month_end", Date, primary_key=True),
    Column("loan_id", id_column_type(), primary_key=True),
    Column("currency", String(3), nullable=False),
    Column("class_code", String(20), nullable=False),
    Column("grade", String(4), nullable=False),
    Column("dpd", Integer, nullable=False),
    Column("remaining_months", Integer, nullable=False),
    Column("pd_e6", Integer, nullable=False),  # 12-month PD of the grade
    Column("lgd_e4", Integer, nullable=False),
    Column("rate_e8", BigInteger, nullable=False),  # the loss rate applied: PD(effective) x LGD, or the category's
    Column("ead", BigInteger, nullable=False),
    Column("ecl", BigInteger, nullable=False),
    Index("ix_finance_provision_loan_month", "month_end", "currency", "class_code"),
)

# Each month-end's PD and LGD per grade (the grade stored on the loan): what the month's loans joined.
# The grade "" (none known) carries the worst grade's. Reference data, not a borrower's (finance_0005).
finance_grade_risk = Table(
    "finance_grade_risk",
    metadata,
    Column("month_end", Date, primary_key=True),
    Column("grade", String(4), primary_key=True),
    Column("pd_e6", Integer, nullable=False),
    Column("lgd_e4", Integer, nullable=False),
)

finance_provision_segment = Table(
    "finance_provision_segment",
    metadata,
    Column("month_end", Date, primary_key=True),
    Column("currency", String(3), primary_key=True),
    Column("segment", String(20), primary_key=True),
    Column("loans", Integer, nullable=False),
    Column("ead", BigInteger, nullable=False),
    Column("opening", BigInteger, nullable=False),
    Column("charge", BigInteger, nullable=False),
    Column("write_offs", BigInteger, nullable=False),
    Column("recoveries", BigInteger, nullable=False),
    Column("closing", BigInteger, nullable=False),
    Column("entry_id", String(40), nullable=False),  # "" when nothing moved
    Column("created_at", UtcDateTime, nullable=False),
)

# A charge-off or write-off, and a recovery, in the segment the loan was in: the month-end takes
# them out of (puts them back into) that segment's allowance.
finance_allowance_use = Table(
    "finance_allowance_use",
    metadata,
    Column("borrower_id", id_column_type(), primary_key=True),
    Column("id", id_column_type(), primary_key=True),
    Column("loan_id", id_column_type(), nullable=False),
    Column("business_date", Date, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("segment", String(20), nullable=False),
    Column("kind", String(12), nullable=False),  # write_off | recovery
    Column("amount", BigInteger, nullable=False),
    Index("ix_finance_allowance_use_date", "business_date"),
)

# Loans in non-accrual (FN-5) and the interest held out of income for each; rows only while in it.
finance_non_accrual = Table(
    "finance_non_accrual",
    metadata,
    Column("borrower_id", id_column_type(), primary_key=True),
    Column("loan_id", id_column_type(), primary_key=True),
    Column("currency", String(3), nullable=False),
    Column("since", Date, nullable=False),
    Column("suspended", BigInteger, nullable=False),
    Index("ix_finance_non_accrual_loan_id", "loan_id"),  # one row per loan: the key (finance_0004)
)

# Each switch into non-accrual and back (cured, settled or charged off).
finance_non_accrual_change = Table(
    "finance_non_accrual_change",
    metadata,
    Column("borrower_id", id_column_type(), primary_key=True),
    Column("loan_id", id_column_type(), primary_key=True),
    Column("business_date", Date, primary_key=True),
    Column("currency", String(3), nullable=False),
    Column("to_state", String(12), nullable=False),  # non_accrual | accrual | closed
    Column("dpd", Integer, nullable=False),
    Index("ix_finance_non_accrual_change_date", "business_date"),  # the day's switches (finance_0007)
)

# Each month closed: who closed it, the statements' totals when it was locked, and a reopening.
finance_period_close = Table(
    "finance_period_close",
    metadata,
    Column("month", String(7), primary_key=True),  # 2026-11
    Column("month_end", Date, nullable=False),
    Column("status", String(10), nullable=False),  # closed | reopened
    Column("closed_by", String(40), nullable=False),
    Column("closed_at", UtcDateTime, nullable=False),
    Column("summary", JSON, nullable=False),  # per currency: the figures the close produced
    Column("reopened_by", String(80), nullable=False, server_default=""),  # "maker,checker"
)

# Reopening a closed month takes two operators: one asks, another approves (maker-checker).
finance_reopen_request = Table(
    "finance_reopen_request",
    metadata,
    Column("id", id_column_type(), primary_key=True),
    Column("month", String(7), nullable=False),
    Column("requested_by", String(40), nullable=False),
    Column("reason", String(200), nullable=False),
    Column("requested_at", UtcDateTime, nullable=False),
    Column("status", String(10), nullable=False),  # pending | approved | refused
    Column("decided_by", String(40), nullable=False, server_default=""),
    Column("decided_at", UtcDateTime, nullable=True),
    Index("ix_finance_reopen_request_month", "month"),
)
