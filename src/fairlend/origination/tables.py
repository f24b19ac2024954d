"""Origination's tables: applications (with decision, reasons and plan) and offers (with the contract once accepted)."""

from sqlalchemy import JSON, BigInteger, Column, Date, Integer, String, Table, Text

from fairlend.db.metadata import metadata
from fairlend.db.types import Rate, UtcDateTime

loan_application = Table(
    "loan_application",
    metadata,
    Column("borrower_id", String(40), primary_key=True),
    Column("id", String(40), primary_key=True),
    Column("status", String(12), nullable=False, index=True),
    Column("currency", String(3), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("term_months", Integer, nullable=False),
    Column("score", Integer, nullable=False),
    Column("score_id", String(40), nullable=False),
    Column("model_version", String(80), nullable=False),
    Column("grade", String(2), nullable=True),
    Column("nominal_rate", Rate, nullable=True),
    Column("limit_minor", BigInteger, nullable=False),
    Column("decision", String(10), nullable=False),
    Column("codes", JSON, nullable=False),
    Column("reasons", JSON, nullable=False),
    Column("plan", JSON, nullable=False),
    Column("report_id", String(40), nullable=False),
    Column("consent_id", String(40), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("decided_at", UtcDateTime, nullable=True),
    Column("decided_by", String(40), nullable=False),
    Column("note", Text, nullable=False, server_default=""),
    # What a marketplace listing may show: bands and flags, never personal data (origination_0002).
    Column("listing_facts", JSON, nullable=True),
    Column("limit_reason", String(40), nullable=False, server_default=""),  # origination_0005
)

loan_offer = Table(
    "loan_offer",
    metadata,
    Column("borrower_id", String(40), primary_key=True),
    Column("id", String(40), primary_key=True),
    Column("application_id", String(40), nullable=False, index=True),
    Column("status", String(10), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("term_months", Integer, nullable=False),
    Column("grade", String(2), nullable=False),
    Column("nominal_rate", Rate, nullable=False),
    Column("apr", Rate, nullable=False),
    Column("fee_minor", BigInteger, nullable=False),
    Column("schedule", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("accepted_at", UtcDateTime, nullable=True),
    Column("contract_id", String(40), nullable=True),
    Column("loan_id", String(40), nullable=True),
    Column("consent_sha256", String(64), nullable=True),  # origination/contract.py fingerprint()
    Column("contract_version", String(40), nullable=True),  # the text version agreed to
    Column("listing_id", String(40), nullable=True),  # the marketplace listing a listed offer waits on
)

# The day's self-check (one row per person, the latest): looking again that day asks the bureau
# nothing. The report and score are sealed with identity's keys (DESIGN.md §10: stored bodies).
self_check = Table(
    "self_check",
    metadata,
    Column("borrower_id", String(40), primary_key=True),
    Column("business_date", Date, nullable=False),
    Column("fetched_at", UtcDateTime, nullable=False),
    Column("score_id", String(40), nullable=False),
    Column("sealed", Text, nullable=False),
)
