"""The transactional outbox: events written with the change they record.

A row's `position` is handed out at INSERT, but transactions commit in
another order: position 12 can commit while position 11's transaction is
still open. A consumer that read "position > last" would pass 11 and never
see it. So each row also records the transaction that wrote it
(`xact_order`), a consumer reads in `(xact_order, position)` order from its
stored `Cursor`, and only rows below the *horizon*: no transaction of this
database below it is still open, so no row can appear behind the cursor
later. A consumer records its new cursor in the same transaction as the work
it did with the events.

PostgreSQL (`horizon`): the open transactions are the statement snapshot's
in-progress ids, plus, when the reader has an id X itself, the ids from the
snapshot's xmax up to X (xmax is the latest completed id + 1, so none of those
has completed). Ids that pg_stat_activity or pg_prepared_xacts place in
another database are dropped: they never write this outbox, but they hold the
cluster-wide xmin back, and one idle-in-transaction session elsewhere would
stall every consumer here. An id nobody places counts as this database's, so
the doubt costs a wait, never a skipped row. The horizon is the lowest open
id, or X + 1 for a reader with an id (its own rows are readable; rows of
transactions newer than X are not, since its own later rows would sort
behind them), or xmax for one without.

SQLite runs one writer at a time (BEGIN IMMEDIATE, db/engine.py): a position
is taken and committed before the next writer starts, so position order is
commit order, `xact_order` is 0 on every row and there is no horizon.

`settle` is end-of-day's wait (lending/eod.py): until no transaction of this
database older than the day's own is open, bounded by a timeout.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, text, tuple_, update

from fairlend.db.tables import outbox, outbox_consumer
from fairlend.events import DomainEvent, to_payload

# Built once at import: every state change appends an event, and building the
# INSERT per call cost more client CPU than executing it.
_APPEND = insert(outbox)
_CONSUMER_CURSOR = select(outbox_consumer.c.xact_order, outbox_consumer.c.position).where(
    outbox_consumer.c.name == bindparam("name")
)
_ADVANCE = (
    update(outbox_consumer)
    .where(outbox_consumer.c.name == bindparam("b_name"))
    .values(xact_order=bindparam("xact_order"), position=bindparam("position"))
)
_NEW_CONSUMER = insert(outbox_consumer)

# pg_stat_activity is read once per transaction and cached: clear it, then load it before the
# snapshot below is taken, so every transaction open at the snapshot that began before the load
# is placed in its database (one that began after is not, and counts as this database's).
_CLEAR_ACTIVITY = text("SELECT pg_stat_clear_snapshot()")
_LOAD_ACTIVITY = text("SELECT count(*) FROM pg_stat_activity")
_OPEN_TRANSACTIONS = text("""
WITH s AS MATERIALIZED (SELECT pg_current_snapshot() AS snap, pg_current_xact_id_if_assigned() AS me),
running AS (
    SELECT x FROM s, pg_snapshot_xip(s.snap) AS x
    UNION ALL
    SELECT n::text::xid8
      FROM s, generate_series(pg_snapshot_xmax(s.snap)::text::bigint, s.me::text::bigint - 1) AS n
),
elsewhere AS (
    SELECT backend_xid AS xid FROM pg_stat_activity
     WHERE backend_xid IS NOT NULL AND datname <> current_database()
    UNION ALL
    SELECT transaction FROM pg_prepared_xacts WHERE database <> current_database()
)
SELECT pg_snapshot_xmax(s.snap)::text::bigint AS xmax,
       s.me::text::bigint AS me,
       ARRAY(SELECT r.x::text::bigint FROM running r
              WHERE r.x::xid NOT IN (SELECT xid FROM elsewhere) ORDER BY 1) AS open
  FROM s
