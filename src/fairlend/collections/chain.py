"""The contact log's hash chain: a canonical serialisation and sha256.

Each borrower's records form one chain (seq 1, 2, ...); a record's hash covers
its fields and the previous record's hash, so changing, removing or
reordering any record breaks every hash after it. The chain is per borrower
so appends for different borrowers never wait on each other and the table can
be distributed on `borrower_id` (DESIGN 7).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from fairlend.collections.model import LogRecord

GENESIS = "0" * 64


def canonical(record: LogRecord) -> bytes:
    body: dict[str, Any] = {
        "borrower_id": record.borrower_id,
        "seq": record.seq,
        "id": record.id,
        "loan_id": record.loan_id,
        # Microseconds, UTC, fixed format: both databases keep microseconds.
        "at": record.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "medium": record.medium.value,
        "recipient_kind": record.recipient_kind.value,
        "recipient_id": record.recipient_id,
        "recipient_masked": record.recipient_masked,
        "recipient_tz": record.recipient_tz,
        "number_key": record.number_key,
        "template": record.template,
        "text": record.text,
        "outcome": record.outcome.value,
        "rules": list(record.rules),
        "connected": record.connected,
        "conversation": record.conversation,
        "collector_id": record.collector_id,
        "task_id": record.task_id,
        "prev_hash": record.prev_hash,
    }
    if record.resolves:  # only outcome rows carry it, so rows written before it existed still check out
        body["resolves"] = record.resolves
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def record_hash(record: LogRecord) -> str:
    return hashlib.sha256(canonical(record)).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainBreak:
    borrower_id: str
    seq: int
    record_id: str
    reason: str


def first_break(records: Iterable[LogRecord]) -> ChainBreak | None:
    """The first record of one borrower's chain (in seq order) that does not check out."""
    expected_prev = GENESIS
    expected_seq = 1
    for record in records:
        if record.seq != expected_seq:
            return ChainBreak(record.borrower_id, record.seq, record.id, f"expected record #{expected_seq} here")
        if record.prev_hash != expected_prev:
            return ChainBreak(record.borrower_id, record.seq, record.id, "does not point at the record before it")
        if record_hash(record) != record.hash:
            return ChainBreak(record.borrower_id, record.seq, record.id, "its content does not match its hash")
        expected_prev = record.hash
        expected_seq += 1
    return None
