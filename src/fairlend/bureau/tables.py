"""The bureau's own tables (prefix `bureau_`): no other context reads them."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from fairlend.db.metadata import metadata
from fairlend.db.types import BigIntPK, UtcDateTime

bureau_institution = Table(
    "bureau_institution",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(120), nullable=False),
    # sha256 of the API key: keys are 256-bit random, so a plain digest is enough.
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("created_at", UtcDateTime, nullable=False),
)

# A credit file: one per person, keyed by the blind index of the ID number. The name
# is kept masked only: a report shows nothing more, and people are found by the index.
bureau_file = Table(
    "bureau_file",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("blind_index", String(64), nullable=False, unique=True),
    Column("name_masked", String(120), nullable=False),
    Column("id_masked", String(40), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

bureau_account = Table(
    "bureau_account",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("institution_id", String(40), nullable=False),
    Column("account_ref", String(80), nullable=False),
    Column("file_id", String(40), nullable=False, index=True),
    Column("account_type", String(20), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("open_date", Date, nullable=False),
    Column("term_months", Integer, nullable=False),
    Column("due_schedule", Text, nullable=False),
    Column("state", String(12), nullable=False),
    Column("settled_by", String(10), nullable=False),
    Column("balance", BigInteger, nullable=False),
    Column("amount_overdue", BigInteger, nullable=False),
    Column("days_overdue", Integer, nullable=False),
    Column("as_of", Date, nullable=False),
    # The latest month's CN-17 code / Metro 2 status and rating.
    Column("account_status", String(3), nullable=False),
    Column("rating", String(2), nullable=False),
    # One code per month from the opening month on: the grid without reading
    # every month row, which keeps a 50 x 60 report within milliseconds.
    Column("codes", Text, nullable=False),
    Column("first_negative_on", Date, nullable=True),
    Column("notice_on", Date, nullable=True),
    Column("closed_on", Date, nullable=True),
    # Retention removed the account's negative existence (a charge-off aged out).
    Column("removed_on", Date, nullable=True),
    # An unanswered dispute about the whole account suppresses it.
    Column("suppressed", Boolean, nullable=False),
    # The profile's code while a hardship plan governs the account, or once it was settled for less
    # (Metro 2 special comment; cn the special transaction's words); "" for none.
    Column("special_comment", String(10), nullable=False, server_default=""),
    Column("modified_on", Date, nullable=True),  # the day the latest plan changed the terms
    UniqueConstraint("institution_id", "account_ref", name="uq_bureau_account_institution_id"),
)

# One row per account and month: the month's code; never a row per day.
bureau_month = Table(
    "bureau_month",
    metadata,
    Column("account_id", String(40), nullable=False),
    Column("month", Integer, nullable=False),  # yyyymm
    Column("code", String(3), nullable=False),
    # The worst code reported in the month: a month that ends settled ("C")
    # still carries the overdue it had, which negative records are made of.
    Column("worst", String(3), nullable=False),
    Column("account_status", String(3), nullable=False),
    Column("rating", String(2), nullable=False),
    Column("days_overdue", Integer, nullable=False),
    Column("balance", BigInteger, nullable=False),
    Column("amount_overdue", BigInteger, nullable=False),
    Column("as_of", Date, nullable=False),
    Column("first_overdue_on", Date, nullable=True),
    Column("cured_on", Date, nullable=True),
    Column("suppressed", Boolean, nullable=False),
    PrimaryKeyConstraint("account_id", "month", name="pk_bureau_month"),
    # On SQLite, one b-tree keyed by the primary key instead of a table plus an index: half the writes.
    sqlite_with_rowid=False,
)

# Every applied record id, with the file and line it came in: what makes
# re-sending harmless. The record itself is that line of the stored file.
bureau_record = Table(
    "bureau_record",
    metadata,
    Column("institution_id", String(40), nullable=False),
    Column("record_id", String(80), nullable=False),
    Column("submission_id", String(40), nullable=False),
    Column("line", Integer, nullable=False),
    PrimaryKeyConstraint("institution_id", "record_id", name="pk_bureau_record"),
    sqlite_with_rowid=False,
)

bureau_submission = Table(
    "bureau_submission",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("institution_id", String(40), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("lines", Integer, nullable=False),
    Column("applied", Integer, nullable=False),
    Column("rejected", Integer, nullable=False),
    Column("ack", Text, nullable=False),
    # The file as received, sealed (sealed.py): whole files of names and ID numbers.
    # key_id "" marks a file stored in clear before bureau_0002, until rotation seals it.
    Column("key_id", String(40), nullable=False),
    Column("content", LargeBinary, nullable=False),
    UniqueConstraint("institution_id", "sha256", name="uq_bureau_submission_institution_id"),
)

bureau_inquiry = Table(
    "bureau_inquiry",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("file_id", String(40), nullable=False, index=True),
    Column("institution_id", String(40), nullable=False),  # "" for the bureau's own counter
    Column("kind", String(12), nullable=False),
    Column("purpose", String(30), nullable=False),
    Column("inquired_on", Date, nullable=False),
    Column("inquired_at", UtcDateTime, nullable=False),
    Column("free", Boolean, nullable=False),
    Column("consent_id", String(80), nullable=False),
    Column("consent_text_version", String(40), nullable=False),
)

bureau_dispute = Table(
    "bureau_dispute",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("file_id", String(40), nullable=False, index=True),
    Column("account_id", String(40), nullable=False, index=True),
    Column("institution_id", String(40), nullable=False),
    Column("account_ref", String(80), nullable=False),
    Column("month", Integer, nullable=True),  # yyyymm; None: the whole account
    # reason and answer_note are free text about a person: sealed under key_id (sealed.py).
    Column("key_id", String(40), nullable=False),
    Column("reason", Text, nullable=False),
    Column("added_information", Boolean, nullable=False),
    Column("opened_on", Date, nullable=False),
    Column("deadline", Date, nullable=False),
    Column("status", String(12), nullable=False),  # open | verified | corrected | suppressed
    Column("answered_on", Date, nullable=True),
    Column("answer_note", Text, nullable=False),
    Index("ix_bureau_dispute_institution_id_status", "institution_id", "status"),
)

# What the person is told about their dispute's outcome.
bureau_outcome_notice = Table(
    "bureau_outcome_notice",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("file_id", String(40), nullable=False, index=True),
    Column("dispute_id", String(40), nullable=False),
    Column("outcome", String(12), nullable=False),
    Column("key_id", String(40), nullable=False),
    Column("text", Text, nullable=False),  # sealed: it quotes the institution's note
    Column("created_on", Date, nullable=False),
)

bureau_retention_log = Table(
    "bureau_retention_log",
    metadata,
    Column("id", BigIntPK, primary_key=True, autoincrement=True),
    Column("account_id", String(40), nullable=False, index=True),
    Column("file_id", String(40), nullable=False),
    Column("started_on", Date, nullable=False),
    Column("ended_on", Date, nullable=True),
    Column("removal_on", Date, nullable=False),
    Column("removed_on", Date, nullable=False),
    Column("months_removed", Integer, nullable=False),
    Column("charged_off", Boolean, nullable=False),
)
