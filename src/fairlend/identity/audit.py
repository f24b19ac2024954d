"""The audit log of personal data seen in clear: who, whose, which fields, why, when.

Sessions ended early are written here too (sessions.py): who ended whose
sessions (`fields` `session` or `sessions`) and why.

Reading it: `AuditLog.page` (filters, newest first, keyset pages on the row id,
so page 1,000 costs what page 1 does) for the API and the compliance page, and
`AuditLog.export` (every matching row, read in batches, each batch its own
short transaction) for the CSV download. The purpose is free text an operator
types; a number in it (an ID number, card or phone someone pasted) is masked
when written and again when read, so no reader ever sees one in clear.

The log is tamper-evident: each person's rows are a hash chain
(audit_chain.py) whose head `record` locks and moves in the writer's
transaction, and `AuditLog.verify` (run by `fairlend verify`) names the first
row of each person whose chain does not check out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Row, bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from fairlend.db.uow import UnitOfWork, UnitOfWorkFactory
from fairlend.errors import Invalid
from fairlend.identity.audit_chain import GENESIS, AuditBreak, ChainedRow, first_break, row_hash
from fairlend.identity.model import AuditEntry, AuditFilter, AuditPage, mask_numbers_in_text
from fairlend.identity.tables import identity_audit, identity_audit_head
from fairlend.ledger.service import Discrepancy

SYSTEM = "system"
PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
EXPORT_BATCH = 1000
# Filters name an id exactly; anything longer than a column or with control characters matches nothing.
_ID_FILTER = re.compile(r"[\x21-\x7e]{1,40}")
# Days whose midnight is an instant in every time zone (date.min and date.max are not).
_FIRST_DAY, _LAST_DAY = date(1900, 1, 1), date(9998, 12, 31)


def _head_upsert(dialect: Any) -> Any:
    """Create the person's head at the genesis if missing, and read it, locked, in one statement: the
    conflict's no-op update takes the row lock (PostgreSQL) the caller holds until it commits."""
    statement = dialect.insert(identity_audit_head).values(person_id=bindparam("p"), seq=0, hash=GENESIS)
    return statement.on_conflict_do_update(
        index_elements=[identity_audit_head.c.person_id], set_={"seq": identity_audit_head.c.seq}
    ).returning(identity_audit_head.c.seq, identity_audit_head.c.hash)


_HEAD_UPSERTS = {name: _head_upsert(dialect) for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))}
_MOVE_HEAD = (
    update(identity_audit_head)
    .where(identity_audit_head.c.person_id == bindparam("p"))
    .values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))
)


def record(uow: UnitOfWork, *, actor_id: str, actor_role: str, person_id: str, fields: str, purpose: str) -> None:
    """Append a row to the person's chain, in the caller's transaction (it commits with the view it records).

    The head row is locked until the caller commits, so two writers for one
    person append one after the other; writers for different people do not meet.
    """
    conn = uow.conn
    seq, prev = conn.execute(_HEAD_UPSERTS[uow.dialect], {"p": person_id}).one()
    row = ChainedRow(
        person_id=person_id,
        seq=int(seq) + 1,
        actor_id=actor_id,
        actor_role=actor_role,
        fields=fields,
        purpose=mask_numbers_in_text(purpose),
        at=uow.clock.now(),
        business_date=uow.clock.business_date(),
        prev_hash=str(prev),
    )
    digest = row_hash(row)
    conn.execute(
        insert(identity_audit).values(
            **_next_id(uow),
            actor_id=row.actor_id,
            actor_role=row.actor_role,
            person_id=row.person_id,
            fields=row.fields,
            purpose=row.purpose,
            at=row.at,
            business_date=row.business_date,
            seq=row.seq,
            prev_hash=row.prev_hash,
            hash=digest,
        )
    )
    conn.execute(_MOVE_HEAD, {"p": person_id, "new_seq": row.seq, "new_hash": digest})


