"""The lender side's reporting files: one per business date, kept with the bureau's acknowledgement."""

from sqlalchemy import BigInteger, Boolean, Column, Date, Integer, LargeBinary, String, Table, Text

from fairlend.db.metadata import metadata
from fairlend.db.types import UtcDateTime

lending_reporting_file = Table(
    "lending_reporting_file",
    metadata,
    Column("business_date", Date, primary_key=True),
    Column("content", Text, nullable=False),  # JSON Lines, docs/bureau-reporting.md
    Column("records", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("submitted_at", UtcDateTime, nullable=True),
    Column("ack", Text, nullable=True),
    # How many of `content`'s records are folded into lending_reporting_account (a catch-up run may append).
    Column("folded_records", Integer, nullable=False, server_default="0"),
)

# Loans under a kept hardship plan, as the reporter follows them (plans.py): what it may report of them.
lending_reporting_plan = Table(
    "lending_reporting_plan",
    metadata,
    Column("loan_id", String(40), primary_key=True),
    Column("kind", String(40), nullable=False),
    Column("held", Boolean, nullable=False),
    # A late plan payment's status, kept back while the plan is kept: reported if it breaks.
    Column("withheld_balance", BigInteger, nullable=True),
    Column("withheld_overdue", BigInteger, nullable=True),
    Column("withheld_days", Integer, nullable=True),
)

# The day's Metro 2 file as furnished (metro2_export.py): SSNs and names, so only sealed (key id beside it).
lending_reporting_metro2 = Table(
    "lending_reporting_metro2",
    metadata,
    Column("business_date", Date, primary_key=True),
    Column("key_id", String(40), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

# The accounts last furnished with compliance condition code XB (disputed): XH follows once it closes.
lending_reporting_compliance = Table(
    "lending_reporting_compliance",
    metadata,
    Column("loan_id", String(80), primary_key=True),
    Column("code", String(2), nullable=False),
)

# Each furnished account's state after the reporting records folded so far (account_state.py): the read
# model the Metro 2 export scans instead of replaying every reporting file since the first. Loan refs
# and the opening's borrower mapping as the reporting file has them (no personal data in clear there).
lending_reporting_account = Table(
    "lending_reporting_account",
    metadata,
    Column("account_ref", String(80), primary_key=True),
    Column("opened", Date, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("term_months", Integer, nullable=False),
    Column("installment", BigInteger, nullable=False),
    Column("borrower", Text, nullable=False),  # JSON: the opening record's `person`
    Column("balance", BigInteger, nullable=False),
    Column("past_due", BigInteger, nullable=False),
    Column("days_past_due", Integer, nullable=False),
    Column("delinquent_since", Date, nullable=True),  # CR-5
    Column("state", String(20), nullable=False),
    Column("closed_on", Date, nullable=True),
    Column("charge_off", BigInteger, nullable=False),
    Column("rating_at_close", String(1), nullable=False),
    Column("last_payment_on", Date, nullable=True),
    Column("paid_in_month", Text, nullable=False),  # JSON: month key -> minor units paid
    Column("months", Text, nullable=False),  # JSON: month key -> worst profile character (CR-4)
    Column("special_comment", String(2), nullable=False),
    Column("as_of", Date, nullable=True),
)
