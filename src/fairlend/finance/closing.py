"""The period close: month-end steps, statements, the lock; reopening by two operators; corrections.

`close(month)` is one transaction: it checks the month is over (end-of-day
has closed its last day) and follows the last closed month, provisions it if
end-of-day has not (the month-end steps are idempotent), builds the
statements under the same transaction, refuses to lock books that do not
balance, then locks the journal through the month's last day
(`ledger.periods`: from then on the database refuses any entry dated in it,
code `period_closed`), sums the month's postings once for the statements that
will read it (`ledger.summaries`) and records the figures. Closing a closed month changes
nothing and answers what was recorded. Reopening the latest closed month
takes a request by one operator and the approval of another. A correction of
a closed month is a reversing entry dated in the open period, whose
reference names the original.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import insert, select, update

from fairlend.db.uow import UnitOfWork, UnitOfWorkFactory
from fairlend.errors import Conflict, Forbidden, Invalid, NotFound
from fairlend.finance.model import Period, parse_month
from fairlend.finance.provisions import Provisions
from fairlend.finance.statements import FinancialStatements, Statements
from fairlend.finance.tables import finance_period_close, finance_reopen_request
from fairlend.ids import new_id
from fairlend.ledger import periods, reports, summaries
from fairlend.ledger.model import Posting, entry
from fairlend.ledger.service import Ledger

CORRECTION_KIND = "finance_correction"


@dataclass(frozen=True, slots=True)
class ClosedMonth:
    month: str
    month_end: date
    status: str  # closed | reopened
    closed_by: str
    summary: dict[str, dict[str, int]]
    reopened_by: str = ""


@dataclass(frozen=True, slots=True)
class CloseResult:
    month: ClosedMonth
    statements: list[Statements]
    already_closed: bool


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    code: str  # eod_done, provisioned, balanced, locked
    done: bool


@dataclass(frozen=True, slots=True)
class ReopenRequest:
    id: str
    month: str
    requested_by: str
    reason: str
    status: str
    decided_by: str


def summary_of(statements: list[Statements]) -> dict[str, dict[str, int]]:
    return {
        s.currency: {
            "total_assets": s.balance_sheet.total_assets,
            "total_liabilities": s.balance_sheet.total_liabilities,
            "total_equity": s.balance_sheet.total_equity,
            "net_income": s.income.net_income,
            "closing_cash": s.cash_flow.closing,
            "period_debits": s.trial_balance.total_debits,
        }
        for s in statements
    }


class PeriodClose:
    def __init__(
        self, uow: UnitOfWorkFactory, ledger: Ledger, statements: FinancialStatements, provisions: Provisions
    ) -> None:
        self._uow = uow
        self._ledger = ledger
        self._statements = statements
        self._provisions = provisions

    # -- reading --------------------------------------------------------------------------------

    def months(self) -> list[ClosedMonth]:
        with self._uow(read_only=True) as uow:
            rows = uow.conn.execute(select(finance_period_close).order_by(finance_period_close.c.month.desc())).all()
        return [_closed(r) for r in rows]

    def closed_through(self) -> date | None:
        with self._uow(read_only=True) as uow:
            return periods.closed_through(uow.conn)

    def checklist(self, month: str) -> list[ChecklistItem]:
        period = parse_month(month)
        with self._uow(read_only=True) as uow:
            today = uow.clock.business_date()
            lock = periods.closed_through(uow.conn)
            provisioned = self._provisions.is_done(uow, period.end)
            balanced = all(
                s.trial_balance.balanced and s.balance_sheet.balanced for s in self._statements.build(uow.conn, period)
            )
        return [
            ChecklistItem("eod_done", today > period.end),
            ChecklistItem("provisioned", provisioned),
            ChecklistItem("balanced", balanced),
            ChecklistItem("locked", lock is not None and lock >= period.end),
        ]

    def requests(self) -> list[ReopenRequest]:
        r = finance_reopen_request.c
        with self._uow(read_only=True) as uow:
            rows = uow.conn.execute(select(finance_reopen_request).order_by(r.requested_at.desc())).all()
        return [ReopenRequest(x.id, x.month, x.requested_by, x.reason, x.status, x.decided_by) for x in rows]

    # -- closing --------------------------------------------------------------------------------

    def close(self, month: str, operator_id: str) -> CloseResult:
        period = parse_month(month)
        with self._uow() as uow:
            recorded = _row(uow, period.label)
            lock = periods.closed_through(uow.conn)
            if recorded is not None and recorded.status == "closed" and lock is not None and lock >= period.end:
                return CloseResult(_closed(recorded), self._statements.build(uow.conn, period), True)
            today = uow.clock.business_date()
            if today <= period.end:
                raise Conflict("close_month_not_over", f"end-of-day has not closed {period.end} yet (today is {today})")
            if lock is not None and lock < period.start - timedelta(days=1):
                raise Conflict("close_previous_open", f"close the months after {lock} first, in order")
            if lock is not None and lock >= period.end:
                raise Conflict("close_already_locked", f"the journal is closed through {lock}")
            self._provisions.run(uow, period.end)
            statements = self._statements.build(uow.conn, period)
            unbalanced = [s.currency for s in statements if not (s.trial_balance.balanced and s.balance_sheet.balanced)]
            if unbalanced:
                raise Conflict("books_unbalanced", f"the {', '.join(unbalanced)} books do not balance; nothing locked")
            periods.lock_through(uow.conn, period.end)
            summaries.summarize(uow.conn, period.start, period.end)
            values: dict[str, Any] = {
                "month_end": period.end,
                "status": "closed",
                "closed_by": operator_id,
                "closed_at": uow.clock.now(),
                "summary": summary_of(statements),
                "reopened_by": "",
            }
            if recorded is None:
                uow.conn.execute(insert(finance_period_close).values(month=period.label, **values))
            else:
                uow.conn.execute(
                    update(finance_period_close).where(finance_period_close.c.month == period.label).values(**values)
                )
            result = CloseResult(_closed(_row(uow, period.label)), statements, False)
            uow.commit()
        return result

    def request_reopen(self, month: str, operator_id: str, reason: str) -> ReopenRequest:
        period = parse_month(month)
        if not reason.strip():
            raise Invalid("reason_required", "say why the month must be reopened")
        with self._uow() as uow:
            self._latest_closed(uow, period)
            pending = uow.conn.execute(
                select(finance_reopen_request.c.id).where(
                    finance_reopen_request.c.month == period.label, finance_reopen_request.c.status == "pending"
                )
            ).first()
            if pending is not None:
                raise Conflict("reopen_pending", f"a request to reopen {period.label} is waiting already")
            request = ReopenRequest(new_id("rop"), period.label, operator_id, reason.strip()[:200], "pending", "")
            uow.conn.execute(
                insert(finance_reopen_request).values(
                    id=request.id,
                    month=request.month,
                    requested_by=operator_id,
                    reason=request.reason,
                    requested_at=uow.clock.now(),
                    status="pending",
                )
            )
            uow.commit()
        return request

    def decide_reopen(self, request_id: str, operator_id: str, *, approve: bool) -> ReopenRequest:
        with self._uow() as uow:
            row = uow.conn.execute(
                select(finance_reopen_request).where(finance_reopen_request.c.id == request_id)
            ).first()
            if row is None:
                raise NotFound("reopen_request_not_found", f"no request {request_id}")
            if row.status != "pending":
                raise Conflict("reopen_decided", f"request {request_id} is {row.status} already")
            if row.requested_by == operator_id:
                raise Forbidden("four_eyes_required", "another operator must decide a request to reopen a month")
            period = parse_month(row.month)
            if approve:
                self._latest_closed(uow, period)
                earlier = period.start - timedelta(days=1)
                previous = _row(uow, Period(earlier.replace(day=1), earlier).label)
                closed_before = previous is not None and previous.status == "closed"
                periods.lock_through(uow.conn, earlier if closed_before else None)
                summaries.drop_after(uow.conn, earlier if closed_before else None)
                uow.conn.execute(
                    update(finance_period_close)
                    .where(finance_period_close.c.month == period.label)
                    .values(status="reopened", reopened_by=f"{row.requested_by},{operator_id}")
                )
            status = "approved" if approve else "refused"
            uow.conn.execute(
                update(finance_reopen_request)
                .where(finance_reopen_request.c.id == request_id)
                .values(status=status, decided_by=operator_id, decided_at=uow.clock.now())
            )
            uow.commit()
        return ReopenRequest(row.id, row.month, row.requested_by, row.reason, status, operator_id)

    def _latest_closed(self, uow: UnitOfWork, period: Period) -> None:
        lock = periods.closed_through(uow.conn)
        if lock is None or lock < period.end:
            raise Conflict("month_not_closed", f"{period.label} is not closed")
        if lock != period.end:
            raise Conflict("reopen_not_latest", f"reopen the months after {period.label} first (closed through {lock})")

    # -- corrections ----------------------------------------------------------------------------

    def correct(self, entry_id: str, operator_id: str, reason: str) -> str:
        """Reverse an entry of a closed period in the open one; the reversal's reference names the original."""
        if not reason.strip():
            raise Invalid("reason_required", "say why the entry is corrected")
        with self._uow() as uow:
            original = reports.entry_of(uow.conn, entry_id)
            if original is None:
                raise NotFound("entry_not_found", f"no journal entry {entry_id}")
            today = uow.clock.business_date()
            reversal = entry(
                today,
                CORRECTION_KIND,
                *(Posting(p.account, -p.amount) for p in original.postings),
                reference=entry_id,
                description=f"reverses {original.kind} of {original.business_date}: {reason.strip()} ({operator_id})",
            )
            new = self._ledger.post(uow, reversal)
            uow.commit()
        return new


def _row(uow: UnitOfWork, month: str) -> Any:
    return uow.conn.execute(select(finance_period_close).where(finance_period_close.c.month == month)).first()


def _closed(row: Any) -> ClosedMonth:
    return ClosedMonth(row.month, row.month_end, row.status, row.closed_by, dict(row.summary), row.reopened_by)
