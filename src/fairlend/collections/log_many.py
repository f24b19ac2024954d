"""The contact log for many borrowers at once: heads locked, records appended, histories read in one
statement each (the automated dispatch's set-based path, batch.py).

Each function does for a set of borrowers exactly what its one-borrower twin in log.py does for one:
the same rows, the same hashes, the same history. Heads are locked in borrower order, so two batches
can never wait on each other in a circle; a single attempt locks one head and cannot either.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy import Connection, bindparam
from sqlalchemy.dialects import postgresql, sqlite

from fairlend.collections.chain import GENESIS, record_hash
from fairlend.collections.log import _HISTORY, _INSERT, _MOVE_HEAD, _resolved, _row
from fairlend.collections.model import LogRecord, PriorAttempt
from fairlend.collections.ports import LOG_TEXT, Sealer
from fairlend.collections.tables import contact_log, contact_log_head

_RECENT_MANY = (
    _HISTORY.add_columns(contact_log.c.borrower_id)
    .where(contact_log.c.borrower_id.in_(bindparam("bs", expanding=True)), contact_log.c.at >= bindparam("since"))
    .order_by(contact_log.c.borrower_id, contact_log.c.seq)
)


def lock_heads(conn: Connection, borrower_ids: Collection[str]) -> dict[str, tuple[int, str]]:
    """`log.lock_head` for every borrower named, in one statement: borrower -> (last seq, last hash)."""
    ids = sorted(set(borrower_ids))
    if not ids:
        return {}
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    upsert = dialect.insert(contact_log_head).values([{"borrower_id": b, "seq": 0, "hash": GENESIS} for b in ids])
    statement = upsert.on_conflict_do_update(
        index_elements=[contact_log_head.c.borrower_id], set_={"seq": contact_log_head.c.seq}
    ).returning(contact_log_head.c.borrower_id, contact_log_head.c.seq, contact_log_head.c.hash)
    return {str(b): (int(s), str(h)) for b, s, h in conn.execute(statement)}


def append_many(
    conn: Connection, records: Sequence[LogRecord], sealer: Sealer, heads: dict[str, tuple[int, str]]
) -> list[LogRecord]:
    """`log.append` for each record in order, chained after `heads` (locked in this transaction), in
    one insert and one head update; returns the records with their seq and hashes."""
    if not records:
        return []
    chained: list[LogRecord] = []
    rows: list[dict[str, object]] = []
    moved: dict[str, tuple[int, str]] = {}
    for record in records:
        seq, prev = moved.get(record.borrower_id) or heads[record.borrower_id]
        link = replace(record, seq=seq + 1, prev_hash=prev)
        link = replace(link, hash=record_hash(link))
        row = _row(link)
        row["text"] = sealer.seal(link.text, LOG_TEXT)
        row["text_sealed"] = True
        rows.append(row)
        chained.append(link)
        moved[record.borrower_id] = (link.seq, link.hash)
    conn.execute(_INSERT, rows)
    conn.execute(_MOVE_HEAD, [{"b": b, "new_seq": s, "new_hash": h} for b, (s, h) in moved.items()])
    return chained


def histories(conn: Connection, borrower_ids: Collection[str], since: datetime) -> dict[str, tuple[PriorAttempt, ...]]:
    """`log.history` of every borrower named, in one statement (a borrower with none: empty)."""
    ids = sorted(set(borrower_ids))
    rows_of: dict[str, list[object]] = defaultdict(list)
    if ids:
        for row in conn.execute(_RECENT_MANY, {"bs": ids, "since": since}):
            rows_of[str(row.borrower_id)].append(row)
    return {b: _resolved(rows_of.get(b, [])) for b in ids}
