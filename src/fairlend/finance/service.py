"""`FinanceService`: statements, classification, provisions (and, in their modules, close and export).

Finance reads the ledger (the journal by period, `ledger.reports`), lending's
published view of the active book (`lending.exposures`) and lending's events;
it writes its own tables and the allowance's journal entries. Nothing imports
it but bootstrap and the edges (API, web, CLI).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from fairlend.db.uow import UnitOfWork, UnitOfWorkFactory
from fairlend.errors import NotFound
from fairlend.finance.classification import Classifier
from fairlend.finance.closing import PeriodClose
from fairlend.finance.credit_loss import GradeRisk
from fairlend.finance.export import FinanceExports
from fairlend.finance.model import Period
from fairlend.finance.non_accrual import NonAccrual
from fairlend.finance.provisions import Provisions, SegmentResult
from fairlend.finance.statements import FinancialStatements
from fairlend.finance.tables import (
    finance_class_change,
    finance_provision_loan,
    finance_provision_segment,
)
from fairlend.finance.uses import AllowanceUses
from fairlend.jurisdiction.model import Profile
from fairlend.ledger.service import Ledger


@dataclass(frozen=True, slots=True)
class ClassChange:
    loan_id: str
    business_date: date
    from_class: str
    to_class: str
    days_past_due: int
    restructured: bool


@dataclass(frozen=True, slots=True)
class SegmentView:
    """A segment's provision at a month-end: its loans, exposure and the allowance's roll-forward."""

    month_end: date
    currency: str
    segment: str
    loans: int
    ead: int
    opening: int
    charge: int
    write_offs: int
    recoveries: int
    closing: int
    entry_id: str


@dataclass(frozen=True, slots=True)
class LoanProvision:
    """Why one loan carries its allowance: its class, grade, PD, LGD, exposure."""

    loan_id: str
    month_end: date
    currency: str
    class_code: str
    grade: str
    days_past_due: int
    remaining_months: int
    pd_e6: int
    lgd_e4: int
    rate_e8: int
    ead: int
    ecl: int


class FinanceService:
    def __init__(self, uow: UnitOfWorkFactory, ledger: Ledger, profile: Profile, grades: Sequence[GradeRisk]) -> None:
        self._uow = uow
        self.profile = profile
        self.finance = profile.finance
        self.grades = tuple(grades)
        partners = frozenset(p.id for p in profile.marketplace.funding_partners)
        self.statements = FinancialStatements(uow, partners)
        self.classifier = Classifier(profile.finance)
        self.provisions = Provisions(profile.finance, self.grades, ledger)
        self.uses = AllowanceUses(profile.finance.classes[0].code)
        self.non_accrual = NonAccrual(profile.finance, ledger)
        self.closing = PeriodClose(uow, ledger, self.statements, self.provisions)
        self.exports = FinanceExports(uow, self.statements)

    # -- month-end (end-of-day's step; the close runs it for a month it missed) ------------------

    def end_of_day(self, uow: UnitOfWork, day: date) -> int:
        """Classify the book; on a month's last day, provision it. Inside end-of-day's transaction."""
        count = self.classifier.run(uow, day)
        count += self.non_accrual.run(uow, day)
        if (day + timedelta(days=1)).day == 1:
            count += len(self.provisions.run(uow, day))
        return count

    def provision_month(self, month_end: date) -> list[SegmentResult]:
        with self._uow() as uow:
            results = self.provisions.run(uow, month_end)
            uow.commit()
        return results

    # -- reading ------------------------------------------------------------------------------

    def class_counts(self, as_of: date | None = None) -> dict[tuple[str, str], int]:
        """(currency, class) -> loans stored in a class other than the first, as of now."""
        c = finance_class_change.c
        with self._uow(read_only=True) as uow:
            rows = uow.conn.execute(
                select(c.currency, c.to_class, func.count()).where(c.latest == 1).group_by(c.currency, c.to_class)
            )
            return {(cur, code): int(n) for cur, code, n in rows}

    def changes(self, period: Period, *, loan_id: str | None = None, limit: int = 500) -> list[ClassChange]:
        c = finance_class_change.c
        query = (
            select(c.loan_id, c.business_date, c.from_class, c.to_class, c.dpd, c.restructured)
            .where(c.business_date >= period.start, c.business_date <= period.end)
            .order_by(c.business_date, c.loan_id)
            .limit(limit)
        )
        if loan_id is not None:
            query = query.where(c.loan_id == loan_id)
        with self._uow(read_only=True) as uow:
            return [ClassChange(r[0], r[1], r[2], r[3], int(r[4]), bool(r[5])) for r in uow.conn.execute(query)]

    def segments(self, month_end: date) -> list[SegmentView]:
        s = finance_provision_segment.c
        with self._uow(read_only=True) as uow:
            rows = uow.conn.execute(
                select(finance_provision_segment).where(s.month_end == month_end).order_by(s.currency, s.segment)
            ).all()
        order = {code: i for i, code in enumerate(self.finance.class_codes())}
        views = [
            SegmentView(
                r.month_end,
                r.currency,
                r.segment,
                r.loans,
                r.ead,
                r.opening,
                r.charge,
                r.write_offs,
                r.recoveries,
                r.closing,
                r.entry_id,
            )
            for r in rows
        ]
        return sorted(views, key=lambda v: (v.currency, order.get(v.segment, 99)))

    def provisioned_months(self) -> list[date]:
        s = finance_provision_segment.c
        with self._uow(read_only=True) as uow:
            return [d for (d,) in uow.conn.execute(select(s.month_end).distinct().order_by(s.month_end.desc()))]

    def loan_provisions(
        self, month_end: date, *, segment: str | None = None, loan_id: str | None = None, limit: int = 200
    ) -> list[LoanProvision]:
        p = finance_provision_loan.c
        query = select(finance_provision_loan).where(p.month_end == month_end).order_by(p.ecl.desc(), p.loan_id)
        if segment is not None:
            query = query.where(p.class_code == segment)
        if loan_id is not None:
            query = query.where(p.loan_id == loan_id)
        with self._uow(read_only=True) as uow:
            rows = uow.conn.execute(query.limit(limit)).all()
        if loan_id is not None and not rows:
            raise NotFound("provision_not_found", f"no provision for loan {loan_id} at {month_end}")
        return [
            LoanProvision(
                r.loan_id,
                r.month_end,
                r.currency,
                r.class_code,
                r.grade,
                r.dpd,
                r.remaining_months,
                r.pd_e6,
                r.lgd_e4,
                r.rate_e8,
                r.ead,
                r.ecl,
            )
            for r in rows
        ]
