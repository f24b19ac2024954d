"""The transactional outbox: events written with the change they record.

Consumers read in position order from where they last stopped, and record
their new position in the same transaction as the work they did with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from fairlend.db.tables import outbox, outbox_consumer
from fairlend.events import DomainEvent, to_payload

# Built once at import: every state change appends an event, and building the
# INSERT per call cost more client CPU than executing it.
_APPEND = insert(outbox)
_CONSUMER_POSITION = select(outbox_consumer.c.position).where(outbox_consumer.c.name == bindparam("name"))
_ADVANCE = (
    update(outbox_consumer).where(outbox_consumer.c.name == bindparam("b_name")).values(position=bindparam("position"))
)
_NEW_CONSUMER = insert(outbox_consumer)


@dataclass(frozen=True, slots=True)
class StoredEvent:
    position: int
    event_type: str
    aggregate_id: str
    business_date: date | None
    occurred_at: datetime
    payload: dict[str, Any]


def append(conn: Connection, event: DomainEvent, occurred_at: datetime) -> int:
    business_date = getattr(event, "business_date", None)
    result = conn.execute(
        _APPEND,
        {
            "event_type": event.event_type,
            "aggregate_id": event.aggregate_id,
            "business_date": business_date if isinstance(business_date, date) else None,
            "occurred_at": occurred_at,
            "payload": to_payload(event),
        },
    )
    (position,) = result.inserted_primary_key or (0,)
    return int(position)


def read_after(conn: Connection, position: int, *, limit: int = 10_000, types: Sequence[str] = ()) -> list[StoredEvent]:
    query = select(outbox).where(outbox.c.position > position).order_by(outbox.c.position).limit(limit)
    if types:
        query = query.where(outbox.c.event_type.in_(types))
    return [StoredEvent(**row._mapping) for row in conn.execute(query)]


def consumer_position(conn: Connection, consumer: str) -> int:
    found = conn.execute(_CONSUMER_POSITION, {"name": consumer}).scalar()
    return int(found) if found is not None else 0


def advance_consumer(conn: Connection, consumer: str, position: int) -> None:
    changed = conn.execute(_ADVANCE, {"b_name": consumer, "position": position}).rowcount
    if not changed:
        conn.execute(_NEW_CONSUMER, {"name": consumer, "position": position})
