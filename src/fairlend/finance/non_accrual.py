"""Non-accrual (FN-5), set-based and in finance alone: income stops, cash is recognised when received.

Lending keeps accruing each loan's contractual interest in its subledger (what
the borrower owes does not change with the lender's accounting). Finance keeps
that interest out of income once a loan is `non_accrual_dpd` days past due:
every day, for each loan in non-accrual, the interest earned and not received
(billed and accrued; penalty interest keeps its own income account) is held in `interest_suspense`, a
contra-asset, and income is reduced by the change. When the borrower pays,
the unpaid interest falls and the same day's run releases it to income: cash
recognised when received. A loan that cures (below the threshold) or settles
releases what was held to income; a charged-off loan releases it against
credit loss (that interest was never income, so it is no loss either). Each
switch is one change row; one journal entry per currency per day moves the
totals.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, bindparam, case, delete, exists, func, insert, literal, select, update

from fairlend.db.uow import UnitOfWork
from fairlend.finance.tables import finance_allowance_use, finance_non_accrual, finance_non_accrual_change
from fairlend.jurisdiction.model import FinanceProfile
from fairlend.ledger.model import AccountKey, AccountType, Posting, entry
from fairlend.ledger.service import Ledger
from fairlend.lending.exposures import active_exposures
from fairlend.money import Money

NON_ACCRUAL_KIND = "finance_non_accrual"
_DAY = bindparam("day", type_=finance_non_accrual.c.since.type)


class NonAccrual:
    def __init__(self, finance: FinanceProfile, ledger: Ledger) -> None:
        self._ledger = ledger
        threshold = finance.non_accrual_dpd
        e = active_exposures().subquery("e")
        s = finance_non_accrual.c
        held = and_(s.borrower_id == e.c.borrower_id, s.loan_id == e.c.loan_id)
        is_held = exists().where(held)
        active = exists().where(e.c.loan_id == s.loan_id)
        charged = exists().where(
            finance_allowance_use.c.borrower_id == s.borrower_id,
            finance_allowance_use.c.loan_id == s.loan_id,
            finance_allowance_use.c.kind == "write_off",
        )
        cols = ["borrower_id", "loan_id", "business_date", "currency", "to_state", "dpd"]
        change = finance_non_accrual_change
        self._entering = insert(change).from_select(
            cols,
            select(e.c.borrower_id, e.c.loan_id, _DAY, e.c.currency, literal("non_accrual"), e.c.dpd).where(
                e.c.dpd >= threshold, ~is_held
            ),
        )
        # Statements over the loans held are driven by the held rows (a probe into the book per row), never
        # by a scan of the whole book: only `_entering` must look at every active loan.
        self._cured = insert(change).from_select(
            cols,
            select(
                s.borrower_id,
                s.loan_id,
                _DAY,
                s.currency,
                literal("accrual"),
                select(e.c.dpd).where(held).scalar_subquery(),
            ).where(exists().where(held, e.c.dpd < threshold)),
        )
        self._closed = insert(change).from_select(
            cols, select(s.borrower_id, s.loan_id, _DAY, s.currency, literal("closed"), literal(0)).where(~active)
        )
        # Per currency: what is held for active loans and what the loans that left the book held (charged
        # off, or not), before the day's switches; what should be held now is the held rows' sum after them.
        self._target = select(s.currency, func.sum(s.suspended)).group_by(s.currency)
        self._held_active = select(s.currency, func.sum(s.suspended)).where(is_held).group_by(s.currency)
        leaving = (
            select(s.currency, case((charged, literal(1)), else_=literal(0)).label("charged"), s.suspended)
            .where(~active)
            .subquery()
        )
        self._departed = select(leaving.c.currency, leaving.c.charged, func.sum(leaving.c.suspended)).group_by(
            leaving.c.currency, leaving.c.charged
        )
        self._forget = delete(finance_non_accrual).where(~exists().where(held, e.c.dpd >= threshold))
        # Only the loans whose unpaid interest moved are written: no row per loan per day.
        unpaid = select(e.c.unpaid_interest).where(held).scalar_subquery()
        self._refresh = update(finance_non_accrual).where(s.suspended != unpaid).values(suspended=unpaid)
        # The day's entrants, from their change rows (by date): a probe per entrant, not another scan of the book.
        c = change.c
        unpaid_of_entrant = (
            select(e.c.unpaid_interest)
            .where(e.c.borrower_id == c.borrower_id, e.c.loan_id == c.loan_id)
            .scalar_subquery()
        )
        self._store = insert(finance_non_accrual).from_select(
            ["borrower_id", "loan_id", "currency", "since", "suspended"],
            select(c.borrower_id, c.loan_id, c.currency, _DAY, unpaid_of_entrant).where(
                c.business_date == _DAY, c.to_state == "non_accrual"
            ),
        )
        self._switched = select(func.count()).select_from(change).where(change.c.business_date == _DAY)

    def run(self, uow: UnitOfWork, day: date) -> int:
        conn = uow.conn
        params = {"day": day}
        if conn.execute(self._switched, params).scalar():
            return 0  # the day was run: its switches are recorded and its entry posted
        held = {c: int(t or 0) for c, t in conn.execute(self._held_active)}
        departed: dict[str, dict[int, int]] = {}
        for c, was_charged, total in conn.execute(self._departed):
            departed.setdefault(c, {})[int(was_charged)] = int(total or 0)
        for statement in (self._entering, self._cured, self._closed):
            conn.execute(statement, params)
        conn.execute(self._forget)
        conn.execute(self._refresh)
        conn.execute(self._store, params)
        # Now exactly the active loans at or past the threshold, each holding its unpaid interest.
        target = {c: int(t or 0) for c, t in conn.execute(self._target)}
        for currency in sorted(set(target) | set(held) | set(departed)):
            self._post(uow, day, currency, target.get(currency, 0) - held.get(currency, 0), departed.get(currency, {}))
        return int(conn.execute(self._switched, params).scalar() or 0)

    def _post(self, uow: UnitOfWork, day: date, currency: str, delta: int, departed: dict[int, int]) -> None:
        suspense = AccountKey(AccountType.INTEREST_SUSPENSE, currency)
        income = AccountKey(AccountType.INTEREST_INCOME, currency)
        postings: list[Posting] = []

        def move(debit_to: AccountKey, credit_to: AccountKey, minor: int) -> None:
            if minor:
                postings.extend(
                    (Posting(debit_to, Money(minor, currency)), Posting(credit_to, Money(-minor, currency)))
                )

        if delta > 0:
            move(income, suspense, delta)
        else:
            move(suspense, income, -delta)
        move(suspense, income, departed.get(0, 0))
        move(suspense, AccountKey(AccountType.CREDIT_LOSS, currency), departed.get(1, 0))
        if postings:
            self._ledger.post(
                uow, entry(day, NON_ACCRUAL_KIND, *postings, reference=f"non_accrual:{day.isoformat()}:{currency}")
            )
