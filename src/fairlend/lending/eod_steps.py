"""Lending's end-of-day steps: each a few set-based statements over the loan table.

Penalty, accrual, billing, late fees and days past due, in that order; buckets,
reminders and month-end follow in eod_status.py (`eod.EndOfDay` runs them). Each runs over the
whole book (`run`) or over one partition of it (`run_partition`: the same statements with a range
of `loan.borrower_slot` added, which `ix_loan_borrower_slot` serves). Each is idempotent by
its data: the penalty remembers the day it last charged, accrual is a
function of the date, billing moves the current installment on, and the
rest recompute from what is stored. The few rows that change on a day
(billed or late installments) are found by index and touched by primary key.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import Select, Update, and_, bindparam, case, func, literal, select, update

from fairlend.batch.model import Partition
from fairlend.db.uow import UnitOfWork
from fairlend.jurisdiction.model import Profile
from fairlend.ledger.model import AccountKey, AccountType, Posting, entry
from fairlend.lending.eod_journal import DayJournal
from fairlend.lending.model import LoanState
from fairlend.lending.recalculation import HALF, SCALE
from fairlend.lending.subledger import BILL_INSTALLMENT
from fairlend.lending.tables import loan, loan_installment
from fairlend.money import Money

ACTIVE = loan.c.state == LoanState.ACTIVE.value
# A recalculated loan's extra interest of the current period in minor units (0 for every other loan).
RECALC_EXTRA = (loan.c.recalc_e10 + literal(HALF)) // literal(SCALE)
DN = bindparam("dn", type_=loan.c.dpd.type)  # the date being closed, as a day number
D1 = bindparam("d1", type_=loan.c.dpd.type)  # the next business date, as a day number
# One partition's loans: a range of the borrower's slot (fairlend.batch.model.Partition).
IN_PARTITION = and_(
    loan.c.borrower_slot >= bindparam("slot_lo", type_=loan.c.borrower_slot.type),
    loan.c.borrower_slot < bindparam("slot_hi", type_=loan.c.borrower_slot.type),
)


S = TypeVar("S", Select[Any], Update)


def both(statement: S) -> tuple[S, S]:
    """The statement over the whole book, and over one partition's loans: index it by `part is not None`."""
    return statement, statement.where(IN_PARTITION)


def day_params(part: Partition | None, **values: int) -> dict[str, int]:
    """A step's bound values, with the partition's slot range when it runs over one."""
    if part is not None:
        values.update(slot_lo=part.lo, slot_hi=part.hi)
    return values


def _post_totals(
    uow: UnitOfWork,
    ledger: DayJournal,
    d: date,
    kind: str,
    debit_to: AccountType,
    credit_to: AccountType,
    totals: Iterable[Any],
) -> None:
    for currency, total in totals:
        total = int(total or 0)
        if total:
            ledger.add(
                uow,
                entry(
                    d,
                    kind,
                    Posting(AccountKey(debit_to, currency), Money(total, currency)),
                    Posting(AccountKey(credit_to, currency), Money(-total, currency)),
                    reference=f"eod:{d.isoformat()}",
                ),
            )


class LendingStep:
    name = ""

    def __init__(self, ledger: DayJournal, profile: Profile) -> None:
        self._ledger = ledger
        self._profile = profile

    def run(self, uow: UnitOfWork, business_date: date) -> int:
        """The whole book, in the caller's transaction."""
        return self.run_partition(uow, business_date, None)

    def run_partition(
        self, uow: UnitOfWork, business_date: date, part: Partition | None
    ) -> int:  # pragma: no cover - overridden
        raise NotImplementedError

    def close_partitions(self, uow: UnitOfWork, business_date: date, count: int) -> None:
        """Once every partition has run: nothing of lending's is left for the whole book."""


