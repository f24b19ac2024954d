"""Applying a reporting file: validate each line, apply the good ones in bulk.

The whole file is one transaction. Lines are parsed and checked one by one
against the accounts' state held in memory, then every change is written
with one bulk statement per table: no statement per record, which is what
lets intake reach tens of thousands of records a second on SQLite.

The passes over the database are few: the record ids are logged and checked
in one insert; the accounts the file names are read with their stored row of
the month the file reports in one join per chunk of refs; accounts, months
(inserted, or upserted when they may be stored) and the file itself are
written once each. Rows go to the driver as tuples in the tables' column
order with their dates in storage form, so no Python work is left per value.

Applying the same file twice changes nothing: the file's sha256 finds the
first acknowledgement, and a record id seen before is counted as a duplicate.
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
from fairlend.bureau.bulk import (
    bulk_insert,
    bulk_insert_tuples,
    bulk_update,
    chunks,
    fetch_all,
    row_key,
    storage_dates,
)
from fairlend.bureau.documents import Ack, LineOutcome
from fairlend.bureau.held import (
    ACCOUNT_STATE,
    HELD_COLUMNS,
    HELD_WIDTH,
    MONTH_COLUMNS,
    MONTH_KEPT,
    Batch,
    HeldAccount,
    blind_index,
)
from fairlend.bureau.jsonl import parse_lines
from fairlend.bureau.records import Record, RecordError, RecordType
from fairlend.bureau.sealing import BureauSealer, purpose
from fairlend.bureau.tables import bureau_account, bureau_file, bureau_month, bureau_record, bureau_submission
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
            self._apply_chunk(conn, institution_id, submission_id, records, set(), outcome, now, today)
            return IntakeResult(
                self._store(conn, institution_id, content, submission_id, sha256, now, lines, outcome), outcome.resolved
            )
        # Metro 2: a first pass checks the header, the trailer and its totals in constant memory; a bad one
        # refuses the whole file before anything is applied. The second decodes every field and applies
        # the accounts a chunk at a time, in this one transaction.
        try:
            metro2.check(content)
        except FileRefused as refused:
            outcome.rejected.append(metro2.refusal(refused))
            lines = content.count(b"\n")
            return IntakeResult(
                self._store(conn, institution_id, content, submission_id, sha256, now, lines, outcome), []
            )
        lines = 0
        for part in metro2.parts(content, today):
            outcome.rejected.extend(part.rejected)
            self._apply_chunk(conn, institution_id, submission_id, part.records, part.openings, outcome, now, today)
            lines = part.lines or lines
        return IntakeResult(
            self._store(conn, institution_id, content, submission_id, sha256, now, lines, outcome), outcome.resolved
        )

    def _apply_chunk(
        self,
        conn: Connection,
        institution_id: str,
        submission_id: str,
        records: list[Record],
        implied: set[str],
        outcome: _Outcome,
        now: datetime,
        today: date,
    ) -> None:
        """Apply parsed records; `implied` are the openings Metro 2 base segments stand for."""
        batch = Batch(institution_id, storage_dates(conn))
        if implied:
            # A Metro 2 segment restates its account's opening every cycle: read the accounts first and
            # drop the openings of those already held, so that only new ones are logged and applied.
            self._load(conn, batch, [r for r in records if r.record_id not in implied])
            accounts = batch.accounts
            records = [r for r in records if r.record_id not in implied or r.account_ref not in accounts]
            batch.files.update(self._load_files(conn, [r for r in records if r.record_id in implied]))
        # Record ids applied before (or twice in this file) are duplicates, not errors.
        fresh, duplicates = self._claim(conn, institution_id, submission_id, records)
        if not implied:
            self._load(conn, batch, fresh)
        applied = 0
        refused: list[str] = []
        apply_one = self._applier.apply_one
        rejected, warnings = outcome.rejected, outcome.warnings
        for record in fresh:
            try:
                warning = apply_one(record, batch, now, today)
            except RecordError as exc:
                refused.append(record.record_id)
                if exc.code == "account_exists" and record.record_id in implied:
                    continue  # a Metro 2 segment restates its account's opening every cycle: not an error
                rejected.append(LineOutcome(record.line, record.record_id, exc.code, exc.reason))
                continue
            applied += 1
            if warning is not None:
                warnings.append(LineOutcome(record.line, record.record_id, warning[0], warning[1]))
        self._write(conn, batch)
        if refused:
            self._release(conn, institution_id, refused)
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

    # -- loading -------------------------------------------------------------------

    def _claim(
        self, conn: Connection, institution_id: str, submission_id: str, records: list[Record]
    ) -> tuple[list[Record], int]:
        """Log the file's record ids as its own and keep the records whose ids were new; and the duplicates.

        One INSERT ... ON CONFLICT DO NOTHING both looks each id up and logs
        it, where a query and then an insert went through the same index
        twice. Only when fewer rows went in than were sent (a re-sent record)
        does a query find which ids were held before. A record the rules then
        refuse gives its id back (`_release`), so it can be sent again.
        """
        seen: set[str] = set()
        fresh: list[Record] = []
        for record in records:
            if record.record_id not in seen:
                seen.add(record.record_id)
                fresh.append(record)
        duplicates = len(records) - len(fresh)
        if not fresh:
            return fresh, duplicates
        logged = bulk_insert_tuples(
            conn,
            bureau_record,
            [(institution_id, r.record_id, submission_id, r.line) for r in fresh],
            conflict=("institution_id", "record_id"),
            keep_existing=True,
        )
        if logged == len(fresh):
            return fresh, duplicates
        held: set[str] = set()
        marker = "?" if conn.dialect.name == "sqlite" else "%s"
        for chunk in chunks([r.record_id for r in fresh]):
            # Plain SQL: rendering thousands of bound parameters per chunk cost more than the lookup.
            sql = (
                f"SELECT record_id FROM {bureau_record.name} WHERE institution_id = {marker} "
                f"AND submission_id <> {marker} AND record_id IN ({', '.join([marker] * len(chunk))})"
            )
            held.update(row[0] for row in fetch_all(conn, sql, (institution_id, submission_id, *chunk)))
        return [r for r in fresh if r.record_id not in held], duplicates + len(held)

    def _release(self, conn: Connection, institution_id: str, record_ids: list[str]) -> None:
        """Take refused records' ids out of the log: only applied records make a re-sent one a duplicate."""
        marker = "?" if conn.dialect.name == "sqlite" else "%s"
        for chunk in chunks(record_ids):
            sql = (
                f"DELETE FROM {bureau_record.name} WHERE institution_id = {marker} "
                f"AND record_id IN ({', '.join([marker] * len(chunk))})"
            )
            cursor = conn.connection.cursor()
            try:
                cursor.execute(sql, (institution_id, *chunk))
            finally:
                cursor.close()

    def _load(self, conn: Connection, batch: Batch, records: list[Record]) -> None:
        """Read the accounts the records name, each with its stored row of the month the file reports.

        One query per chunk of account refs, joined to the month of the
        file's last record: a month-end or daily file reports one month, so
        that is every month row it can add to. Months of other dates are read
        by their exact keys afterwards.
        """
        if not records:
            return
        files = self._load_files(conn, records)
        batch.files.update(files)
        main = records[-1].day.year * 100 + records[-1].day.month
        marker = "?" if conn.dialect.name == "sqlite" else "%s"
        head = (
            f"SELECT a.{row_key(conn)[0]}, {_HELD_SELECT} FROM {bureau_account.name} a LEFT JOIN {bureau_month.name} m "
            f"ON m.account_id = a.id AND m.month = {marker} "
            f"WHERE a.institution_id = {marker} AND a.account_ref IN ("
        )
        held = HELD_WIDTH
        accounts, months, stored = batch.accounts, batch.months, batch.stored
        for chunk in chunks(sorted({r.account_ref for r in records})):
            sql = head + ", ".join([marker] * len(chunk)) + ")"
            for row in fetch_all(conn, sql, (main, batch.institution_id, *chunk)):
                account = HeldAccount.stored(row)
                accounts[row[2]] = account
                if row[_MONTH_CODE] is not None:
                    key = (account.id, main)
                    months[key] = row[held:]
                    stored.add(key)
        if accounts:
            self._load_other_months(conn, batch, records, main)

    def _load_other_months(self, conn: Connection, batch: Batch, records: list[Record], main: int) -> None:
        """The stored months, other than the file's main one, that the file's records write to."""
        wanted: set[tuple[str, int]] = set()
        accounts = batch.accounts
        for record in records:
            if record.type in _MONTH_WRITERS:
                month = record.day.year * 100 + record.day.month
                if month != main:
                    account = accounts.get(record.account_ref)
                    if account is not None and not account.is_new:
                        wanted.add((account.id, month))
        if not wanted:
            return
        marker = "?" if conn.dialect.name == "sqlite" else "%s"
        month_list = sorted({m for _, m in wanted})
        for chunk in chunks(sorted({a for a, _ in wanted})):
            sql = (
                f"SELECT {', '.join(MONTH_COLUMNS)} FROM {bureau_month.name} "
                f"WHERE month IN ({', '.join([marker] * len(month_list))}) "
                f"AND account_id IN ({', '.join([marker] * len(chunk))})"
            )
            for row in fetch_all(conn, sql, (*month_list, *chunk)):
                key = (row[0], row[1])
                if key in wanted:
                    batch.months[key] = tuple(row)
                    batch.stored.add(key)

    def _load_files(self, conn: Connection, records: list[Record]) -> dict[str, str]:
        """Blind index -> credit file id, for the people in this file's new accounts."""
        indexes = sorted({blind_index(self._key, r.person.id_number) for r in records if r.person is not None})
        files: dict[str, str] = {}
        for chunk in chunks(indexes):
            rows = conn.execute(
                select(bureau_file.c.blind_index, bureau_file.c.id).where(bureau_file.c.blind_index.in_(chunk))
            )
            files.update({str(b): str(i) for b, i in rows})
        return files

    # -- writing -------------------------------------------------------------------

    def _write(self, conn: Connection, batch: Batch) -> None:
        if batch.new_files:
            conn.execute(insert(bureau_file), list(batch.new_files.values()))
        accounts = batch.accounts.values()
        created = [a.values() for a in accounts if a.is_new]
        if created:
            bulk_insert(conn, bureau_account, created)
        dates = batch.dates
        changed = [a.state_values(dates) for a in accounts if a.dirty and not a.is_new]
        if changed:
            bulk_update(conn, bureau_account, row_key(conn)[1], ACCOUNT_STATE, changed)
        # A month that may already be stored is upserted; the rest are new: a plain insert is cheaper.
        stored_months: list[tuple[Any, ...]] = []
        new_months: list[tuple[Any, ...]] = []
        months, stored = batch.months, batch.stored
        for key in sorted(batch.touched):
            (stored_months if key in stored else new_months).append(months[key])
        if stored_months:
            bulk_insert_tuples(conn, bureau_month, stored_months, conflict=("account_id", "month"))
        if new_months:
            bulk_insert_tuples(conn, bureau_month, new_months)


# The account's state, then its month row in MONTH_COLUMNS' layout with only the kept columns read.
_HELD_SELECT = ", ".join(
    [*(f"a.{c}" for c in HELD_COLUMNS), *(f"m.{c}" if c in MONTH_KEPT else "NULL" for c in MONTH_COLUMNS)]
)
_MONTH_CODE = HELD_WIDTH + MONTH_COLUMNS.index("code")  # NULL when the account has no row for the month
# Records that write the month of their date (a correction names its month; a notice writes none).
_MONTH_WRITERS = frozenset({RecordType.STATUS, RecordType.REPAYMENT, RecordType.SETTLEMENT, RecordType.CHARGE_OFF})


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
