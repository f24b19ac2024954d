"""The period lock: the journal closed through a date (finance's month close).

The database refuses an entry dated on or before the lock (trigger
`ledger_entry_period_open`, migration ledger_0001); `refusing_closed_periods`
turns that refusal into the stable error `period_closed`. A correction of a
closed month posts in the open period and names the entry it corrects.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import DBAPIError

from fairlend.errors import Conflict
from fairlend.ledger.tables import ledger_period_lock

PERIOD_CLOSED = "period_closed"
_LOCK_ROW = 1


def closed_through(conn: Connection) -> date | None:
    """The last business date of the closed periods; None when nothing is closed."""
    found: date | None = conn.execute(
        select(ledger_period_lock.c.closed_through).where(ledger_period_lock.c.id == _LOCK_ROW)
    ).scalar()
    return found


def lock_through(conn: Connection, through: date | None) -> None:
    """Close the journal through `through` (None: nothing closed). The caller owns the transaction."""
    if through is None:
        conn.execute(delete(ledger_period_lock).where(ledger_period_lock.c.id == _LOCK_ROW))
        return
    moved = conn.execute(
        update(ledger_period_lock).where(ledger_period_lock.c.id == _LOCK_ROW).values(closed_through=through)
    ).rowcount
    if not moved:
        conn.execute(insert(ledger_period_lock).values(id=_LOCK_ROW, closed_through=through))


@contextmanager
def refusing_closed_periods() -> Iterator[None]:
    """Raise `period_closed` (409) when the database refused an entry dated in a closed period."""
    try:
        yield
    except DBAPIError as exc:
        if PERIOD_CLOSED in str(exc.orig):
            raise Conflict(
                PERIOD_CLOSED,
                "that business date is in a closed period: post a correction in the open period instead",
            ) from None
        raise