def record_many(uow: UnitOfWork, *, actor_id: str, actor_role: str, reads: Sequence[tuple[str, str, str]]) -> None:
    """`record` for each (person_id, fields, purpose) in order, in one head upsert, one insert and one head
    update: what a batch of people read together costs (collections' automated texts, one number each).

    Heads are locked in person order, so two batches never wait on each other in a circle.
    """
    if not reads:
        return
    conn = uow.conn
    people = sorted({p for p, _f, _u in reads})
    dialect = postgresql if uow.dialect == "postgresql" else sqlite
    upsert = dialect.insert(identity_audit_head).values([{"person_id": p, "seq": 0, "hash": GENESIS} for p in people])
    heads = {
        str(p): (int(seq), str(h))
        for p, seq, h in conn.execute(
            upsert.on_conflict_do_update(
                index_elements=[identity_audit_head.c.person_id], set_={"seq": identity_audit_head.c.seq}
            ).returning(identity_audit_head.c.person_id, identity_audit_head.c.seq, identity_audit_head.c.hash)
        )
    }
    now, day = uow.clock.now(), uow.clock.business_date()
    rows: list[dict[str, Any]] = []
    for person_id, fields, purpose in reads:
        seq, prev = heads[person_id]
        row = ChainedRow(
            person_id=person_id,
            seq=seq + 1,
            actor_id=actor_id,
            actor_role=actor_role,
            fields=fields,
            purpose=mask_numbers_in_text(purpose),
            at=now,
            business_date=day,
            prev_hash=prev,
        )
        digest = row_hash(row)
        heads[person_id] = (row.seq, digest)
        rows.append(
            {
                "actor_id": row.actor_id,
                "actor_role": row.actor_role,
                "person_id": row.person_id,
                "fields": row.fields,
                "purpose": row.purpose,
                "at": row.at,
                "business_date": row.business_date,
                "seq": row.seq,
                "prev_hash": row.prev_hash,
                "hash": digest,
            }
        )
    # SQLite runs an executemany row by row, so each row's id reads the one before it (as `record`).
    conn.execute(insert(identity_audit).values(**_next_id(uow)), rows)
    conn.execute(_MOVE_HEAD, [{"p": p, "new_seq": heads[p][0], "new_hash": heads[p][1]} for p in people])


def _next_id(uow: UnitOfWork) -> dict[str, Any]:
    """The row id, where the database does not give it: the key is (person_id, id) (identity_0007), and
    SQLite numbers a column by itself only when it is the whole key. SQLite runs one writer at a time
    (the writer's transaction began IMMEDIATE), so the next id is read and taken under the same lock;
    PostgreSQL's sequence gives it."""
    if uow.dialect != "sqlite":
        return {}
    return {"id": _NEXT_ID}


# Read inside the INSERT itself: the same number, one round trip fewer.
_NEXT_ID = select(func.coalesce(func.max(identity_audit.c.id), 0) + 1).scalar_subquery()


def chain_breaks(uow: UnitOfWork) -> list[AuditBreak]:
    """The first broken row of every person's chain (empty: every chain holds)."""
    t = identity_audit
    heads = {
        str(p): (int(s), str(h))
        for p, s, h in uow.conn.execute(
            select(identity_audit_head.c.person_id, identity_audit_head.c.seq, identity_audit_head.c.hash)
        )
    }
    found: list[AuditBreak] = []
    current: str | None = None
    chain: list[tuple[int | None, ChainedRow]] = []
    rows = uow.conn.execute(select(t).order_by(t.c.person_id, t.c.seq, t.c.id))
    for r in rows:
        if r.person_id != current:
            if current is not None:
                _check(found, current, chain, heads)
            current, chain = str(r.person_id), []
        chain.append((int(r.id), _chained(r)))
    if current is not None:
        _check(found, current, chain, heads)
    for person_id, (seq, _digest) in sorted(heads.items()):
        if seq > 0:  # a head whose chain has no row at all: every row of it was removed
            found.append(AuditBreak(person_id, seq, None, f"the head says row #{seq} is last, the log has none"))
    return found


def _check(
    found: list[AuditBreak],
    person_id: str,
    chain: list[tuple[int | None, ChainedRow]],
    heads: dict[str, tuple[int, str]],
) -> None:
    broken = first_break(person_id, chain, heads.pop(person_id, None))
    if broken is not None:
        found.append(broken)


def _chained(r: Row[Any]) -> ChainedRow:
    return ChainedRow(
        str(r.person_id),
        int(r.seq),
        str(r.actor_id),
        str(r.actor_role),
        str(r.fields),
        str(r.purpose),
        r.at,
        r.business_date,
        str(r.prev_hash),
        str(r.hash),
    )


def _entry(r: Row[Any]) -> AuditEntry:
    return AuditEntry(r.actor_id, r.actor_role, r.person_id, r.fields, mask_numbers_in_text(r.purpose), r.at, r.id)


