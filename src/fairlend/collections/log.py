"""The contact log in storage: append (hash-chained, per borrower), read, verify.

Appends lock the borrower's chain head (`contact_log_head`) so two appends for
one borrower can never both claim the same place; records are only ever
inserted. Functions take the caller's connection: the log entry commits or
rolls back with the attempt it records.

An allowed attempt is two rows: the attempt, DISPATCHING, written before the
message leaves, and its outcome (SENT, FAILED, CANCELLED, EXPIRED) naming it
in `resolves`. Rows from before that split are single SENT or FAILED rows.
Texts are stored sealed (`Sealer`); the chain hashes the text itself.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from fairlend.collections.chain import GENESIS, ChainBreak, first_break, record_hash
from fairlend.collections.model import (
    NOT_DELIVERED,
    REACHED,
    CallOutcome,
    LogRecord,
    Medium,
    Outcome,
    PriorAttempt,
    RecipientKind,
)
from fairlend.collections.ports import LOG_TEXT, SealBroken, Sealer
from fairlend.collections.tables import call_outcome, contact_log, contact_log_head

UNREADABLE = "\u2588 the stored text does not open \u2588"

_HISTORY = select(
    contact_log.c.loan_id,
    contact_log.c.recipient_kind,
    contact_log.c.recipient_id,
    contact_log.c.medium,
    contact_log.c.number_key,
    contact_log.c.at,
    contact_log.c.outcome,
    contact_log.c.connected,
    contact_log.c.conversation,
    contact_log.c.id,
    contact_log.c.resolves,
    # What the collector heard on the call, if they recorded it (desk.py): the policy reads it with
    # the channel's report, so a recorded "answered" is a connected call even when the provider says not.
    call_outcome.c.outcome.label("heard"),
).select_from(
    contact_log.outerjoin(
        call_outcome,
        and_(call_outcome.c.borrower_id == contact_log.c.borrower_id, call_outcome.c.log_id == contact_log.c.id),
    )
)


# Creates the head at the genesis if missing and reads it, locked, in one statement: the conflict's
# no-op update takes the row lock (PostgreSQL) that `SELECT ... FOR UPDATE` took after an
# `ON CONFLICT DO NOTHING`, and returns the row as it stands once the lock is held.
_HEAD_UPSERTS = {
    name: dialect.insert(contact_log_head)
    .values(borrower_id=bindparam("b"), seq=0, hash=GENESIS)
    .on_conflict_do_update(index_elements=[contact_log_head.c.borrower_id], set_={"seq": contact_log_head.c.seq})
    .returning(contact_log_head.c.seq, contact_log_head.c.hash)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}
_INSERT = insert(contact_log)
_MOVE_HEAD = (
    update(contact_log_head)
    .where(contact_log_head.c.borrower_id == bindparam("b"))
    .values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))
)


def lock_head(conn: Connection, borrower_id: str) -> tuple[int, str]:
    """Take the borrower's chain head for this transaction: (last seq, last hash).

    The gateway takes it before reading the history it decides on, so two
    attempts for one borrower are decided one after the other: a cap can
    never be passed by two attempts that each saw the count below it.
    """
    seq, last = conn.execute(_HEAD_UPSERTS[conn.dialect.name], {"b": borrower_id}).one()
    return int(seq), str(last)


def append(conn: Connection, record: LogRecord, sealer: Sealer, head: tuple[int, str] | None = None) -> LogRecord:
    """Chain `record` after the borrower's last one and insert it; returns it with seq and hashes.

    `head` is what `lock_head` returned earlier in this transaction (the lock is still held).
    """
    seq, prev = head if head is not None else lock_head(conn, record.borrower_id)
    chained = replace(record, seq=seq + 1, prev_hash=prev)
    chained = replace(chained, hash=record_hash(chained))
    row = _row(chained)
    row["text"] = sealer.seal(chained.text, LOG_TEXT)
    row["text_sealed"] = True
    conn.execute(_INSERT, row)
    conn.execute(_MOVE_HEAD, {"b": record.borrower_id, "new_seq": chained.seq, "new_hash": chained.hash})
    return chained


def _row(record: LogRecord) -> dict[str, object]:
    return {
        "borrower_id": record.borrower_id,
        "seq": record.seq,
        "id": record.id,
        "loan_id": record.loan_id,
        "at": record.at,
        "medium": record.medium.value,
        "recipient_kind": record.recipient_kind.value,
        "recipient_id": record.recipient_id,
        "recipient_masked": record.recipient_masked,
        "recipient_tz": record.recipient_tz,
        "number_key": record.number_key,
        "template": record.template,
        "text": record.text,
        "outcome": record.outcome.value,
        "rules": ",".join(record.rules),
        "connected": record.connected,
        "conversation": record.conversation,
        "collector_id": record.collector_id,
        "task_id": record.task_id,
        "prev_hash": record.prev_hash,
        "hash": record.hash,
        "resolves": record.resolves,
    }


def to_record(row: Row[Any] | Mapping[str, Any], sealer: Sealer) -> LogRecord:
    m: Mapping[str, Any] = row._mapping if isinstance(row, Row) else row  # type: ignore[assignment]
    rules = str(m["rules"])
    text = str(m["text"])
    if m["text_sealed"]:
        try:
            text = sealer.open(text, LOG_TEXT)
        except SealBroken:
            # Tampered with, or under a key no longer configured: shown as such, and the chain check fails on it.
            text = UNREADABLE
    return LogRecord(
        borrower_id=str(m["borrower_id"]),
        seq=int(m["seq"]),
        id=str(m["id"]),
        loan_id=str(m["loan_id"]),
        at=m["at"],
        medium=Medium(m["medium"]),
        recipient_kind=RecipientKind(m["recipient_kind"]),
        recipient_id=str(m["recipient_id"]),
        recipient_masked=str(m["recipient_masked"]),
        recipient_tz=str(m["recipient_tz"]),
        number_key=str(m["number_key"]),
        template=str(m["template"]),
        text=text,
        outcome=Outcome(m["outcome"]),
        rules=tuple(rules.split(",")) if rules else (),
        connected=bool(m["connected"]),
        conversation=bool(m["conversation"]),
        collector_id=str(m["collector_id"]),
        task_id=str(m["task_id"]),
        prev_hash=str(m["prev_hash"]),
        hash=str(m["hash"]),
        resolves=str(m["resolves"] or ""),
    )


_RECENT = _HISTORY.where(contact_log.c.borrower_id == bindparam("b"), contact_log.c.at >= bindparam("since")).order_by(
    contact_log.c.seq
)


def history(conn: Connection, borrower_id: str, since: datetime) -> tuple[PriorAttempt, ...]:
    """The borrower's attempts since `since`, each with what became of it.

    A DISPATCHING attempt with no outcome yet may be reaching the person right
    now: it counts as sent, connected and talked-to (the worst case) until its
    outcome says otherwise.
    """
    return _resolved(conn.execute(_RECENT, {"b": borrower_id, "since": since}).all())


_DEBTOR_CALLS = _HISTORY.where(
    contact_log.c.borrower_id == bindparam("b"),
    contact_log.c.medium == Medium.CALL.value,
    contact_log.c.recipient_kind == RecipientKind.DEBTOR.value,
).order_by(contact_log.c.seq)


def debtor_calls(conn: Connection, borrower_id: str) -> tuple[PriorAttempt, ...]:
    """Every call to the debtor, ever, with what became of it: how long they have been unreachable
    reaches back to the first unanswered call, however long ago (CN-1)."""
    return _resolved(conn.execute(_DEBTOR_CALLS, {"b": borrower_id}).all())


def _resolved(rows: Sequence[Any]) -> tuple[PriorAttempt, ...]:
    outcomes = {r.resolves: r for r in rows if r.resolves}
    found: list[PriorAttempt] = []
    for r in rows:
        if r.resolves:
            continue
        outcome = Outcome(r.outcome)
        connected, conversation = bool(r.connected), bool(r.conversation)
        if outcome is Outcome.DISPATCHING:
            resolution = outcomes.get(r.id)
            if resolution is None:
                sent, connected, conversation = True, True, True
            else:
                sent = Outcome(resolution.outcome) is Outcome.SENT
                connected, conversation = bool(resolution.connected), bool(resolution.conversation)
        else:
            sent = outcome is Outcome.SENT  # a row from before dispatching was recorded apart
        if r.heard and CallOutcome(r.heard) in REACHED:
            # The stricter reading: a collector who says the debtor was reached outweighs a provider
            # that reports the call as not connected (or failed); the report never unmakes it either.
            sent, connected, conversation = True, True, True
        found.append(
            PriorAttempt(
                loan_id=r.loan_id,
                recipient_kind=RecipientKind(r.recipient_kind),
                recipient_id=r.recipient_id,
                medium=Medium(r.medium),
                number_key=r.number_key,
                at=r.at,
                sent=sent,
                connected=sent and connected,
                conversation=sent and conversation,
            )
        )
    return tuple(found)


def sent_to_person(conn: Connection, borrower_id: str, number_key: str) -> int:
    """Contacts about a loan that may have reached this number as anyone but the debtor, ever (P-8)."""
    if not number_key:
        return 0
    outcome = contact_log.alias("outcome")
    undelivered = (
        select(outcome.c.id)
        .where(
            outcome.c.borrower_id == contact_log.c.borrower_id,
            outcome.c.resolves == contact_log.c.id,
            outcome.c.outcome.in_([o.value for o in NOT_DELIVERED]),
        )
        .exists()
    )
    found = conn.execute(
        select(func.count()).where(
            contact_log.c.borrower_id == borrower_id,
            contact_log.c.number_key == number_key,
            contact_log.c.resolves == "",
            contact_log.c.loan_id != "",
            contact_log.c.recipient_kind != RecipientKind.DEBTOR.value,
            (contact_log.c.outcome == Outcome.SENT.value)
            | ((contact_log.c.outcome == Outcome.DISPATCHING.value) & ~undelivered),
        )
    ).scalar()
    return int(found or 0)


def records_for(
    conn: Connection,
    sealer: Sealer,
    borrower_id: str,
    loan_ids: Sequence[str] | None = None,
    limit: int | None = None,
) -> list[LogRecord]:
    query = select(contact_log).where(contact_log.c.borrower_id == borrower_id)
    if loan_ids is not None:
        query = query.where(contact_log.c.loan_id.in_(loan_ids))
    query = query.order_by(contact_log.c.seq.desc())
    if limit is not None:
        query = query.limit(limit)
    return [to_record(r, sealer) for r in conn.execute(query)]


def chain_of(conn: Connection, sealer: Sealer, borrower_id: str) -> list[LogRecord]:
    rows = conn.execute(select(contact_log).where(contact_log.c.borrower_id == borrower_id).order_by(contact_log.c.seq))
    return [to_record(r, sealer) for r in rows]


def _chains(conn: Connection, sealer: Sealer) -> Iterator[tuple[str, list[LogRecord]]]:
    rows = conn.execution_options(yield_per=5000).execute(
        select(contact_log).order_by(contact_log.c.borrower_id, contact_log.c.seq)
    )
    current: str | None = None
    batch: list[LogRecord] = []
    for row in rows:
        record = to_record(row, sealer)
        if record.borrower_id != current:
            if current is not None:
                yield current, batch
            current, batch = record.borrower_id, []
        batch.append(record)
    if current is not None:
        yield current, batch


def verify_chain(records: list[LogRecord], head: tuple[int, str] | None) -> ChainBreak | None:
    broken = first_break(records)
    if broken is not None:
        return broken
    last_seq, last_hash = (records[-1].seq, records[-1].hash) if records else (0, GENESIS)
    if head is not None and (head[0] != last_seq or head[1] != last_hash):
        # Records were removed from the end (or the head was moved): the chain is shorter than it was.
        subject = records[-1] if records else None
        return ChainBreak(
            records[0].borrower_id if records else "",
            last_seq,
            subject.id if subject else "",
            f"the chain head says record #{head[0]} is last, the log ends at #{last_seq}",
        )
    return None


def verify_all(conn: Connection, sealer: Sealer) -> list[ChainBreak]:
    """The first broken record of every borrower's chain (empty: every chain holds)."""
    heads = {
        str(b): (int(s), str(h))
        for b, s, h in conn.execute(
            select(contact_log_head.c.borrower_id, contact_log_head.c.seq, contact_log_head.c.hash)
        )
    }
    found: list[ChainBreak] = []
    seen: set[str] = set()
    for borrower_id, records in _chains(conn, sealer):
        seen.add(borrower_id)
        broken = verify_chain(records, heads.get(borrower_id))
        if broken is not None:
            found.append(broken)
    for borrower_id, (seq, _hash) in heads.items():
        if borrower_id not in seen and seq > 0:
            found.append(ChainBreak(borrower_id, seq, "", f"the chain head says #{seq} records, the log has none"))
    return found


def blocked_counts(conn: Connection) -> list[tuple[str, str, int]]:
    """(rules, collector, count) over every blocked attempt."""
    rows = conn.execute(
        select(contact_log.c.rules, contact_log.c.collector_id, func.count())
        .where(contact_log.c.outcome == Outcome.BLOCKED.value)
        .group_by(contact_log.c.rules, contact_log.c.collector_id)
    )
    return [(str(r), str(c), int(n)) for r, c, n in rows]
