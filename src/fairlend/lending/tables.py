"""Lending tables: products, the loan subledger, installments, repayments, EOD.

Borrower-owned tables carry `borrower_id` first in their primary key (DESIGN.md
section 7) and a unique index on the loan id for look-ups by loan alone.
Columns that end-of-day computes on (`*_day`) are integer day numbers
(`date.toordinal()`), so the set-based SQL is plain integer arithmetic on
both SQLite and PostgreSQL.
"""

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Table,
    Text,
    false,
    text,
)

from fairlend.batch.model import slot_of
from fairlend.db.metadata import metadata
from fairlend.db.types import BigIntPK, Rate, UtcDateTime, id_column_type


def _slot_of_row(context: Any) -> int:
    """Every insert of a loan (one or many rows) gets its borrower's slot without naming it."""
    return slot_of(context.get_current_parameters()["borrower_id"])


loan_product = Table(
    "loan_product",
    metadata,
    Column("code", String(40), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("name", String(120), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("terms", JSON, nullable=False),  # Product.to_dict(): the whole product as data
    Column("created_at", UtcDateTime, nullable=False),
)

loan = Table(
    "loan",
    metadata,
    Column("borrower_id", id_column_type(), primary_key=True),
    Column("id", id_column_type(), primary_key=True),
    Column("product_code", String(40), nullable=False),
    Column("product_version", Integer, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("state", String(12), nullable=False),
    Column("method", String(24), nullable=False),
    Column("frequency", String(10), nullable=False),
    Column("rate", Rate, nullable=False),
    # The risk grade it was offered at (A1 … G5; lending/grades.py); "" where none is known (lending_0009).
    Column("grade", String(2), nullable=False, server_default=""),
    Column("apr", Rate, nullable=False),
    Column("term", Integer, nullable=False),
    Column("open_date", Date, nullable=False),
    Column("first_due_date", Date, nullable=False),
    Column("maturity_date", Date, nullable=False),
    Column("principal", BigInteger, nullable=False),  # as disbursed (financed fee included)
    Column("installment_amount", BigInteger, nullable=False),
    Column("fee_amount", BigInteger, nullable=False),
    # Product terms end-of-day reads, copied so the hot path needs no join.
    Column("grace_days", Integer, nullable=False),
    Column("penalty_daily_e10", BigInteger, nullable=False),
    Column("late_fee", BigInteger, nullable=False),
    # The subledger: this loan's share of each control account.
    Column("principal_outstanding", BigInteger, nullable=False),
    Column("principal_due", BigInteger, nullable=False),  # billed, unpaid principal
    Column("interest_due", BigInteger, nullable=False),  # billed, unpaid interest
    Column("accrued_interest", BigInteger, nullable=False),  # earned, not billed
    Column("penalty_due", BigInteger, nullable=False),
    Column("fees_due", BigInteger, nullable=False),
    # The current (first unbilled) installment, for accrual and billing.
    Column("cur_seq", Integer, nullable=False),
    Column("accrual_start_day", Integer, nullable=False),
    Column("next_due_day", Integer, nullable=True),  # None once everything is billed
    Column("accrual_interest", BigInteger, nullable=False),
    # Delinquency, as of the last end-of-day (or repayment).
    Column("oldest_due_day", Integer, nullable=True),  # oldest billed, unpaid installment
    Column("overdue_principal", BigInteger, nullable=False),
    Column("overdue_amount", BigInteger, nullable=False),
    Column("dpd", Integer, nullable=False),
    Column("bucket", String(20), nullable=False),
    Column("first_delinquency_day", Integer, nullable=True),
    Column("penalty_day", Integer, nullable=False),  # last day penalty was charged for
    Column("settled_on", Date, nullable=True),
    Column("closed_amount", BigInteger, nullable=False),  # charged or written off
    Column("created_at", UtcDateTime, nullable=False),
    # The schedule in loan_installment is this version; earlier ones are kept in loan_schedule_version.
    Column("schedule_version", Integer, nullable=False, server_default="1"),
    # A modified loan keeps its days past due and bucket as reported until it is re-aged or the plan
    # breaks (hardship): end-of-day and repayments leave them alone meanwhile.
    Column("delinquency_held", Boolean, nullable=False, server_default=false()),
    # The borrower's partition key (fairlend.batch.model.slot_of): end-of-day's partitions are ranges of it.
    Column("borrower_slot", SmallInteger, nullable=False, default=_slot_of_row),
    # Interest recalculation (recalculation.py, lending_0008): the day count's year (0: not recalculated),
    # whether billed interest compounds, the daily rate in 1e-10 units, the current period's extra
    # interest in 1e-10 minor units, and the last day end-of-day added to it (a re-run adds nothing).
    Column("recalc_year_days", SmallInteger, nullable=False, server_default="0"),
    Column("recalc_compound", Boolean, nullable=False, server_default=false()),
    Column("recalc_daily_e10", BigInteger, nullable=False, server_default="0"),
    Column("recalc_e10", BigInteger, nullable=False, server_default="0"),
    Column("recalc_day", Integer, nullable=False, server_default="0"),
    # Tranches (lending/tranches.py, lending_0010): the amount approved (0: a single disbursement, the
    # principal is all), and how many tranches were paid out; `principal` is their sum.
    Column("approved_amount", BigInteger, nullable=False, server_default="0"),
    Column("tranches", Integer, nullable=False, server_default="1"),
    # Principal balance corrections took off (changing.py, lending_0012): a flat loan's interest base is
    # `principal` less this.
    Column("principal_corrected", BigInteger, nullable=False, server_default="0"),
    Index("ix_loan_id", "id"),  # by id alone: not unique, the key is (borrower_id, id) (lending_0007)
    Index("ix_loan_state", "state"),
    # End-of-day finds the few loans billed, late or owing penalty today by these, not by a scan;
    # accrual, the one step that writes every loan, changes none of them.
    Index("ix_loan_next_due_day", "next_due_day"),
    Index("ix_loan_oldest_due_day", "oldest_due_day"),
    Index("ix_loan_overdue_principal", "overdue_principal"),
    Index("ix_loan_borrower_slot", "borrower_slot"),
)

loan_installment = Table(
    "loan_installment",
    metadata,
    Column("borrower_id", id_column_type(), primary_key=True),
    Column("loan_id", id_column_type(), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("start_day", Integer, nullable=False),
    Column("due_day", Integer, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("late_day", Integer, nullable=False),  # due_day + grace days: late if unpaid at that day's end
    Column("principal", BigInteger, nullable=False),
    Column("interest", BigInteger, nullable=False),
    Column("fee", BigInteger, nullable=False),  # late fee charged on it
    Column("principal_paid", BigInteger, nullable=False),
    Column("interest_paid", BigInteger, nullable=False),
    Column("fee_paid", BigInteger, nullable=False),
    Column("billed", Boolean, nullable=False),
    Column("late_fee_charged", Boolean, nullable=False),
    Column("paid_on", Date, nullable=True),
    # Reminders look installments up by the day they fall due; repayments never change it.
    Index("ix_loan_installment_due_day", "due_day"),
)

loan_repayment = Table(
    "loan_repayment",
    metadata,
    Column("borrower_id", id_column_type(), primary_key=True),
    Column("id", id_column_type(), primary_key=True),
    Column("loan_id", id_column_type(), nullable=False),
    Column("business_date", Date, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("principal", BigInteger, nullable=False),
    Column("interest", BigInteger, nullable=False),
    Column("penalty", BigInteger, nullable=False),
    Column("fees", BigInteger, nullable=False),
    Column("prepayment_fee", BigInteger, nullable=False),
    Column("refunded", BigInteger, nullable=False),
    Column("reference", String(80), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    # repayment | recovery (model.RepaymentKind); the hot path leaves it to the default.
    Column("kind", String(12), nullable=False, server_default="repayment"),
    Index("ix_loan_repayment_loan_id", "loan_id"),
)

# Each loan's public answer (`GET /api/v1/loans/{id}`, LoanPublic's JSON) as its last write left it: written
# by every use case that changes the loan, in its transaction (lending/stored_answers.py), and served by one
# look-up. `as_of_day` is the business date it was rendered for: the installments' statuses and the day's
# accrual move with the date, so an answer of another day is not served (end-of-day writes none).
# `version` counts the answer's rewrites.
loan_answer = Table(
    "loan_answer",
    metadata,
    Column("borrower_id", id_column_type(), primary_key=True),
    Column("loan_id", id_column_type(), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("as_of_day", Integer, nullable=False),
    Column("body", LargeBinary, nullable=False),
    Index("ix_loan_answer_loan_id", "loan_id"),  # by id alone, as ix_loan_id (lending_0007)
)

# A schedule replaced by a modification, as it stood just before: the installments with what had been
# paid on them. The current version is always loan_installment itself.
loan_schedule_version = Table(
    "loan_schedule_version",
    metadata,
    Column("borrower_id", id_column_type(), primary_key=True),
    Column("loan_id", id_column_type(), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("replaced_on", Date, nullable=False),
    Column("replaced_by", String(40), nullable=False),  # the modification's kind
    Column("reference", String(80), nullable=False),  # the plan that replaced it
    Column("rate", Rate, nullable=False),
    Column("installments", JSON, nullable=False),  # [{seq, due_date, principal, interest, fee, ...paid, paid_on}]
    Column("created_at", UtcDateTime, nullable=False),
)

# One row per change of bucket, never one per loan per day (DESIGN.md section 5).
loan_delinquency_transition = Table(
    "loan_delinquency_transition",
    metadata,
    Column("borrower_id", id_column_type(), primary_key=True),
    Column("id", id_column_type(), primary_key=True),
    Column("loan_id", id_column_type(), nullable=False),
    Column("business_date", Date, nullable=False),
    Column("from_bucket", String(20), nullable=False),
    Column("to_bucket", String(20), nullable=False),
    Column("dpd", Integer, nullable=False),
    Index("ix_loan_delinquency_transition_loan_id", "loan_id"),
)

eod_run = Table(
    "eod_run",
    metadata,
    Column("id", BigIntPK, primary_key=True, autoincrement=True),
    Column("business_date", Date, nullable=False),
    Column("outcome", String(16), nullable=False),  # done | failed | after_failed
    Column("counts", JSON, nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("duration_ms", Integer, nullable=False),
    Column("error", Text, nullable=False),
    # How the date ran: single (one transaction), embedded (partitions in-process) or distributed (workers).
    Column("mode", String(12), nullable=False, server_default="single"),
    Column("partitions", Integer, nullable=False, server_default="1"),
    Index("ix_eod_run_business_date", "business_date"),
)

# A business date's partitions (lending/eod_partitions.py): each commits on its own, once; the date closes
# only when every one of them has.
eod_partition = Table(
    "eod_partition",
    metadata,
    Column("business_date", Date, primary_key=True),
    Column("number", Integer, primary_key=True, autoincrement=False),
    Column("of_count", Integer, nullable=False),
    Column("state", String(10), nullable=False),  # pending | running | committed | failed
    Column("counts", JSON, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("worker", String(200), nullable=False),
    Column("started_at", UtcDateTime, nullable=True),
    Column("finished_at", UtcDateTime, nullable=True),
    Column("duration_ms", Integer, nullable=False),
    Column("error", Text, nullable=False),
)

# The platform's business date: one row, moved forward by end-of-day.
platform_business_date = Table(
    "platform_business_date",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("business_date", Date, nullable=False),
)

# A repayment file taken in: once per content (its SHA-256), with its counts and its
# totals applied per currency ({"CNY": minor}). Not a borrower's: it spans many.
repayment_file = Table(
    "repayment_file",
    metadata,
    Column("id", id_column_type(), primary_key=True),
    Column("sha256", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("format", String(8), nullable=False),  # file_lines.FileFormat
    Column("business_date", Date, nullable=False),
    Column("lines", Integer, nullable=False),
    Column("applied", Integer, nullable=False),
    Column("duplicates", Integer, nullable=False),
    Column("refused", Integer, nullable=False),
    Column("totals", JSON, nullable=False),
    Column("imported_by", String(40), nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Index("uq_repayment_file_sha256", "sha256", unique=True),
)

# What became of each payment line of a file (file_lines.LineStatus), kept so that the
# result can be read again by the file's id. An external reference is applied at most once,
# across every file: the partial unique index holds it whatever runs at the same time.
repayment_file_line = Table(
    "repayment_file_line",
    metadata,
    Column("file_id", id_column_type(), primary_key=True),
    Column("line", Integer, primary_key=True, autoincrement=False),
    Column("status", String(10), nullable=False),
    Column("code", String(40), nullable=False),
    Column("detail", String(200), nullable=False),
    Column("loan_id", String(40), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("value_date", Date, nullable=True),
    Column("external_reference", String(80), nullable=False),
    Column("repayment_id", String(40), nullable=False),
    Index(
        "uq_repayment_file_line_applied_reference",
        "external_reference",
        unique=True,
        sqlite_where=text("status = 'applied'"),
        postgresql_where=text("status = 'applied'"),
    ),
)
