"""Scoring's table: every score the platform recorded for a person (what-ifs are never stored)."""

from sqlalchemy import JSON, Column, Date, Integer, String, Table

from fairlend.db.metadata import metadata
from fairlend.db.types import UtcDateTime

score_record = Table(
    "score_record",
    metadata,
    Column("borrower_id", String(40), primary_key=True),
    Column("id", String(40), primary_key=True),
    Column("purpose", String(20), nullable=False),  # self_check | application
    Column("score", Integer, nullable=False),
    Column("model_version", String(80), nullable=False),
    Column("as_of", Date, nullable=False),
    Column("reasons", JSON, nullable=False),
    Column("features", JSON, nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
)