class PenaltyStep(LendingStep):
    """Penalty interest for one day on the principal that was overdue when the day began."""

    name = "penalty"
    _pred = and_(ACTIVE, loan.c.overdue_principal > 0, loan.c.penalty_daily_e10 > 0, loan.c.penalty_day < DN)
    _amount = loan.c.overdue_principal * loan.c.penalty_daily_e10 // literal(10**10)
    _totals = both(select(loan.c.currency, func.sum(_amount)).where(_pred).group_by(loan.c.currency))
    _update = both(update(loan).where(_pred).values(penalty_due=loan.c.penalty_due + _amount, penalty_day=DN))

    def run_partition(self, uow: UnitOfWork, business_date: date, part: Partition | None) -> int:
        params = day_params(part, dn=business_date.toordinal())
        scope = part is not None
        totals = uow.conn.execute(self._totals[scope], params).all()
        count = uow.conn.execute(self._update[scope], params).rowcount
        _post_totals(
            uow,
            self._ledger,
            business_date,
            "eod_penalty",
            AccountType.PENALTY_RECEIVABLE,
            AccountType.PENALTY_INCOME,
            totals,
        )
        return int(count)


class AccrualStep(LendingStep):
    """Interest earned through the end of the day, kept apart from billed interest."""

    name = "accrual"
    _span = loan.c.next_due_day - loan.c.accrual_start_day
    _elapsed = case(
        (D1 - loan.c.accrual_start_day >= _span, _span),
        (loan.c.accrual_start_day >= D1, literal(0)),
        else_=D1 - loan.c.accrual_start_day,
    )
    # Recalculated loans (recalculation.py) also accrue the period's extra interest, rounded once; 0 for others.
    _target = loan.c.accrual_interest * _elapsed // _span + RECALC_EXTRA
    _pred = and_(ACTIVE, loan.c.next_due_day.is_not(None), loan.c.accrued_interest != _target)
    _totals = both(
        select(loan.c.currency, func.sum(_target - loan.c.accrued_interest)).where(_pred).group_by(loan.c.currency)
    )
    _update = both(update(loan).where(_pred).values(accrued_interest=_target))

    # The day's extra interest of a recalculated loan: principal (and, compounding, interest) unpaid after its
    # due date, at the loan's daily rate, for the days since it last ran. Only loans that owe something
    # overdue are written; `recalc_day` makes a re-run add nothing.
    _base = loan.c.principal_due + case((loan.c.recalc_compound.is_(True), loan.c.interest_due), else_=literal(0))
    _since = case((loan.c.recalc_day > DN, loan.c.recalc_day), else_=DN)
    _recalc = both(
        update(loan)
        .where(
            ACTIVE,
            loan.c.recalc_daily_e10 > 0,
            loan.c.next_due_day.is_not(None),
            loan.c.recalc_day < D1,
            _base > 0,
        )
        .values(recalc_e10=loan.c.recalc_e10 + _base * loan.c.recalc_daily_e10 * (D1 - _since), recalc_day=D1)
    )

    def run_partition(self, uow: UnitOfWork, business_date: date, part: Partition | None) -> int:
        params = day_params(part, d1=business_date.toordinal() + 1)
        scope = part is not None
        uow.conn.execute(self._recalc[scope], params | {"dn": business_date.toordinal()})
        totals = uow.conn.execute(self._totals[scope], params).all()
        count = uow.conn.execute(self._update[scope], params).rowcount
        _post_totals(
            uow,
            self._ledger,
            business_date,
            "eod_accrual",
            AccountType.ACCRUED_INTEREST,
            AccountType.INTEREST_INCOME,
            totals,
        )
        return int(count)


_cur = loan_installment.alias("cur")
_nxt = loan_installment.alias("nxt")


def _installment_of(alias: Any, column: str, offset: int) -> Any:
    return (
        select(getattr(alias.c, column))
        .where(
            alias.c.borrower_id == loan.c.borrower_id,
            alias.c.loan_id == loan.c.id,
            alias.c.seq == loan.c.cur_seq + offset,
        )
        .scalar_subquery()
    )


