"""Applying a reporting file: validate each line, apply the good ones in bulk.

The whole file is one transaction. Lines are parsed and checked one by one
against the accounts' state held in memory, then every change is written
with one bulk statement per table (batches.py): no statement per record,
which is what lets intake reach tens of thousands of records a second on
SQLite. A Metro 2 file (bureau/metro2.py) becomes the same records a JSON
Lines file carries and goes through the same reads, rules and writes.

Applying the same file twice changes nothing: the file's sha256 finds the
first acknowledgement, and a record id seen before is counted as a duplicate.
A Metro 2 base segment's cycle status is known by its account and date of
account information instead: one dated on or before the account's `as_of`
(with its month coded) is counted as a duplicate without a record-id log row.
The file itself is kept sealed under the bureau's key (sealed.py).
"""

from __future__ import annotations

import gc
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from fairlend.bureau import metro2
from fairlend.bureau.accounts import RecordApplier
from fairlend.bureau.batches import claim, load, load_files, release, write
from fairlend.bureau.bulk import storage_dates
from fairlend.bureau.documents import Ack, LineOutcome
from fairlend.bureau.held import Batch
from fairlend.bureau.jsonl import parse_lines
from fairlend.bureau.records import Record, RecordError, RecordType
from fairlend.bureau.sealing import BureauSealer, purpose
from fairlend.bureau.tables import bureau_submission
from fairlend.ids import new_id
from fairlend.jurisdiction.model import BureauProfile
from fairlend.metro2.file import FileRefused


@dataclass
class _Outcome:
    """What applying a file came to, chunk by chunk."""

    rejected: list[LineOutcome] = field(default_factory=list)
    warnings: list[LineOutcome] = field(default_factory=list)
    applied: int = 0
    duplicates: int = 0
    resolved: list[tuple[str, str]] = field(default_factory=list)


class RefusedFile(Exception):
    """A Metro 2 file refused whole after some of it may have been applied: roll back, then `store_refusal`."""

    def __init__(self, refusal: LineOutcome) -> None:
        super().__init__(refusal.reason)
        self.refusal = refusal


@dataclass
class IntakeResult:
    ack: Ack
    resolved_disputes: list[tuple[str, str]]  # (dispute id, account id) a correction answered


