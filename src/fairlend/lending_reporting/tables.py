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
