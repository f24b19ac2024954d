"""Provisions at month-end: ECL per loan in one INSERT ... SELECT, then one journal entry per segment.

A segment is (currency, class). Per loan, `model.loss_rate_e8` and
`model.ecl_minor` written as SQL: the grade stored on the loan, its
12-month PD (the comprehensive score's calibration) and LGD (the profile's
default by grade letter), 12-month or lifetime by class, 1 from the default
class; or the class's reference rate (FN-2). The rows stay as the
explanation of every figure.

Per segment, one entry moves the allowance (a contra-asset, owner = the
segment) from what it holds to what the month requires: the month's
write-offs taken out of it (debit allowance, credit credit loss: the
charge-off uses the allowance), its recoveries put back (debit
recovery-to-allowance, a contra of recovery income that lending's own
recovery income leaves untouched; credit allowance), and the provision charge or release for the rest
(provision expense). So opening + charge - write-offs + recoveries = closing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, and_, bindparam, case, delete, func, insert, literal, select

from fairlend.db.uow import UnitOfWork
from fairlend.finance.classification import current_class
from fairlend.finance.credit_loss import (
    OBSERVED_LGD_MIN_DEFAULTS,
    PD_SCALE,
    RATE_SCALE,
    GradeRisk,
    LossHistory,
    RollForward,
    lgd_e4,
    observed_lgd_e4,
    roll_forward,
)
from fairlend.finance.tables import (
    finance_allowance_use,
    finance_grade_risk,
    finance_provision_loan,
    finance_provision_segment,
)
from fairlend.jurisdiction.model import FinanceProfile, Measurement
from fairlend.ledger.model import AccountKey, AccountType, Posting, entry
from fairlend.ledger.reports import type_balances
from fairlend.ledger.service import Ledger
from fairlend.lending.exposures import active_exposures, loss_history
from fairlend.money import Money

PROVISION_KIND = "finance_provision"
_MONTH_END = bindparam("month_end", type_=finance_provision_loan.c.month_end.type)
_START = bindparam("start", type_=finance_provision_loan.c.month_end.type)


@dataclass(frozen=True, slots=True)
class SegmentResult:
    currency: str
    segment: str
    loans: int
    ead: int
    movement: RollForward
    entry_id: str


def _big(value: int) -> ColumnElement[Any]:
    # 64-bit from the start: PD x LGD (10^6 x 10^4) overflows PostgreSQL's 32-bit integer.
    return literal(value, BigInteger)


def _cap(value: ColumnElement[Any], cap: int) -> ColumnElement[Any]:
    return case((value > cap, _big(cap)), else_=value)


class Provisions:
    def __init__(
        self,
        finance: FinanceProfile,
        grades: Sequence[GradeRisk],
        ledger: Ledger,
        min_defaults: int = OBSERVED_LGD_MIN_DEFAULTS,
    ) -> None:
        self.finance = finance
        self._ledger = ledger
        self._min_defaults = min_defaults
        codes = finance.class_codes()
        e = active_exposures().subquery("e")
        current = current_class()
        # The grade stored on the loan at origination (lending/grades.py), its PD and LGD looked up in the
        # month's table (`_risks`, written first); a grade not known carries the worst's (`model.risk_of`).
        risk = finance_grade_risk
        worst = grades[-1]
        worst_lgd = lgd_e4(worst.grade, finance)
        self._risks: list[dict[str, Any]] = [
            {"grade": g.grade, "pd_e6": g.pd_e6, "lgd_e4": lgd_e4(g.grade, finance)} for g in grades
        ]
        self._risks.append({"grade": "", "pd_e6": worst.pd_e6, "lgd_e4": worst_lgd})
        self._worst_letter = worst.grade[:1]
        joined = e.outerjoin(
            current,
            and_(current.c.loan_id == e.c.loan_id, current.c.borrower_id == e.c.borrower_id, current.c.latest == 1),
        ).outerjoin(risk, and_(risk.c.month_end == _MONTH_END, risk.c.grade == e.c.grade))
        class_code = func.coalesce(current.c.to_class, literal(codes[0]))
        pd = func.coalesce(risk.c.pd_e6, _big(worst.pd_e6))
        lgd = func.coalesce(risk.c.lgd_e4, _big(worst_lgd))
        months = e.c.remaining_months
        rate: ColumnElement[Any]
        effective: ColumnElement[Any]
        if finance.measurement is Measurement.CATEGORY_RATES:
            rate = case(
                {c.code: _big(int(c.rate * RATE_SCALE)) for c in finance.classes},
                value=class_code,
                else_=_big(RATE_SCALE),
            )
        else:
            rank = case({code: literal(i) for i, code in enumerate(codes)}, value=class_code, else_=literal(0))
            twelve = case((months > 12, literal(12)), else_=months)
            lifetime = _cap(pd * months // 12, PD_SCALE)
            if finance.measurement is Measurement.IFRS9:
                effective = case((rank < codes.index(finance.lifetime_from), pd * twelve // 12), else_=lifetime)
            else:
                effective = lifetime
            pd_effective = case((rank >= codes.index(finance.default_from), _big(PD_SCALE)), else_=effective)
            rate = pd_effective * lgd // 100
        ecl = (e.c.ead * rate + _big(RATE_SCALE // 2)) // _big(RATE_SCALE)
        self._explain = insert(finance_provision_loan).from_select(
            [
                "borrower_id",
                "month_end",
                "loan_id",
                "currency",
                "class_code",
                "grade",
                "dpd",
                "remaining_months",
                "pd_e6",
                "lgd_e4",
                "rate_e8",
                "ead",
                "ecl",
            ],
            select(
                e.c.borrower_id,
                _MONTH_END,
                e.c.loan_id,
                e.c.currency,
                class_code,
                e.c.grade,
                e.c.dpd,
                months,
                pd,
                lgd,
                rate,
                e.c.ead,
                ecl,
            ).select_from(joined),
        )
        p = finance_provision_loan.c
        self._required = (
            select(p.currency, p.class_code, func.count(), func.sum(p.ead), func.sum(p.ecl))
            .where(p.month_end == _MONTH_END)
            .group_by(p.currency, p.class_code)
        )
        u = finance_allowance_use.c
        self._uses = (
            select(u.currency, u.segment, u.kind, func.sum(u.amount))
            .where(u.business_date >= _START, u.business_date <= _MONTH_END)
            .group_by(u.currency, u.segment, u.kind)
        )
        self._done = (
            select(func.count())
            .select_from(finance_provision_segment)
            .where(finance_provision_segment.c.month_end == _MONTH_END)
        )

    def risks(self, uow: UnitOfWork) -> list[dict[str, Any]]:
        """Each grade's PD and LGD for this month-end: the LGD observed on the letter's own charged-off loans
        once there are `min_defaults` of them, the profile's default until then (`observed_lgd_e4`)."""
        found = (
            LossHistory(str(r.letter or ""), int(r.defaults), int(r.charged_off or 0), int(r.recovered or 0))
            for r in uow.conn.execute(loss_history())
        )
        history = {h.letter: h for h in found}
        return [
            {
                **r,
                "lgd_e4": observed_lgd_e4(
                    int(r["lgd_e4"]), history.get(str(r["grade"])[:1] or self._worst_letter), self._min_defaults
                ),
            }
            for r in self._risks
        ]

    def is_done(self, uow: UnitOfWork, month_end: date) -> bool:
        return bool(uow.conn.execute(self._done, {"month_end": month_end}).scalar())

    def run(self, uow: UnitOfWork, month_end: date) -> list[SegmentResult]:
        """Provision the book at `month_end` (once: a month provisioned already is left alone)."""
        if self.is_done(uow, month_end):
            return []
        params = {"month_end": month_end, "start": month_end.replace(day=1)}
        uow.conn.execute(delete(finance_grade_risk).where(finance_grade_risk.c.month_end == month_end))
        uow.conn.execute(insert(finance_grade_risk), [{"month_end": month_end, **r} for r in self.risks(uow)])
        uow.conn.execute(self._explain, params)
        required: dict[tuple[str, str], tuple[int, int, int]] = {
            (cur, seg): (int(n), int(ead or 0), int(ecl or 0))
            for cur, seg, n, ead, ecl in uow.conn.execute(self._required, params)
        }
        uses: dict[tuple[str, str], dict[str, int]] = {}
        for cur, seg, kind, amount in uow.conn.execute(self._uses, params):
            uses.setdefault((cur, seg), {})[kind] = int(amount or 0)
        held = {
            (b.key.currency, b.key.owner_id): -b.closing
            for b in type_balances(uow.conn, AccountType.ALLOWANCE, month_end)
        }
        results = []
        for cur, seg in sorted(set(required) | set(uses) | {k for k, v in held.items() if v}):
            loans, ead, ecl = required.get((cur, seg), (0, 0, 0))
            used = uses.get((cur, seg), {})
            movement = roll_forward(held.get((cur, seg), 0), used.get("write_off", 0), used.get("recovery", 0), ecl)
            entry_id = self._post(uow, month_end, cur, seg, movement)
            uow.conn.execute(
                insert(finance_provision_segment).values(
                    month_end=month_end,
                    currency=cur,
                    segment=seg,
                    loans=loans,
                    ead=ead,
                    opening=movement.opening,
                    charge=movement.charge,
                    write_offs=movement.write_offs,
                    recoveries=movement.recoveries,
                    closing=movement.closing,
                    entry_id=entry_id,
                    created_at=uow.clock.now(),
                )
            )
            results.append(SegmentResult(cur, seg, loans, ead, movement, entry_id))
        return results

    def _post(self, uow: UnitOfWork, month_end: date, currency: str, segment: str, rf: RollForward) -> str:
        allowance = AccountKey(AccountType.ALLOWANCE, currency, segment)

        def money(minor: int) -> Money:
            return Money(minor, currency)

        postings: list[Posting] = []
        if rf.write_offs:
            postings += [
                Posting(allowance, money(rf.write_offs)),
                Posting(AccountKey(AccountType.CREDIT_LOSS, currency), money(-rf.write_offs)),
            ]
        if rf.recoveries:
            postings += [
                Posting(AccountKey(AccountType.RECOVERY_TO_ALLOWANCE, currency), money(rf.recoveries)),
                Posting(allowance, money(-rf.recoveries)),
            ]
        if rf.charge:
            postings += [
                Posting(AccountKey(AccountType.PROVISION_EXPENSE, currency), money(rf.charge)),
                Posting(allowance, money(-rf.charge)),
            ]
        if not postings:
            return ""
        return self._ledger.post(
            uow,
            entry(
                month_end,
                PROVISION_KIND,
                *postings,
                reference=f"provision:{month_end.isoformat()}:{segment}",
                description=f"allowance {segment}: charge {rf.charge}, write-offs {rf.write_offs},"
                f" recoveries {rf.recoveries}",
            ),
        )