class AuditLog:
    def __init__(self, uow: UnitOfWorkFactory, timezone: str = "UTC") -> None:
        self._uow = uow
        self._zone = ZoneInfo(timezone)  # the zone the filters' dates are days in

    def verify(self) -> list[Discrepancy]:
        """`fairlend verify`'s check: every person's chain holds, up to its head."""
        with self._uow(read_only=True) as uow:
            breaks = chain_breaks(uow)
        return [Discrepancy("identity.audit", b.person_id, f"row #{b.seq} (id {b.row_id}): {b.reason}") for b in breaks]

    def entries(self, person_id: str | None = None, limit: int = 200) -> list[AuditEntry]:
        """The newest `limit` rows, of one person or of everyone (the API's list)."""
        return list(self.page(AuditFilter(person_id=person_id or ""), limit=limit).entries)

    def page(
        self, which: AuditFilter, *, before: int | None = None, after: int | None = None, limit: int = PAGE_SIZE
    ) -> AuditPage:
        """One page of matching rows, newest first: the newest ones, or those just older than
        `before`, or just newer than `after` (the cursors an earlier page handed out)."""
        if before is not None and after is not None:
            raise Invalid("audit_cursor_conflict", "page either before or after an entry, not both")
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise Invalid("audit_page_size", f"a page holds 1 to {MAX_PAGE_SIZE} entries")
        matching = self._conditions(which)
        t = identity_audit
        with self._uow(read_only=True) as uow:
            if after is None:
                bound = [t.c.id < before] if before is not None else []
                query = select(t).where(*matching, *bound).order_by(t.c.id.desc()).limit(limit + 1)
                rows = uow.conn.execute(query).all()
                more_older, rows = len(rows) > limit, rows[:limit]
                more_newer = before is not None and bool(rows) and _any(uow, matching, t.c.id > rows[0].id)
            else:
                query = select(t).where(*matching, t.c.id > after).order_by(t.c.id.asc()).limit(limit + 1)
                rows = uow.conn.execute(query).all()
                more_newer, rows = len(rows) > limit, rows[:limit][::-1]
                more_older = bool(rows) and _any(uow, matching, t.c.id < rows[-1].id)
        return AuditPage(
            tuple(_entry(r) for r in rows),
            older=rows[-1].id if more_older else None,
            newer=rows[0].id if more_newer else None,
        )

    def export(self, which: AuditFilter, batch: int = EXPORT_BATCH) -> Iterator[AuditEntry]:
        """Every matching row, newest first. The filter is checked now; rows are read as the
        iterator is consumed, `batch` at a time, so a long download holds no transaction open."""
        matching = self._conditions(which)
        return self._batches(matching, batch)

    def _batches(self, matching: list[ColumnElement[bool]], batch: int) -> Iterator[AuditEntry]:
        t = identity_audit
        before: int | None = None
        while True:
            bound = [t.c.id < before] if before is not None else []
            query = select(t).where(*matching, *bound).order_by(t.c.id.desc()).limit(batch)
            with self._uow(read_only=True) as uow:
                rows = uow.conn.execute(query).all()
            yield from (_entry(r) for r in rows)
            if len(rows) < batch:
                return
            before = rows[-1].id

    def _conditions(self, which: AuditFilter) -> list[ColumnElement[bool]]:
        for day in (which.since, which.until):
            if day is not None and not _FIRST_DAY <= day <= _LAST_DAY:
                raise Invalid("audit_date_invalid", f"give days from {_FIRST_DAY} to {_LAST_DAY}")
        if which.since and which.until and which.since > which.until:
            raise Invalid("audit_dates_reversed", "the first day comes after the last day")
        t = identity_audit
        conditions: list[ColumnElement[bool]] = []
        for column, value in ((t.c.person_id, which.person_id), (t.c.actor_id, which.actor_id)):
            if value and not _ID_FILTER.fullmatch(value):
                raise Invalid("audit_filter_invalid", "a subject or actor is an id such as brw_… or op_…")
            if value:
                conditions.append(column == value)
        start, end = which.bounds(self._zone)
        if start is not None:
            conditions.append(t.c.at >= start)
        if end is not None:
            conditions.append(t.c.at < end)
        return conditions


def _any(uow: UnitOfWork, matching: list[ColumnElement[bool]], beyond: ColumnElement[bool]) -> bool:
    found = uow.conn.execute(select(identity_audit.c.id).where(*matching, beyond).limit(1)).first()
    return found is not None
