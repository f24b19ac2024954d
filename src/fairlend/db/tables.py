"""Tables every context shares: the outbox, consumer cursors, idempotency keys."""

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
    String,
    Table,
    Text,
    false,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement

from fairlend.db.metadata import metadata
from fairlend.db.types import BigIntPK, UtcDateTime


class WritingTransaction(ColumnElement[int]):
    """The server default of `outbox.xact_order`: which transaction wrote the row (db/outbox.py)."""

    inherit_cache = True
    type = BigInteger()


@compiles(WritingTransaction, "postgresql")
def _pg_writing_transaction(element: WritingTransaction, compiler: Any, **kw: Any) -> str:
    # The top-level transaction's id (xid8, never wraps) even inside a savepoint: one value per transaction.
    return "(pg_current_xact_id()::text::bigint)"


@compiles(WritingTransaction)
def _writing_transaction(element: WritingTransaction, compiler: Any, **kw: Any) -> str:
    return "0"  # SQLite runs one writer at a time: position order is commit order already


outbox = Table(
    "outbox",
    metadata,
    Column("position", BigIntPK, primary_key=True, autoincrement=True),
    # Consumers read in (xact_order, position) order, and only below the horizon of open transactions.
    Column("xact_order", BigInteger, nullable=False, server_default=WritingTransaction()),
    Column("event_type", String(80), nullable=False, index=True),
    Column("aggregate_id", String(40), nullable=False, index=True),
    Column("business_date", Date, nullable=True),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("payload", JSON, nullable=False),
    Index("ix_outbox_xact_order_position", "xact_order", "position"),
)

# How far each consumer (bureau reporting, notifications, ...) has read the outbox: its cursor.
outbox_consumer = Table(
    "outbox_consumer",
    metadata,
    Column("name", String(60), primary_key=True),
    Column("xact_order", BigInteger, nullable=False, server_default="0"),
    Column("position", BigIntPK, nullable=False),
)

idempotency_key = Table(
    "idempotency_key",
    metadata,
    # sha256 of who asked (the principal), the method, the path and the key they sent (api/idempotency.py).
    Column("scope_key", String(64), primary_key=True),
    # sha256 of the validated request: a replay must be the same request, not the same bytes.
    Column("request_hash", String(64), nullable=False),
    Column("state", String(10), nullable=False),  # pending | done
    # The fencing token of the claim now running; a taken-over claim's late commit is refused by it.
    Column("claim_token", String(32), nullable=True),
    # Until when the running claim holds the key; a retry after it may take over or resolve it.
    Column("lease_until", UtcDateTime, nullable=True),
    # Set in the same transaction as the request's effect (db/uow.py's commit hook): it happened.
    Column("effected", Boolean, nullable=False, server_default=false()),
    Column("status_code", Integer, nullable=True),
    Column("content_type", Text, nullable=True),
    # The answer, sealed with the personal-data keys (nonce || AES-GCM ciphertext); "" key: clear,
    # only on rows stored before foundation_0003, until `fairlend users rotate-pii-keys` seals them.
    Column("body", LargeBinary, nullable=True),
    Column("key_id", String(20), nullable=False, server_default=""),
    Column("created_at", UtcDateTime, nullable=False),
)