class BillingStep(LendingStep):
    """Installments falling due on the next business date become due: accrued interest is billed."""

    name = "billing"
    _pred = and_(ACTIVE, loan.c.next_due_day.is_not(None), loan.c.next_due_day <= D1)
    # The installment's interest as billed: its scheduled interest and, recalculated, the period's extra.
    _billed = loan.c.accrual_interest + RECALC_EXTRA
    _totals = both(select(loan.c.currency, func.sum(_billed)).where(_pred).group_by(loan.c.currency))
    _keys = both(select(loan.c.borrower_id, loan.c.id, loan.c.cur_seq, RECALC_EXTRA).where(_pred))
    # By primary key, for the few loans billed today: a join from the installments would scan them all.
    _bill = BILL_INSTALLMENT
    _bill_extra = (
        update(loan_installment)
        .where(
            loan_installment.c.borrower_id == bindparam("b_borrower_id"),
            loan_installment.c.loan_id == bindparam("b_loan_id"),
            loan_installment.c.seq == bindparam("b_seq"),
        )
        .values(billed=True, interest=loan_installment.c.interest + bindparam("b_extra", type_=loan.c.recalc_e10.type))
    )
    _advance = both(
        update(loan)
        .where(_pred)
        .values(
            interest_due=loan.c.interest_due + _billed,
            accrued_interest=loan.c.accrued_interest - _billed,
            recalc_e10=literal(0),
            principal_due=loan.c.principal_due + func.coalesce(_installment_of(_cur, "principal", 0), 0),
            oldest_due_day=func.coalesce(loan.c.oldest_due_day, loan.c.next_due_day),
            cur_seq=loan.c.cur_seq + 1,
            accrual_start_day=loan.c.next_due_day,
            next_due_day=_installment_of(_nxt, "due_day", 1),
            accrual_interest=func.coalesce(_installment_of(_nxt, "interest", 1), 0),
        )
    )

    def run_partition(self, uow: UnitOfWork, business_date: date, part: Partition | None) -> int:
        params = day_params(part, d1=business_date.toordinal() + 1)
        scope = part is not None
        totals = uow.conn.execute(self._totals[scope], params).all()
        keys = uow.conn.execute(self._keys[scope], params).all()
        if not keys:
            return 0
        plain = [{"b_borrower_id": b, "b_loan_id": lid, "b_seq": seq} for b, lid, seq, extra in keys if not extra]
        extra = [{"b_borrower_id": b, "b_loan_id": lid, "b_seq": seq, "b_extra": x} for b, lid, seq, x in keys if x]
        if plain:
            uow.conn.execute(self._bill, plain)
        if extra:
            uow.conn.execute(self._bill_extra, extra)
        count = uow.conn.execute(self._advance[scope], params).rowcount
        _post_totals(
            uow,
            self._ledger,
            business_date,
            "eod_billing",
            AccountType.INTEREST_RECEIVABLE,
            AccountType.ACCRUED_INTEREST,
            totals,
        )
        return int(count)


