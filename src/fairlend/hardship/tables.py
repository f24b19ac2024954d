"""Hardship tables: requests, proposals, plans, evidence. Borrower-owned: `borrower_id` first in every key (DESIGN 7).

One open request and one active plan per loan are unique indexes on a column
that holds the loan id while the row is open and NULL after (NULLs never
clash), the same on SQLite and PostgreSQL. Every unique index carries
`borrower_id` (hardship_0003), so a sharded database keeps each one on the
borrower's shard (docs/scale-out.md §4); a loan has one borrower, so
(loan, borrower) is unique exactly when the loan is. Rows are found by id
alone through plain indexes: ids are unique by construction (`fairlend.ids`).
"""

from sqlalchemy import JSON, BigInteger, Boolean, Column, Date, Index, Integer, LargeBinary, String, Table

from fairlend.db.metadata import metadata
from fairlend.db.types import Rate, UtcDateTime, id_column_type

hardship_request = Table(
    "hardship_request",
    metadata,
    Column("borrower_id", id_column_type(), primary_key=True),
    Column("id", id_column_type(), primary_key=True),
    Column("loan_id", id_column_type(), nullable=False),
    Column("open_loan_id", id_column_type(), nullable=True),  # = loan_id while pending or proposed
    Column("kind", String(40), nullable=False),  # the kind the borrower asks for
    Column("reason", String(20), nullable=False),  # model.Reason: a category, never free text
    # The affordability statement, monthly, minor units of the loan's currency; optional.
    Column("income_minor", BigInteger, nullable=True),
    Column("expenses_minor", BigInteger, nullable=True),
    Column("currency", String(3), nullable=False),
    Column("status", String(20), nullable=False),
    Column("requested_on", Date, nullable=False),
    Column("answer_due", Date, nullable=False),  # the profile's clock
    # The first answer the borrower got: an offer made or a decline (hardship_0002); NULL while unanswered.
    Column("answered_on", Date, nullable=True),
    Column("decided_on", Date, nullable=True),
    Column("decline_reasons", JSON, nullable=False),  # model.DeclineReason codes
    Column("decided_by", String(40), nullable=False),
    Column("rules_version", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_hardship_request_id", "id"),
    Index("ix_hardship_request_open_loan", "open_loan_id", "borrower_id", unique=True),
    Index("ix_hardship_request_loan_id", "loan_id"),
    # The operators' queue: open requests by deadline.
    Index("ix_hardship_request_status_due", "status", "answer_due"),
)

hardship_proposal = Table(
    "hardship_proposal",
    metadata,
    Column("borrower_id", id_column_type(), primary_key=True),
    Column("id", id_column_type(), primary_key=True),
    Column("request_id", id_column_type(), nullable=False),
    Column("loan_id", id_column_type(), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("terms", JSON, nullable=False),  # model.Terms.to_dict()
    Column("status", String(20), nullable=False),
    Column("needs_approval", Boolean, nullable=False),
    Column("concessions_minor", BigInteger, nullable=False),  # Concessions.total when proposed
    Column("apr", Rate, nullable=False),
    Column("fingerprint", String(64), nullable=False),  # the numbers as proposed
    Column("numbers", JSON, nullable=False),  # the outcome as proposed: installments, concessions, rate
    Column("as_of", Date, nullable=False),
    # When it reached the borrower (at once, or on approval); its validity runs from here (hardship_0002).
    Column("offered_on", Date, nullable=True),
    Column("proposed_by", String(40), nullable=False),
    Column("approved_by", String(40), nullable=False),  # "" until approved (or rejected)
    Column("decided_at", UtcDateTime, nullable=True),
    Column("rules_version", Integer, nullable=False),
    Column("kind_version", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_hardship_proposal_id", "id"),
    Index("ix_hardship_proposal_request_id", "request_id"),
)

hardship_plan = Table(
    "hardship_plan",
    metadata,
    Column("borrower_id", id_column_type(), primary_key=True),
    Column("id", id_column_type(), primary_key=True),
    Column("loan_id", id_column_type(), nullable=False),
    Column("active_loan_id", id_column_type(), nullable=True),  # = loan_id while active
    Column("request_id", id_column_type(), nullable=False),
    Column("proposal_id", id_column_type(), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("status", String(20), nullable=False),
    Column("started_on", Date, nullable=False),
    Column("schedule_version", Integer, nullable=False),  # lending's version the plan wrote
    Column("first_seq", Integer, nullable=False),  # the plan's installments in lending start here
    Column("delinquency_held", Boolean, nullable=False),  # waiting to be re-aged
    Column("reaged_on", Date, nullable=True),
    Column("ended_on", Date, nullable=True),
    Column("missed_due", Date, nullable=True),  # the payment whose lateness broke it
    Column("consent_version", String(60), nullable=False),
    Column("fingerprint", String(64), nullable=False),  # the numbers the borrower accepted
    Column("accepted_at", UtcDateTime, nullable=False),
    Index("ix_hardship_plan_id", "id"),
    Index("ix_hardship_plan_active_loan", "active_loan_id", "borrower_id", unique=True),
    Index("ix_hardship_plan_loan_id", "loan_id"),
    Index("ix_hardship_plan_status", "status"),
)

# Files a borrower adds to a request (payslips, a termination letter): personal data, sealed by identity's
# vault through the `EvidenceVault` port (the key id beside the blob, as identity's certificate files).
hardship_evidence = Table(
    "hardship_evidence",
    metadata,
    Column("borrower_id", id_column_type(), primary_key=True),
    Column("id", id_column_type(), primary_key=True),
    Column("request_id", id_column_type(), nullable=False),
    Column("content_type", String(40), nullable=False),  # as sniffed from the bytes, never as claimed
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("key_id", String(40), nullable=False),
    Column("content", LargeBinary, nullable=False),  # nonce || AES-GCM ciphertext, purpose bound to the id
    Column("uploaded_at", UtcDateTime, nullable=False),
    Index("ix_hardship_evidence_id", "id"),
    Index("ix_hardship_evidence_request_id", "request_id"),
)
