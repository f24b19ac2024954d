"""The audit log's hash chain: a canonical serialisation of a row and sha256, per person.

Each person's rows form one chain (seq 1, 2, ...); a row's hash covers its
fields and the previous row's hash, and `identity_audit_head` keeps the last
seq and hash of each chain. So changing a row (a purpose rewritten, an actor
swapped), removing one (from the middle or the end) or reordering rows breaks
the chain, and `fairlend verify` names the first broken row of each person.
The chain is per person, as the contact log's is per borrower: writers for
different people never wait on each other.

What it does not stop: someone who can write the database *and* recomputes
every hash after the row they changed, head included. Keeping a copy of the
heads elsewhere (a backup, a report) is what shows that.

The serialisation is frozen: changing it breaks every stored chain.
Migration `identity_0004` carries its own copy to chain the rows written before it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class ChainedRow:
    """One audit row as the chain sees it (the row id is not chained: it is storage's, not the log's)."""

    person_id: str
    seq: int
    actor_id: str
    actor_role: str
    fields: str
    purpose: str
    at: datetime
    business_date: date
    prev_hash: str
    hash: str = ""


@dataclass(frozen=True, slots=True)
class AuditBreak:
    person_id: str
    seq: int
    row_id: int | None
    reason: str


def canonical(row: ChainedRow) -> bytes:
    body = {
        "person_id": row.person_id,
        "seq": row.seq,
        "actor_id": row.actor_id,
        "actor_role": row.actor_role,
        "fields": row.fields,
        "purpose": row.purpose,
        # Microseconds, UTC, fixed format: both databases keep microseconds.
        "at": row.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "business_date": row.business_date.isoformat(),
        "prev_hash": row.prev_hash,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def row_hash(row: ChainedRow) -> str:
    return hashlib.sha256(canonical(row)).hexdigest()


def first_break(
    person_id: str, rows: Iterable[tuple[int | None, ChainedRow]], head: tuple[int, str] | None
) -> AuditBreak | None:
    """The first row of one person's chain (rows in seq order, with their row ids) that does not check out.

    `head` is the stored (seq, hash) of the chain's last row; None when the person has no head row.
    """
    expected_prev, expected_seq = GENESIS, 1
    last_id: int | None = None
    for row_id, row in rows:
        if row.seq != expected_seq:
            return AuditBreak(person_id, row.seq, row_id, f"expected row #{expected_seq} here")
        if row.prev_hash != expected_prev:
            return AuditBreak(person_id, row.seq, row_id, "does not point at the row before it")
        if row_hash(row) != row.hash:
            return AuditBreak(person_id, row.seq, row_id, "its content does not match its hash")
        expected_prev, expected_seq, last_id = row.hash, expected_seq + 1, row_id
    last_seq = expected_seq - 1
    if head is None:
        if last_seq:
            return AuditBreak(person_id, last_seq, last_id, "the chain has rows but no head")
        return None
    if head != (last_seq, expected_prev):
        # Rows were removed from the end (or the head was moved): the chain is not what it was.
        return AuditBreak(
            person_id, last_seq, last_id, f"the head says row #{head[0]} is last, the log ends at #{last_seq}"
        )
    return None
