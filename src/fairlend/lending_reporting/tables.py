"""The lender side's reporting files: one per business date, kept with the bureau's acknowledgement."""

from sqlalchemy import Column, Date, Integer, Table, Text

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
