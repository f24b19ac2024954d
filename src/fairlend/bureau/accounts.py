"""Applying one reporting record to an account the bureau holds (the rules of intake).

`RecordApplier.apply_one` checks a record against the account's state in
memory and changes it: the month's status code (CN-17 / Metro 2), the worst
code of the month, when an overdue began and ended, the notice rule for the
first negative record (CN-11, CR-8). Intake loads the accounts before and
writes them after, in bulk (the accounts as held, and their column layouts: held.py).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from fairlend.bureau.documents import mask_id_number, mask_name
from fairlend.bureau.held import (
    _CODE,
    _CURED,
    _FIRST_OVERDUE,
    _RATING,
    _STATUS,
    _SUPPRESSED,
    _WORST,
    Batch,
    HeldAccount,
    blind_index,
)
from fairlend.bureau.model import AccountState, SettledBy, month_index, month_status, scheme_for
from fairlend.bureau.negatives import NoticeCheck, check_negative_notice
from fairlend.bureau.records import PlanEvent, Record, RecordError, RecordType
from fairlend.ids import new_id
from fairlend.jurisdiction.model import BureauProfile

_SETTLED, _CHARGED_OFF = AccountState.SETTLED, AccountState.CHARGED_OFF

# A month's status as intake uses it: code, account status, rating, negative?, severity of the code.
_Status = tuple[str, str, str, bool, int]


class RecordApplier:
    def __init__(self, profile: BureauProfile, blind_key: bytes) -> None:
        self._profile = profile
        self._key = blind_key
        self._scheme = scheme_for(profile)
        self._opening = month_status(profile, days_overdue=0, state=AccountState.OPEN)
        self._severity = self._scheme.severity
        self._unknown = self._scheme.unknown
        self._statuses: dict[tuple[Any, ...], _Status] = {}
        self._codes = profile.modification_codes

    def _status(
        self, days: int, state: AccountState, settled_by: SettledBy, before: int, payment_due: bool, zero: bool
    ) -> _Status:
        """`month_status` with its negativity and severity, memoised: a file repeats a few combinations."""
        key = (min(days, 400), state, settled_by, min(before, 400), payment_due, zero)  # as apply_one looks it up
        found = self._statuses.get(key)
        if found is None:
            status = month_status(
                self._profile,
                days_overdue=key[0],
                state=state,
                settled_by=settled_by,
                days_overdue_before_settlement=key[3],
                payment_due=payment_due,
                balance_minor=0 if zero else 1,
            )
            found = self._statuses[key] = (
                status.code,
                status.account_status,
                status.payment_rating,
                status.is_negative,
                self._scheme.severity.get(status.code, 0),
            )
        return found

    def apply_one(self, record: Record, batch: Batch, now: datetime, today: date) -> tuple[str, str] | None:
        """Apply one record to the batch's accounts and months; a warning, or RecordError with the reason."""
        kind = record.type
        accounts = batch.accounts
        if kind is RecordType.ACCOUNT_OPENED:
            if record.account_ref in accounts:
                raise RecordError("account_exists", f"account {record.account_ref} was opened before")
            assert record.person is not None
            index = blind_index(self._key, record.person.id_number)
            file_id = batch.files.get(index)
            if file_id is None:
                file_id = new_id("bfile")
                batch.files[index] = file_id
                batch.new_files[index] = {
                    "id": file_id,
                    "blind_index": index,
                    "name_masked": mask_name(record.person.name),
                    "id_masked": mask_id_number(record.person.id_number),
                    "created_at": now,
                }
            accounts[record.account_ref] = HeldAccount(
                {
                    "id": new_id("bacct"),
                    "institution_id": batch.institution_id,
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
                }
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
            self._correct(record, account, batch)
            return None
        if kind is RecordType.MODIFICATION:
            self._modify(record, account)
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
            # A plan's code describes a plan in force; a settlement for less names itself (Metro 2 AU).
            account.special_comment = self._codes.settled_for_less if record.for_less else ""
        elif kind is RecordType.CHARGE_OFF:
            state = AccountState.CHARGED_OFF
            balance = record.amount or balance

        # The memo's key, inline: a method call per record cost more than the lookup.
        capped, before = (days if days < 400 else 400), (previous_days if previous_days < 400 else 400)
        found = self._statuses.get((capped, state, settled_by, before, payment_due, balance == 0))
        code, account_status, rating, negative, reported = found or self._status(
            days, state, settled_by, previous_days, payment_due, balance == 0
        )
        if record.status_code and record.status_code not in (code, account_status):
            raise RecordError(
                "status_code_mismatch",
                f"status_code {record.status_code} does not match {days} days overdue ({code}/{account_status})",
            )
        warning: tuple[str, str] | None = None
        if negative and account.first_negative_on is None:
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
        worst = code
        dates = batch.dates
        stored_day = dates[day]
        cured = stored_day if previous_days > 0 and days == 0 else None
        if days > 0:
            first_overdue = first_overdue or day - timedelta(days=days - 1)
        first_overdue_on = None if first_overdue is None else dates[first_overdue]
        suppressed = False
        months = batch.months
        existing = months.get(key)
        if existing is not None:
            # A month keeps the worst status reported in it, so that an overdue
            # repaid before month-end is not lost; closing codes always win.
            severity = self._severity
            closing = state is _SETTLED or state is _CHARGED_OFF
            if not closing and severity.get(existing[_CODE], 0) > reported:
                code, account_status, rating = existing[_CODE], existing[_STATUS], existing[_RATING]
                first_overdue_on = existing[_FIRST_OVERDUE] or first_overdue_on
            if severity.get(existing[_WORST], 0) > reported:
                worst = existing[_WORST]
            cured = cured or existing[_CURED]
            suppressed = existing[_SUPPRESSED]
        months[key] = (
            account.id,
            month,
            code,
            worst,
            account_status,
            rating,
            days,
            balance,
            overdue,
            stored_day,
            first_overdue_on,
            cured,
            suppressed,
        )
        batch.touched.add(key)
        account.set_code(month, code, self._unknown)
        if day >= account.as_of:
            account.account_status, account.rating = account_status, rating

        account.state, account.settled_by = state, settled_by
        account.balance, account.amount_overdue, account.days_overdue = balance, overdue, days
        if day > account.as_of:
            account.as_of = day
        if (state is _SETTLED or state is _CHARGED_OFF) and account.closed_on is None:
            account.closed_on = day
        account.dirty = True
        return warning

    def _modify(self, record: Record, account: HeldAccount) -> None:
        """A hardship plan changed the account's terms, or ended: the profile's code shows while it governs.

        The status code of the month is the status records' business (a plan that is kept reports no new
        delinquency; a re-age reports the account current); this record only names the plan.
        """
        closed = account.state is _SETTLED or account.state is _CHARGED_OFF
        event = record.plan_event
        if event is PlanEvent.STARTED:
            if closed:
                raise RecordError("account_closed", f"account {record.account_ref} is closed: no plan can start")
            account.special_comment = self._codes.for_kind(record.kind) or ""
            account.modified_on = record.day
            account.dirty = True
        elif event is PlanEvent.BROKEN and not closed:
            account.special_comment = ""
            account.dirty = True
        # REAGED and COMPLETED: facts the status records carry; a plan completed by its settlement is closed.

    def _correct(self, record: Record, account: HeldAccount, batch: Batch) -> None:
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
        key = (account.id, record.month)
        dates = batch.dates
        batch.months[key] = (
            account.id,
            record.month,
            status.code,
            status.code,
            status.account_status,
            status.payment_rating,
            days,
            record.balance,
            record.amount_overdue,
            dates[as_of],
            dates[as_of - timedelta(days=days - 1)] if days > 0 else None,
            None,
            False,
        )
        # The month was not read (only months the file's other records name are): it may be stored.
        batch.stored.add(key)
        batch.touched.add(key)
        account.set_code(record.month, status.code, self._unknown)
        account.dirty = True
        if record.dispute_id:
            batch.resolved.append((record.dispute_id, account.id))


def _month_end(index: int) -> date:
    year, month = index // 12, index % 12 + 1
    following = date(year + (month == 12), month % 12 + 1, 1)
    return following - timedelta(days=1)