class Intake:
    def __init__(self, profile: BureauProfile, blind_key: bytes, sealer: BureauSealer) -> None:
        self._profile = profile
        self._key = blind_key
        self._sealer = sealer
        self._applier = RecordApplier(profile, blind_key)

    def stored_ack(self, conn: Connection, institution_id: str, sha256: str) -> Ack | None:
        found = conn.execute(
            select(bureau_submission.c.ack).where(
                bureau_submission.c.institution_id == institution_id, bureau_submission.c.sha256 == sha256
            )
        ).scalar()
        if found is None:
            return None
        ack = Ack.from_json(json.loads(found))
        return Ack(**{**_fields(ack), "replayed": True})

    def apply(
        self, conn: Connection, institution_id: str, content: bytes, *, now: datetime, today: date
    ) -> IntakeResult:
        sha256 = hashlib.sha256(content).hexdigest()
        stored = self.stored_ack(conn, institution_id, sha256)
        if stored is not None:
            return IntakeResult(stored, [])
        with _gc_paused():
            return self._apply(conn, institution_id, content, sha256, now=now, today=today)

    def _apply(
        self, conn: Connection, institution_id: str, content: bytes, sha256: str, *, now: datetime, today: date
    ) -> IntakeResult:
        submission_id = new_id("bsub")
        outcome = _Outcome()
        if not metro2.is_metro2(content):
            lines, records, outcome.rejected = parse_lines(content)
            self._apply_chunk(conn, institution_id, submission_id, records, None, outcome, now, today)
            return IntakeResult(
                self._store(conn, institution_id, content, submission_id, sha256, now, lines, outcome), outcome.resolved
            )
        # Metro 2, in one pass: every field is checked and the accounts applied a chunk at a time while the
        # trailer's totals are counted. A bad header, trailer or total refuses the whole file once chunks may
        # be applied: RefusedFile tells the caller to roll the transaction back and `store_refusal` in a new
        # one. (A savepoint would undo less, but SQLite then copies every page the chunks write to a
        # sub-journal: about 2 µs a segment, more than reading the file twice cost.)
        lines = 0
        try:
            for part in metro2.parts(content, today):
                outcome.rejected.extend(part.rejected)
                self._apply_chunk(conn, institution_id, submission_id, part.records, part.openings, outcome, now, today)
                lines = part.lines or lines
        except FileRefused as refused:
            raise RefusedFile(metro2.refusal(refused)) from None
        return IntakeResult(
            self._store(conn, institution_id, content, submission_id, sha256, now, lines, outcome), outcome.resolved
        )

    def store_refusal(
        self, conn: Connection, institution_id: str, content: bytes, refused: RefusedFile, now: datetime
    ) -> Ack:
        """Keep a refused file and its acknowledgement of the one refusal, in a transaction of its own."""
        sha256 = hashlib.sha256(content).hexdigest()
        stored = self.stored_ack(conn, institution_id, sha256)
        if stored is not None:
            return stored
        outcome = _Outcome(rejected=[refused.refusal])
        return self._store(conn, institution_id, content, new_id("bsub"), sha256, now, content.count(b"\n"), outcome)

    def _apply_chunk(
        self,
        conn: Connection,
        institution_id: str,
        submission_id: str,
        records: list[Record],
        openings: list[metro2.Opening] | None,
        outcome: _Outcome,
        now: datetime,
        today: date,
    ) -> None:
        """Apply parsed records; `openings` are what a Metro 2 file's base segments say of their accounts."""
        batch = Batch(institution_id, storage_dates(conn))
        if openings is not None:
            # A Metro 2 segment restates its account's opening every cycle: read the accounts first and
            # make opening records only for those not held, so that only new ones are logged and applied.
            load(conn, batch, records, self._key)
            accounts = batch.accounts
            new = [o.record() for o in openings if o.ref not in accounts]
            batch.files.update(load_files(conn, new, self._key))
            records = new + records
        # Record ids applied before (or twice in this file) are duplicates, not errors. A Metro 2 cycle status
        # is not logged: its account and date of account information identify it, and the account row read
        # above says whether it was applied (`reported_on`): one write a segment fewer.
        cycle = None if openings is None else RecordType.STATUS
        fresh, duplicates = claim(conn, institution_id, submission_id, records, cycle)
        if openings is None:
            load(conn, batch, fresh, self._key)
        applied = 0
        refused: list[str] = []
        apply_one = self._applier.apply_one
        rejected, warnings = outcome.rejected, outcome.warnings
        opened = RecordType.ACCOUNT_OPENED
        accounts = batch.accounts
        for record in fresh:
            if record.type is cycle:
                account = accounts.get(record.account_ref)
                if account is not None and account.reported_on(record.day):
                    duplicates += 1  # this cycle, or a later one, was applied before: stale, skipped
                    continue
            try:
                warning = apply_one(record, batch, now, today)
            except RecordError as exc:
                if record.type is not cycle:
                    refused.append(record.record_id)  # logged by `claim`: given back
                if exc.code == "account_exists" and openings is not None and record.type is opened:
                    continue  # a Metro 2 segment restates its account's opening every cycle: not an error
                rejected.append(LineOutcome(record.line, record.record_id, exc.code, exc.reason))
                continue
            applied += 1
            if warning is not None:
                warnings.append(LineOutcome(record.line, record.record_id, warning[0], warning[1]))
        write(conn, batch)
        if refused:
            release(conn, institution_id, refused)
        outcome.applied += applied
        outcome.duplicates += duplicates
        outcome.resolved.extend(batch.resolved)

    def _store(
        self,
        conn: Connection,
        institution_id: str,
        content: bytes,
        submission_id: str,
        sha256: str,
        now: datetime,
        lines: int,
        outcome: _Outcome,
    ) -> Ack:
        """Keep the file (sealed) and its acknowledgement."""
        outcome.rejected.sort(key=lambda o: o.line)
        ack = Ack(
            submission_id=submission_id,
            sha256=sha256,
            lines=lines,
            applied=outcome.applied,
            duplicates=outcome.duplicates,
            rejected=tuple(outcome.rejected),
            warnings=tuple(outcome.warnings),
        )
        conn.execute(
            insert(bureau_submission).values(
                id=submission_id,
                institution_id=institution_id,
                sha256=sha256,
                received_at=now,
                lines=lines,
                applied=outcome.applied,
                rejected=len(outcome.rejected),
                ack=json.dumps(ack.to_json(), ensure_ascii=False),
                # Whole files of names and ID numbers: kept only sealed (sealed.py).
                key_id=self._sealer.key_id,
                content=self._sealer.seal(content, purpose(bureau_submission.name, "content", submission_id)),
            )
        )
        return ack


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a file is applied.

    A file allocates a few objects per line and frees none until it is done,
    so the collector kept rescanning a growing heap for cycles that intake
    never makes: about a seventh of intake's CPU. Reference counting still
    frees everything; whoever paused the collector turns it back on.
    """
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _fields(ack: Ack) -> dict[str, Any]:
    return {name: getattr(ack, name) for name in Ack.__dataclass_fields__}
