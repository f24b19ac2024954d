"""Applying a reporting file: validate each line, apply the good ones in bulk.

The whole file is one transaction. Lines are parsed and checked one by one
against the accounts' state held in memory (loaded with a few set-based
queries), then every change is written with one bulk statement per table:
no statement per record, which is what lets intake reach tens of thousands
of records a second on SQLite.

Applying the same file twice changes nothing: the file's sha256 finds the
first acknowledgement, and a record id seen before is counted as a duplicate.
"""

from __future__ import annotations

import gc
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from fairlend.bureau.accounts import STORED, HeldAccount, RecordApplier, blind_index
from fairlend.bureau.bulk import bulk_insert, bulk_insert_tuples, bulk_update, chunks, fetch_all, select_in
from fairlend.bureau.documents import Ack, LineOutcome
from fairlend.bureau.records import Record, RecordError, parse_object, parse_record
from fairlend.bureau.tables import bureau_account, bureau_file, bureau_month, bureau_record, bureau_submission
from fairlend.ids import new_id
from fairlend.jurisdiction.model import BureauProfile


@dataclass
class IntakeResult:
    ack: Ack
    resolved_disputes: list[tuple[str, str]]  # (dispute id, account id) a correction answered


class Intake:
    def __init__(self, profile: BureauProfile, blind_key: bytes) -> None:
        self._profile = profile
        self._key = blind_key
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
        rejected: list[LineOutcome] = []
        warnings: list[LineOutcome] = []
        records: list[Record] = []
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            text = ""
            rejected.append(LineOutcome(0, "", "not_utf8", "the file is not UTF-8 text"))
        # JSON Lines ends a line at "\n" only (a "\r" before it is dropped by the strip);
        # str.splitlines would also break at U+2028 or a form feed, which JSON allows inside a string.
        numbered = [(n, line) for n, line in enumerate(text.split("\n"), start=1) if line.strip()]
        lines = len(numbered)
        decoded = _decode_all(numbered)
        for index, (number, line) in enumerate(numbered):
            try:
                records.append(parse_record(line, number) if decoded is None else parse_object(decoded[index], number))
            except RecordError as exc:
                rejected.append(LineOutcome(number, _record_id_of(line), exc.code, exc.reason))

        # Record ids applied before (or twice in this file) are duplicates, not errors.
        seen = self._existing_record_ids(conn, institution_id, [r.record_id for r in records])
        fresh: list[Record] = []
        duplicates = 0
        for record in records:
            if record.record_id in seen:
                duplicates += 1
            else:
                seen.add(record.record_id)
                fresh.append(record)

        accounts = self._load_accounts(conn, institution_id, {r.account_ref for r in fresh})
        months = self._load_months(conn, accounts, fresh)
        files = self._load_files(conn, fresh)
        new_files: dict[str, dict[str, Any]] = {}
        touched_months: set[tuple[str, int]] = set()
        applied: list[Record] = []
        resolved: list[tuple[str, str]] = []

        for record in fresh:
            try:
                warning = self._applier.apply_one(
                    record, institution_id, accounts, months, files, new_files, touched_months, resolved, now, today
                )
            except RecordError as exc:
                rejected.append(LineOutcome(record.line, record.record_id, exc.code, exc.reason))
                continue
            applied.append(record)
            if warning is not None:
                warnings.append(LineOutcome(record.line, record.record_id, warning[0], warning[1]))

        self._write(conn, institution_id, submission_id, applied, accounts, months, touched_months, new_files)
        rejected.sort(key=lambda o: o.line)
        ack = Ack(
            submission_id=submission_id,
            sha256=sha256,
            lines=lines,
            applied=len(applied),
            duplicates=duplicates,
            rejected=tuple(rejected),
            warnings=tuple(warnings),
        )
        conn.execute(
            insert(bureau_submission).values(
                id=submission_id,
                institution_id=institution_id,
                sha256=sha256,
                received_at=now,
                lines=lines,
                applied=len(applied),
                rejected=len(rejected),
                ack=json.dumps(ack.to_json(), ensure_ascii=False),
                content=content,
            )
        )
        return IntakeResult(ack, resolved)

    # -- loading -------------------------------------------------------------------

    def _existing_record_ids(self, conn: Connection, institution_id: str, ids: list[str]) -> set[str]:
        found: set[str] = set()
        marker = "?" if conn.dialect.name == "sqlite" else "%s"
        for chunk in chunks(ids):
            # Plain SQL: rendering thousands of bound parameters per chunk cost more than the lookup.
            sql = (
                f"SELECT record_id FROM {bureau_record.name} WHERE institution_id = {marker} "
                f"AND record_id IN ({', '.join([marker] * len(chunk))})"
            )
            found.update(row[0] for row in fetch_all(conn, sql, (institution_id, *chunk)))
        return found

    def _load_accounts(self, conn: Connection, institution_id: str, refs: set[str]) -> dict[str, HeldAccount]:
        accounts: dict[str, HeldAccount] = {}
        for chunk in chunks(sorted(refs)):
            for row in select_in(conn, bureau_account, "institution_id", institution_id, "account_ref", chunk):
                accounts[row["account_ref"]] = HeldAccount(row, is_new=False)
        return accounts

    def _load_months(
        self, conn: Connection, accounts: dict[str, HeldAccount], records: list[Record]
    ) -> dict[tuple[str, int], dict[str, Any]]:
        """The stored months a file may add to: those from its earliest record's month on."""
        if not accounts or not records:
            return {}
        earliest = min(r.day for r in records)
        floor = earliest.year * 100 + earliest.month
        months: dict[tuple[str, int], dict[str, Any]] = {}
        ids = [a.id for a in accounts.values()]
        for chunk in chunks(ids):
            for row in select_in(conn, bureau_month, "month >=", floor, "account_id", chunk):
                row[STORED] = True
                months[(row["account_id"], row["month"])] = row
        return months

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

    # -- one record ------------------------------------------------------------------

    def _write(
        self,
        conn: Connection,
        institution_id: str,
        submission_id: str,
        applied: list[Record],
        accounts: dict[str, HeldAccount],
        months: dict[tuple[str, int], dict[str, Any]],
        touched: set[tuple[str, int]],
        new_files: dict[str, dict[str, Any]],
    ) -> None:
        if new_files:
            conn.execute(insert(bureau_file), list(new_files.values()))
        created = [a.values() for a in accounts.values() if a.is_new]
        if created:
            bulk_insert(conn, bureau_account, created)
        changed = [a.values() for a in accounts.values() if a.dirty and not a.is_new]
        if changed:
            bulk_update(conn, bureau_account, "id", _ACCOUNT_STATE, changed)
        # A month that may already be stored is upserted; the rest are new: a plain insert is cheaper.
        changed_months: list[dict[str, Any]] = []
        new_months: list[dict[str, Any]] = []
        for key in sorted(touched):
            row = months[key]
            (changed_months if row.get(STORED) else new_months).append(row)
        if changed_months:
            bulk_insert(conn, bureau_month, changed_months, conflict=("account_id", "month"))
        if new_months:
            bulk_insert(conn, bureau_month, new_months)
        if applied:
            # Tuples in the table's column order: a dict per record cost more than inserting it.
            bulk_insert_tuples(
                conn, bureau_record, [(institution_id, r.record_id, submission_id, r.line) for r in applied]
            )


_ACCOUNT_STATE = (
    "state",
    "settled_by",
    "balance",
    "amount_overdue",
    "days_overdue",
    "as_of",
    "account_status",
    "rating",
    "codes",
    "first_negative_on",
    "notice_on",
    "closed_on",
)


def _decode_all(numbered: list[tuple[int, str]]) -> list[Any] | None:
    """Every line's value from one json.loads when the file is clean (a quarter faster); None: go line by line.

    Each line must be one object on its own ({...}) and the array must hold
    exactly one value per line, so no line's text can bleed into another's.
    """
    if not numbered or not all(line.lstrip().startswith("{") and line.rstrip().endswith("}") for _, line in numbered):
        return None
    try:
        values = json.loads("[" + ",".join([line for _, line in numbered]) + "]")
    except ValueError:
        return None
    return values if isinstance(values, list) and len(values) == len(numbered) else None


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


def _record_id_of(line: str) -> str:
    try:
        data = json.loads(line)
    except ValueError:
        return ""
    value = data.get("record_id") if isinstance(data, dict) else None
    return value if isinstance(value, str) else ""


def _fields(ack: Ack) -> dict[str, Any]:
    return {name: getattr(ack, name) for name in Ack.__dataclass_fields__}
