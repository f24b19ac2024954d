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

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select

from fairlend.bureau.bulk import bulk_insert, bulk_update, chunks, select_in
from fairlend.bureau.documents import Ack, LineOutcome, mask_id_number
from fairlend.bureau.model import (
    AccountState,
    MonthStatus,
    NoticeCheck,
    SettledBy,
    check_negative_notice,
    month_index,
    month_status,
    scheme_for,
)
from fairlend.bureau.records import Record, RecordError, RecordType, parse_object, parse_record
from fairlend.bureau.tables import bureau_account, bureau_file, bureau_month, bureau_record, bureau_submission
from fairlend.ids import new_id
from fairlend.jurisdiction.model import BureauProfile


def blind_index(key: bytes, id_number: str) -> str:
    """HMAC of the normalised ID number with the bureau's own key: a lookup key that reveals nothing."""
    return hmac.new(key, id_number.strip().upper().encode(), hashlib.sha256).hexdigest()


class _Account:
    """An account's state while a file is applied."""

    __slots__ = (
        "account_status",
        "amount_overdue",
        "as_of",
        "balance",
        "closed_on",
        "codes",
        "currency",
        "days_overdue",
        "dirty",
        "file_id",
        "first_negative_on",
        "id",
        "is_new",
        "notice_on",
        "open_date",
        "open_index",
        "rating",
        "row",
        "settled_by",
        "state",
    )

    def __init__(self, row: dict[str, Any], *, is_new: bool) -> None:
        self.row = row
        self.id: str = row["id"]
        self.file_id: str = row["file_id"]
        self.currency: str = row["currency"]
        self.open_date: date = row["open_date"]
        self.state = AccountState(row["state"])
        self.settled_by = SettledBy(row["settled_by"])
        self.balance: int = row["balance"]
        self.amount_overdue: int = row["amount_overdue"]
        self.days_overdue: int = row["days_overdue"]
        self.as_of: date = row["as_of"]
        self.account_status: str = row["account_status"]
        self.rating: str = row["rating"]
        self.codes: str = row["codes"]
        self.open_index = month_index(self.open_date)
        self.first_negative_on: date | None = row["first_negative_on"]
        self.notice_on: date | None = row["notice_on"]
        self.closed_on: date | None = row["closed_on"]
        self.is_new = is_new
        self.dirty = is_new

    def values(self) -> dict[str, Any]:
        return {
            **self.row,
            "state": self.state.value,
            "settled_by": self.settled_by.value,
            "balance": self.balance,
            "amount_overdue": self.amount_overdue,
            "days_overdue": self.days_overdue,
            "as_of": self.as_of,
            "account_status": self.account_status,
            "rating": self.rating,
            "codes": self.codes,
            "first_negative_on": self.first_negative_on,
            "notice_on": self.notice_on,
            "closed_on": self.closed_on,
        }

    def set_code(self, month: int, code: str, unknown: str) -> None:
        """Put a month's code into the account's code string (one character per month since opening)."""
        position = (month // 100) * 12 + month % 100 - 1 - self.open_index
        if position < 0:
            return
        codes = self.codes
        if position < len(codes):
            self.codes = codes[:position] + code + codes[position + 1 :]
        else:
            self.codes = codes + unknown * (position - len(codes)) + code


@dataclass
class IntakeResult:
    ack: Ack
    resolved_disputes: list[tuple[str, str]]  # (dispute id, account id) a correction answered


class Intake:
    def __init__(self, profile: BureauProfile, blind_key: bytes) -> None:
        self._profile = profile
        self._key = blind_key
        self._scheme = scheme_for(profile)
        self._opening = month_status(profile, days_overdue=0, state=AccountState.OPEN)
        self._statuses: dict[tuple[Any, ...], MonthStatus] = {}

    def _status(
        self, days: int, state: AccountState, settled_by: SettledBy, before: int, payment_due: bool, zero: bool
    ) -> MonthStatus:
        """`month_status`, memoised: a file repeats the same few combinations thousands of times."""
        key = (min(days, 400), state, settled_by, min(before, 400), payment_due, zero)
        found = self._statuses.get(key)
        if found is None:
            found = self._statuses[key] = month_status(
                self._profile,
                days_overdue=key[0],
                state=state,
                settled_by=settled_by,
                days_overdue_before_settlement=key[3],
                payment_due=payment_due,
                balance_minor=0 if zero else 1,
            )
        return found

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
        submission_id = new_id("bsub")
        rejected: list[LineOutcome] = []
        warnings: list[LineOutcome] = []
        records: list[Record] = []
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            text = ""
            rejected.append(LineOutcome(0, "", "not_utf8", "the file is not UTF-8 text"))
        numbered = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
        lines = len(numbered)
        for number, line, data in _decode_lines(numbered):
            try:
                records.append(parse_record(line, number) if data is _UNPARSED else parse_object(data, number))
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
                warning = self._apply_one(
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
            found.update(row[0] for row in conn.exec_driver_sql(sql, (institution_id, *chunk)))
        return found

    def _load_accounts(self, conn: Connection, institution_id: str, refs: set[str]) -> dict[str, _Account]:
        accounts: dict[str, _Account] = {}
        for chunk in chunks(sorted(refs)):
            for row in select_in(conn, bureau_account, "institution_id", institution_id, "account_ref", chunk):
                accounts[row["account_ref"]] = _Account(row, is_new=False)
        return accounts

    def _load_months(
        self, conn: Connection, accounts: dict[str, _Account], records: list[Record]
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
                row[_STORED] = True
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

    def _apply_one(
        self,
        record: Record,
        institution_id: str,
        accounts: dict[str, _Account],
        months: dict[tuple[str, int], dict[str, Any]],
        files: dict[str, str],
        new_files: dict[str, dict[str, Any]],
        touched: set[tuple[str, int]],
        resolved: list[tuple[str, str]],
        now: datetime,
        today: date,
    ) -> tuple[str, str] | None:
        kind = record.type
        if kind is RecordType.ACCOUNT_OPENED:
            if record.account_ref in accounts:
                raise RecordError("account_exists", f"account {record.account_ref} was opened before")
            assert record.person is not None
            index = blind_index(self._key, record.person.id_number)
            file_id = files.get(index)
            if file_id is None:
                file_id = new_id("bfile")
                files[index] = file_id
                new_files[index] = {
                    "id": file_id,
                    "blind_index": index,
                    "name": record.person.name,
                    "id_masked": mask_id_number(record.person.id_number),
                    "created_at": now,
                }
            accounts[record.account_ref] = _Account(
                {
                    "id": new_id("bacct"),
                    "institution_id": institution_id,
                    "account_ref": record.account_ref,
                    "file_id": file_id,
                    "account_type": record.account_type,
                    "currency": record.currency,
                    "amount": record.amount,
                    "open_date": record.day,
                    "term_months": record.term_months,
                    "due_schedule": record.due_schedule,
                    "state": AccountState.OPEN.value,
                    "settled_by": SettledBy.BORROWER.value,
                    "balance": record.amount,
                    "amount_overdue": 0,
                    "days_overdue": 0,
                    "as_of": record.day,
                    "account_status": self._opening.account_status,
                    "rating": self._opening.payment_rating,
                    "codes": "",
                    "first_negative_on": None,
                    "notice_on": None,
                    "closed_on": None,
                    "removed_on": None,
                    "suppressed": False,
                },
                is_new=True,
            )
            return None

        account = accounts.get(record.account_ref)
        if account is None:
            raise RecordError("unknown_account", f"no account {record.account_ref}: report account_opened first")
        if record.day < account.open_date:
            raise RecordError("before_open", "the record is dated before the account opened")
        if kind is RecordType.NEGATIVE_NOTICE:
            if account.notice_on is None or record.day < account.notice_on:
                account.notice_on = record.day
                account.dirty = True
            return None
        if kind is RecordType.CORRECTION:
            self._correct(record, account, months, touched, resolved)
            return None
        if account.state is AccountState.SETTLED:
            raise RecordError("account_closed", f"account {record.account_ref} is settled; send a correction instead")

        previous_days = account.days_overdue
        state: AccountState = account.state
        settled_by = account.settled_by
        days = previous_days
        balance = account.balance
        overdue = account.amount_overdue
        payment_due = True
        first_overdue: date | None = None
        if kind is RecordType.STATUS:
            days = record.days_overdue or 0
            balance = record.balance if record.balance is not None else balance
            overdue = record.amount_overdue
            payment_due = record.payment_due
            first_overdue = record.first_delinquency_date
            if record.in_collection:
                state = AccountState.COLLECTION
            elif state is AccountState.COLLECTION and days == 0:
                state = AccountState.OPEN
        elif kind is RecordType.REPAYMENT:
            balance = record.balance if record.balance is not None else max(0, balance - record.amount)
            if record.days_overdue is not None:
                days = record.days_overdue
                overdue = record.amount_overdue
        elif kind is RecordType.SETTLEMENT:
            state, settled_by, balance, overdue, days = AccountState.SETTLED, record.settled_by, 0, 0, 0
        elif kind is RecordType.CHARGE_OFF:
            state = AccountState.CHARGED_OFF
            balance = record.amount or balance

        status = self._status(days, state, settled_by, previous_days, payment_due, balance == 0)
        if record.status_code and record.status_code not in (status.code, status.account_status):
            raise RecordError(
                "status_code_mismatch",
                f"status_code {record.status_code} does not match {days} days overdue ({status.code}/{status.account_status})",
            )
        warning: tuple[str, str] | None = None
        if status.is_negative and account.first_negative_on is None:
            check = check_negative_notice(
                self._profile, first_negative_on=record.day, notice_on=account.notice_on, today=today
            )
            if check is NoticeCheck.MISSING_BEFORE:
                raise RecordError(
                    "negative_notice_missing",
                    "report a negative_notice dated on or before the first negative record (CN-11)",
                )
            if check is not NoticeCheck.OK:
                warning = (
                    "negative_notice_due",
                    f"tell the borrower within {self._profile.negative_notice_days} days and report the notice (CR-8)",
                )
            account.first_negative_on = record.day

        month = record.day.year * 100 + record.day.month
        key = (account.id, month)
        existing = months.get(key)
        cured = record.day if previous_days > 0 and days == 0 else None
        if days > 0:
            first_overdue = first_overdue or record.day - timedelta(days=days - 1)
        row: dict[str, Any] = {
            "account_id": account.id,
            "month": month,
            "code": status.code,
            "worst": status.code,
            "account_status": status.account_status,
            "rating": status.payment_rating,
            "days_overdue": days,
            "balance": balance,
            "amount_overdue": overdue,
            "as_of": record.day,
            "first_overdue_on": first_overdue,
            "cured_on": cured,
            "suppressed": False,
        }
        if existing is not None:
            # A month keeps the worst status reported in it, so that an overdue
            # repaid before month-end is not lost; closing codes always win.
            closing = state in (AccountState.SETTLED, AccountState.CHARGED_OFF)
            worse = self._scheme.severity.get(existing["code"], 0) > self._scheme.severity.get(status.code, 0)
            if worse and not closing:
                row.update(
                    code=existing["code"],
                    account_status=existing["account_status"],
                    rating=existing["rating"],
                    first_overdue_on=existing["first_overdue_on"] or first_overdue,
                )
            if self._scheme.severity.get(existing["worst"], 0) > self._scheme.severity.get(status.code, 0):
                row["worst"] = existing["worst"]
            row["cured_on"] = cured or existing["cured_on"]
            row["suppressed"] = existing["suppressed"]
            row[_STORED] = existing.get(_STORED, False)
        months[key] = row
        touched.add(key)
        account.set_code(month, row["code"], self._scheme.unknown)
        if record.day >= account.as_of:
            account.account_status, account.rating = row["account_status"], row["rating"]

        account.state, account.settled_by = state, settled_by
        account.balance, account.amount_overdue, account.days_overdue = balance, overdue, days
        account.as_of = max(account.as_of, record.day)
        if state in (AccountState.SETTLED, AccountState.CHARGED_OFF) and account.closed_on is None:
            account.closed_on = record.day
        account.dirty = True
        return warning

    def _correct(
        self,
        record: Record,
        account: _Account,
        months: dict[tuple[str, int], dict[str, Any]],
        touched: set[tuple[str, int]],
        resolved: list[tuple[str, str]],
    ) -> None:
        """A correction replaces the month it names (it may answer a dispute, CN-15)."""
        assert record.month is not None and record.days_overdue is not None and record.balance is not None
        index = (record.month // 100) * 12 + record.month % 100 - 1
        if index < month_index(account.open_date):
            raise RecordError("before_open", "the corrected month is before the account opened")
        status = month_status(
            self._profile,
            days_overdue=record.days_overdue,
            state=AccountState.OPEN,
            balance_minor=record.balance,
        )
        as_of = min(record.day, _month_end(index))
        days = record.days_overdue
        months[(account.id, record.month)] = {
            "account_id": account.id,
            "month": record.month,
            "code": status.code,
            "worst": status.code,
            "account_status": status.account_status,
            "rating": status.payment_rating,
            "days_overdue": days,
            "balance": record.balance,
            "amount_overdue": record.amount_overdue,
            "as_of": as_of,
            "first_overdue_on": as_of - timedelta(days=days - 1) if days > 0 else None,
            "cured_on": None,
            "suppressed": False,
            _STORED: True,
        }
        touched.add((account.id, record.month))
        account.set_code(record.month, status.code, self._scheme.unknown)
        account.dirty = True
        if record.dispute_id:
            resolved.append((record.dispute_id, account.id))

    # -- writing ---------------------------------------------------------------------------

    def _write(
        self,
        conn: Connection,
        institution_id: str,
        submission_id: str,
        applied: list[Record],
        accounts: dict[str, _Account],
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
        changed_months = sorted(key for key in touched if months[key].get(_STORED))
        new_months = sorted(key for key in touched if not months[key].get(_STORED))
        if changed_months:
            bulk_insert(conn, bureau_month, [months[key] for key in changed_months], conflict=("account_id", "month"))
        if new_months:
            bulk_insert(conn, bureau_month, [months[key] for key in new_months])
        if applied:
            bulk_insert(
                conn,
                bureau_record,
                [
                    {
                        "institution_id": institution_id,
                        "record_id": r.record_id,
                        "submission_id": submission_id,
                        "line": r.line,
                    }
                    for r in applied
                ],
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


_STORED = "_stored"

_UNPARSED = object()


def _decode_lines(numbered: list[tuple[int, str]]) -> list[tuple[int, str, Any]]:
    """Decode every line with one json.loads when the file is clean (a quarter faster), else line by line."""
    if numbered and all(line.lstrip().startswith("{") and line.rstrip().endswith("}") for _, line in numbered):
        try:
            values = json.loads("[" + ",".join(line for _, line in numbered) + "]")
        except ValueError:
            values = None
        if isinstance(values, list) and len(values) == len(numbered):
            return [(n, line, value) for (n, line), value in zip(numbered, values, strict=True)]
    return [(n, line, _UNPARSED) for n, line in numbered]


def _month_end(index: int) -> date:
    year, month = index // 12, index % 12 + 1
    following = date(year + (month == 12), month % 12 + 1, 1)
    return following - timedelta(days=1)


def _record_id_of(line: str) -> str:
    try:
        data = json.loads(line)
    except ValueError:
        return ""
    value = data.get("record_id") if isinstance(data, dict) else None
    return value if isinstance(value, str) else ""


def _fields(ack: Ack) -> dict[str, Any]:
    return {name: getattr(ack, name) for name in Ack.__dataclass_fields__}
