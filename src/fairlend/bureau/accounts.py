"""Applying one reporting record to an account the bureau holds (the rules of intake).

`RecordApplier.apply_one` checks a record against the account's state in
memory and changes it: the month's status code (CN-17 / Metro 2), the worst
code of the month, when an overdue began and ended, the notice rule for the
first negative record (CN-11, CR-8). Intake loads the accounts before and
writes them after, in bulk.
"""

from __future__ import annotations

import hmac
from datetime import date, datetime, timedelta
from typing import Any

from fairlend.bureau.documents import mask_id_number
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
from fairlend.bureau.records import Record, RecordError, RecordType
from fairlend.ids import new_id
from fairlend.jurisdiction.model import BureauProfile


def blind_index(key: bytes, id_number: str) -> str:
    """HMAC of the normalised ID number with the bureau's own key: a lookup key that reveals nothing."""
    # hmac.digest is the one-shot C path: the same bytes as hmac.new(...).hexdigest(), at a fraction of the cost.
    return hmac.digest(key, id_number.strip().upper().encode(), "sha256").hex()


_STATES = {s.value: s for s in AccountState}
_SETTLED_BY = {s.value: s for s in SettledBy}

# Marks a month row that may exist in storage (read from it, or named by a correction).
STORED = "_stored"


class HeldAccount:
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
        # Dict lookups: calling the enum classes was the slowest part of loading an account.
        self.state = _STATES[row["state"]]
        self.settled_by = _SETTLED_BY[row["settled_by"]]
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


class RecordApplier:
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

    def apply_one(
        self,
        record: Record,
        institution_id: str,
        accounts: dict[str, HeldAccount],
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
            accounts[record.account_ref] = HeldAccount(
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

        day = record.day
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
                self._profile, first_negative_on=day, notice_on=account.notice_on, today=today
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
            account.first_negative_on = day

        month = day.year * 100 + day.month
        key = (account.id, month)
        existing = months.get(key)
        cured = day if previous_days > 0 and days == 0 else None
        if days > 0:
            first_overdue = first_overdue or day - timedelta(days=days - 1)
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
            "as_of": day,
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
            row[STORED] = existing.get(STORED, False)
        months[key] = row
        touched.add(key)
        account.set_code(month, row["code"], self._scheme.unknown)
        if day >= account.as_of:
            account.account_status, account.rating = row["account_status"], row["rating"]

        account.state, account.settled_by = state, settled_by
        account.balance, account.amount_overdue, account.days_overdue = balance, overdue, days
        account.as_of = max(account.as_of, day)
        if state in (AccountState.SETTLED, AccountState.CHARGED_OFF) and account.closed_on is None:
            account.closed_on = day
        account.dirty = True
        return warning

    def _correct(
        self,
        record: Record,
        account: HeldAccount,
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
            STORED: True,
        }
        touched.add((account.id, record.month))
        account.set_code(record.month, status.code, self._scheme.unknown)
        account.dirty = True
        if record.dispute_id:
            resolved.append((record.dispute_id, account.id))

    # -- writing ---------------------------------------------------------------------------


def _month_end(index: int) -> date:
    year, month = index // 12, index % 12 + 1
    following = date(year + (month == 12), month % 12 + 1, 1)
    return following - timedelta(days=1)
