"""Tables every context shares: the outbox, consumer positions, idempotency keys."""

from sqlalchemy import JSON, Column, Date, Integer, LargeBinary, String, Table, Text

from fairlend.db.metadata import metadata
from fairlend.db.types import BigIntPK, UtcDateTime

outbox = Table(
    "outbox",
    metadata,
    Column("position", BigIntPK, primary_key=True, autoincrement=True),
    Column("event_type", String(80), nullable=False, index=True),
    Column("aggregate_id", String(40), nullable=False, index=True),
    Column("business_date", Date, nullable=True),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("payload", JSON, nullable=False),
)

# How far each consumer (bureau reporting, notifications, ...) has read the outbox.
outbox_consumer = Table(
    "outbox_consumer",
    metadata,
    Column("name", String(60), primary_key=True),
    Column("position", BigIntPK, nullable=False),
)

idempotency_key = Table(
    "idempotency_key",
    metadata,
    # sha256 of the caller's credential and the key they sent: keys are per caller.
    Column("scope_key", String(64), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("state", String(10), nullable=False),  # pending | done
    Column("status_code", Integer, nullable=True),
    Column("content_type", Text, nullable=True),
    Column("body", LargeBinary, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
)