class LateFeeStep(LendingStep):
    """The product's late fee, once, on each installment still unpaid after its grace days."""

    name = "late_fees"
    _i = loan_installment.c
    # From the late loans into their installments by primary key; the installments are never scanned.
    _find = both(
        select(_i.borrower_id, _i.loan_id, _i.seq, loan.c.late_fee, loan.c.currency)
        .select_from(loan.join(loan_installment, and_(_i.borrower_id == loan.c.borrower_id, _i.loan_id == loan.c.id)))
        .where(
            ACTIVE,
            loan.c.late_fee > 0,
            loan.c.oldest_due_day <= DN,  # a range the index serves; the grace test below needs the row
            loan.c.oldest_due_day + loan.c.grace_days <= DN,
            _i.billed.is_(True),
            _i.paid_on.is_(None),
            _i.late_fee_charged.is_(False),
            _i.late_day <= DN,
        )
    )
    _charge = (
        update(loan_installment)
        .where(
            _i.borrower_id == bindparam("b_borrower_id"),
            _i.loan_id == bindparam("b_loan_id"),
            _i.seq == bindparam("b_seq"),
        )
        .values(fee=_i.fee + bindparam("fee", type_=loan.c.late_fee.type), late_fee_charged=True)
    )
    _loan = (
        update(loan)
        .where(loan.c.borrower_id == bindparam("b_borrower_id"), loan.c.id == bindparam("b_loan_id"))
        .values(fees_due=loan.c.fees_due + bindparam("fee", type_=loan.c.late_fee.type))
    )

    def run_partition(self, uow: UnitOfWork, business_date: date, part: Partition | None) -> int:
        found = uow.conn.execute(self._find[part is not None], day_params(part, dn=business_date.toordinal())).all()
        if not found:
            return 0
        rows = [{"b_borrower_id": b, "b_loan_id": lid, "b_seq": seq, "fee": fee} for b, lid, seq, fee, _ in found]
        uow.conn.execute(self._charge, rows)
        uow.conn.execute(self._loan, rows)
        totals: dict[str, int] = {}
        for *_, fee, currency in found:
            totals[currency] = totals.get(currency, 0) + fee
        _post_totals(
            uow,
            self._ledger,
            business_date,
            "eod_late_fee",
            AccountType.FEE_RECEIVABLE,
            AccountType.FEE_INCOME,
            totals.items(),
        )
        return len(found)


def _late_sum(expression: Any) -> Any:
    return (
        select(func.coalesce(func.sum(expression), 0))
        .where(
            loan_installment.c.borrower_id == loan.c.borrower_id,
            loan_installment.c.loan_id == loan.c.id,
            loan_installment.c.billed.is_(True),
            loan_installment.c.paid_on.is_(None),
            loan_installment.c.late_day <= DN,
        )
        .scalar_subquery()
    )


class DelinquencyStep(LendingStep):
    """Days past due from the oldest unpaid installment (after grace), and what is overdue."""

    name = "days_past_due"
    _dpd = case(
        (
            and_(loan.c.oldest_due_day.is_not(None), loan.c.oldest_due_day + loan.c.grace_days <= DN),
            DN - loan.c.oldest_due_day + 1,
        ),
        else_=literal(0),
    )
    _i = loan_installment.c
    _update = both(
        update(loan)
        # A loan with no billed, unpaid installment has dpd 0 and nothing overdue: repayments keep it so.
        # (`> 0` is IS NOT NULL as a range, which SQLite's planner serves from the index.)
        .where(ACTIVE, loan.c.oldest_due_day > 0)
        .values(
            # A held loan (a hardship plan not yet re-aged) keeps the days past due it was reported with.
            dpd=case((loan.c.delinquency_held.is_(True), loan.c.dpd), else_=_dpd),
            overdue_principal=_late_sum(_i.principal - _i.principal_paid),
            overdue_amount=case(
                (
                    _dpd > 0,
                    _late_sum(_i.principal - _i.principal_paid + _i.interest - _i.interest_paid + _i.fee - _i.fee_paid)
                    + loan.c.penalty_due,
                ),
                else_=literal(0),
            ),
            first_delinquency_day=case(
                (loan.c.delinquency_held.is_(True), loan.c.first_delinquency_day),
                (_dpd > 0, func.coalesce(loan.c.first_delinquency_day, loan.c.oldest_due_day + 1)),
                else_=None,
            ),
        )
    )

    def run_partition(self, uow: UnitOfWork, business_date: date, part: Partition | None) -> int:
        params = day_params(part, dn=business_date.toordinal())
        return int(uow.conn.execute(self._update[part is not None], params).rowcount)
