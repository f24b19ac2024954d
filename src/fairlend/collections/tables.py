"""Collections tables. Borrower-owned rows carry `borrower_id` first in the key (DESIGN 7)."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)

from fairlend.db.metadata import metadata
from fairlend.db.types import UtcDateTime

# Append-only and hash-chained per borrower (chain.py). Never updated, never deleted.
contact_log = Table(
    "contact_log",
    metadata,
    Column("borrower_id", String(40), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("id", String(40), nullable=False),
    Column("loan_id", String(40), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("medium", String(10), nullable=False),
    Column("recipient_kind", String(20), nullable=False),
    Column("recipient_id", String(80), nullable=False),
    Column("recipient_masked", String(80), nullable=False),
    Column("recipient_tz", String(60), nullable=False),
    Column("number_key", String(64), nullable=False),
    Column("template", String(40), nullable=False),
    # Sealed by the PII vault when text_sealed (a collector's words may name people); the chain
    # hashes the text itself, so re-sealing under a new key never breaks it.
    Column("text", Text, nullable=False),
    Column("outcome", String(12), nullable=False),
    Column("rules", String(200), nullable=False),  # comma-separated RULES.md ids
    Column("connected", Boolean, nullable=False),
    Column("conversation", Boolean, nullable=False),
    Column("collector_id", String(40), nullable=False),
    Column("task_id", String(40), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("resolves", String(40), nullable=False, server_default=""),
    Column("text_sealed", Boolean, nullable=False, server_default=false()),
    Index("ix_contact_log_id", "id"),  # ids are unique by construction; the key is (borrower_id, seq)
    Index("ix_contact_log_loan_id", "loan_id"),
    Index("ix_contact_log_at", "at"),
)

# Messages recorded as DISPATCHING whose outcome is not yet in the log. The address and
# the exact text (which may hold a one-time code the log shows masked) are sealed
# together; the row goes when the outcome is recorded. A dispatcher finishes or
# expires what a crash left here.
contact_dispatch = Table(
    "contact_dispatch",
    metadata,
    Column("borrower_id", String(40), primary_key=True),
    Column("log_id", String(40), primary_key=True),
    Column("loan_id", String(40), nullable=False),
    Column("medium", String(10), nullable=False),
    Column("template", String(40), nullable=False),
    Column("sealed", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("tries", Integer, nullable=False),
    Column("last_try_at", UtcDateTime, nullable=True),
    Index("ix_contact_dispatch_created_at", "created_at"),
)

# The head of each borrower's chain: appends lock it, so the chain never forks.
contact_log_head = Table(
    "contact_log_head",
    metadata,
    Column("borrower_id", String(40), primary_key=True),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
)

collection_task = Table(
    "collection_task",
    metadata,
    Column("borrower_id", String(40), primary_key=True),
    Column("id", String(40), primary_key=True),
    Column("loan_id", String(40), nullable=False),
    Column("business_date", Date, nullable=False),
    Column("step", String(40), nullable=False),
    Column("action", String(30), nullable=False),
    Column("medium", String(10), nullable=False),
    Column("days_past_due", Integer, nullable=False),
    Column("overdue_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("priority", BigInteger, nullable=False),
    Column("status", String(10), nullable=False),
    Column("note", String(200), nullable=False, server_default=""),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("loan_id", "business_date", "step", "borrower_id", name="uq_collection_task_loan_id"),
    Index("ix_collection_task_queue", "business_date", "status", "priority"),
)

# One row per planned business date: re-running end-of-day plans nothing twice.
collection_plan_run = Table(
    "collection_plan_run",
    metadata,
    Column("business_date", Date, primary_key=True),
    Column("tasks", Integer, nullable=False),
    Column("planned_at", UtcDateTime, nullable=False),
)

# Loans lending told us were settled (lending.LoanSettled), recorded in the
# settling transaction: P-2 holds even if a later read of lending were stale.
settled_loan = Table(
    "settled_loan",
    metadata,
    Column("borrower_id", String(40), primary_key=True),
    Column("loan_id", String(40), primary_key=True),
    Column("settled_on", Date, nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    Index("ix_settled_loan_loan_id", "loan_id"),
)

# The borrower's hardship request or kept plan on a loan, as collections follows hardship's events (P-10):
# a row while the loan is in one (state "request" or "plan"), none otherwise. Written in hardship's own
# transactions under the borrower's chain lock (holds.py), read by the policy and the planner.
loan_hardship = Table(
    "loan_hardship",
    metadata,
    Column("borrower_id", String(40), primary_key=True),
    Column("loan_id", String(40), primary_key=True),
    Column("state", String(10), nullable=False),
    Column("reference", String(40), nullable=False),  # the request's id, or the plan's
    Column("since", Date, nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    Index("ix_loan_hardship_loan_id", "loan_id"),
)

contact_person = Table(
    "contact_person",
    metadata,
    Column("borrower_id", String(40), primary_key=True),
    Column("id", String(40), primary_key=True),
    Column("name", String(80), nullable=False),  # the masked name ("张*"); clear only in rows from before sealing
    Column("name_sealed", Text, nullable=True),
    Column("relation", String(40), nullable=False),
    Column("purpose", String(200), nullable=False),
    # Sealed by identity's PII vault (PhoneVault port; DESIGN 4: phones encrypted at rest).
    # The masked form is for display, number_key (keyed hash) for matching cease requests.
    Column("phone_sealed", Text, nullable=False),
    Column("phone_masked", String(20), nullable=False),
    Column("number_key", String(64), nullable=False),
    Column("timezone", String(60), nullable=False),
    Column("status", String(10), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("confirmed_at", UtcDateTime, nullable=True),
    Index("ix_contact_person_id", "id"),
)

cease_request = Table(
    "cease_request",
    metadata,
    Column("borrower_id", String(40), primary_key=True),
    Column("id", String(40), primary_key=True),
    Column("loan_id", String(40), nullable=True),
    Column("scope", String(10), nullable=False),
    Column("medium", String(10), nullable=True),
    Column("number_key", String(64), nullable=True),
    Column("number_masked", String(20), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
)

window_consent = Table(
    "window_consent",
    metadata,
    Column("borrower_id", String(40), primary_key=True),
    Column("start", String(5), nullable=False),  # HH:MM local
    Column("end", String(5), nullable=False),
    Column("given_at", UtcDateTime, nullable=False),
)

complaint = Table(
    "complaint",
    metadata,
    Column("borrower_id", String(40), primary_key=True),
    Column("id", String(40), primary_key=True),
    Column("loan_id", String(40), nullable=False),
    Column("category", String(30), nullable=False),
    Column("text", Text, nullable=False),
    Column("status", String(15), nullable=False),
    Column("filed_at", UtcDateTime, nullable=False),
    Column("ack_due", UtcDateTime, nullable=False),
    Column("answer_due", UtcDateTime, nullable=False),
    Column("acknowledged_at", UtcDateTime, nullable=True),
    Column("answered_at", UtcDateTime, nullable=True),
    Column("answer", Text, nullable=True),
    Column("officer_id", String(40), nullable=True),
    # text and answer are sealed by the PII vault when set (a complaint names people and numbers).
    Column("sealed", Boolean, nullable=False, server_default=false()),
    Column("extended_at", UtcDateTime, nullable=True),
    Column("extension_note", Text, nullable=True),
    Index("ix_complaint_id", "id"),
    Index("ix_complaint_loan_id", "loan_id"),
    Index("ix_complaint_status", "status"),
)

complaint_attachment = Table(
    "complaint_attachment",
    metadata,
    Column("borrower_id", String(40), primary_key=True),
    Column("complaint_id", String(40), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("filename", String(200), nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),  # sealed (base64 inside the vault's text) when `sealed`
    Column("uploaded_at", UtcDateTime, nullable=False),
    Column("sealed", Boolean, nullable=False, server_default=false()),
)

# What a collector heard on a call, against the attempt's log row (the log itself is never updated).
call_outcome = Table(
    "call_outcome",
    metadata,
    Column("borrower_id", String(40), primary_key=True),
    Column("id", String(40), primary_key=True),
    Column("log_id", String(40), nullable=False),
    Column("loan_id", String(40), nullable=False),
    Column("outcome", String(20), nullable=False),
    Column("note", String(500), nullable=False, server_default=""),
    Column("collector_id", String(40), nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    UniqueConstraint("log_id", "borrower_id", name="uq_call_outcome_log_id"),  # one outcome per attempt
    Index("ix_call_outcome_loan_id", "loan_id"),
)

# A debtor's promise to pay `amount_minor` by `due_on`: kept when repayments since it was made reach
# the amount by that date, broken otherwise (end-of-day `collections.promises`). One pending per loan.
promise_to_pay = Table(
    "promise_to_pay",
    metadata,
    Column("borrower_id", String(40), primary_key=True),
    Column("id", String(40), primary_key=True),
    Column("loan_id", String(40), nullable=False),
    Column("made_on", Date, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("paid_minor", BigInteger, nullable=False, server_default="0"),
    Column("currency", String(3), nullable=False),
    Column("status", String(10), nullable=False),
    Column("collector_id", String(40), nullable=False),
    Column("log_id", String(40), nullable=False, server_default=""),
    Column("created_at", UtcDateTime, nullable=False),
    Column("resolved_on", Date, nullable=True),
    Index("ix_promise_to_pay_loan_id", "loan_id", "status"),
    Index("ix_promise_to_pay_due", "status", "due_on"),
    # One pending promise per loan, whoever takes it at the same moment (collections_0004).
    Index(
        "uq_promise_to_pay_one_pending",
        "loan_id",
        "borrower_id",
        unique=True,
        sqlite_where=text("status = 'pending'"),
        postgresql_where=text("status = 'pending'"),
    ),
)