""")
_CURRENT_TRANSACTION = text("SELECT pg_current_xact_id()::text::bigint")


@dataclass(frozen=True, slots=True, order=True)
class Cursor:
    """How far a consumer has read: rows sort by (xact_order, position)."""

    xact_order: int
    position: int


START = Cursor(0, 0)


@dataclass(frozen=True, slots=True)
class StoredEvent:
    position: int
    xact_order: int
    event_type: str
    aggregate_id: str
    business_date: date | None
    occurred_at: datetime
    payload: dict[str, Any]

    @property
    def cursor(self) -> Cursor:
        return Cursor(self.xact_order, self.position)


def append(conn: Connection, event: DomainEvent, occurred_at: datetime) -> int:
    result = conn.execute(_APPEND, _row(event, occurred_at))
    (position,) = result.inserted_primary_key or (0,)
    return int(position)


def append_many(conn: Connection, events: Sequence[DomainEvent], occurred_at: datetime) -> None:
    """Append several events with one statement: rows in the order given, so positions follow it."""
    conn.execute(_APPEND, [_row(event, occurred_at) for event in events])


def _row(event: DomainEvent, occurred_at: datetime) -> dict[str, Any]:
    business_date = getattr(event, "business_date", None)
    return {
        "event_type": event.event_type,
        "aggregate_id": event.aggregate_id,
        "business_date": business_date if isinstance(business_date, date) else None,
        "occurred_at": occurred_at,
        "payload": to_payload(event),
    }


@dataclass(frozen=True, slots=True)
class _Open:
    own: int | None  # this transaction's id, if it has one
    ceiling: int  # nothing at or above it is readable: own id + 1, or the snapshot's xmax
    ids: list[int]  # this database's transactions open below the ceiling (or not placed elsewhere)


def _open_transactions(conn: Connection) -> _Open:
    conn.execute(_CLEAR_ACTIVITY)
    conn.execute(_LOAD_ACTIVITY)
    row = conn.execute(_OPEN_TRANSACTIONS).one()
    own = None if row.me is None else int(row.me)
    ceiling = own + 1 if own is not None else int(row.xmax)
    return _Open(own, ceiling, [int(x) for x in row.open if x < ceiling])


def horizon(conn: Connection) -> int | None:
    """Rows with `xact_order` below this are final: no open transaction can add one. None on SQLite."""
    if conn.dialect.name != "postgresql":
        return None
    found = _open_transactions(conn)
    return min([*found.ids, found.ceiling])


def read_after(
    conn: Connection, cursor: Cursor, *, limit: int = 10_000, types: Sequence[str] = ()
) -> list[StoredEvent]:
    """The events after `cursor`, in cursor order, below the horizon (none can appear before them later).

    The horizon is taken in a statement before the read: under READ COMMITTED the read's snapshot is
    newer and sees every transaction that had finished below it; under REPEATABLE READ it is the same.
    """
    below = horizon(conn)
    query = (
        select(outbox)
        .where(tuple_(outbox.c.xact_order, outbox.c.position) > tuple_(cursor.xact_order, cursor.position))
        .order_by(outbox.c.xact_order, outbox.c.position)
        .limit(limit)
    )
    if below is not None:
        query = query.where(outbox.c.xact_order < below)
    if types:
        query = query.where(outbox.c.event_type.in_(types))
    return [StoredEvent(**row._mapping) for row in conn.execute(query)]


def consumer_cursor(conn: Connection, consumer: str) -> Cursor:
    found = conn.execute(_CONSUMER_CURSOR, {"name": consumer}).first()
    return Cursor(int(found.xact_order), int(found.position)) if found is not None else START


def advance_consumer(conn: Connection, consumer: str, cursor: Cursor) -> None:
    values = {"xact_order": cursor.xact_order, "position": cursor.position}
    changed = conn.execute(_ADVANCE, {"b_name": consumer, **values}).rowcount
    if not changed:
        conn.execute(_NEW_CONSUMER, {"name": consumer, **values})


def settle(conn: Connection, *, timeout: float, poll: float = 0.05) -> int:
    """Wait until no transaction of this database older than this one is open; how many still are.

    Gives up after `timeout` seconds: their events, and this transaction's own, stay above the
    horizon and a consumer reads them on its next run, never skips them. SQLite: nothing to wait for.
    """
    if conn.dialect.name != "postgresql":
        return 0
    own = int(conn.execute(_CURRENT_TRANSACTION).scalar_one())  # takes an id if there was none yet
    deadline = time.monotonic() + timeout
    while True:
        older = [x for x in _open_transactions(conn).ids if x < own]
        if not older or time.monotonic() >= deadline:
            return len(older)
        time.sleep(poll)
