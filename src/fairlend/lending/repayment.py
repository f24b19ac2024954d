"""Repayments: a payment through the product's waterfall, prepayment and early settlement.

One transaction each: the installments, the loan's balances, the repayment
row, its events and its journal entry commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Row

from fairlend.clock import PinnedDate
from fairlend.db.uow import UnitOfWork
from fairlend.errors import Invalid, NotFound
from fairlend.jurisdiction.model import Profile
from fairlend.ledger.model import AccountKey
from fairlend.lending.answer_patch import answer_patch_of
from fairlend.lending.closing import payoff_of
from fairlend.lending.importing import Backdated
from fairlend.lending.model import RECOVERABLE_STATES, LoanState
from fairlend.lending.products import ProductCache, load_product
from fairlend.lending.queries import LendingQueries
from fairlend.lending.recovery import recover
from fairlend.lending.repayment_plan import OpenLoan, plan_repayment
from fairlend.lending.repayment_writes import write_loans, write_plans
from fairlend.lending.stored_answers import touch
from fairlend.lending.subledger import (
    LOAN_FOR_UPDATE,
    OPEN_INSTALLMENTS,
    STORED_DATE_FOR_SLOT,
)
from fairlend.lending.views import PayoffQuote, RepaymentResult
from fairlend.money import Money


class LoanRepayments(LendingQueries):
    _profile: Profile
    _product_cache: ProductCache

    # -- repayments --------------------------------------------------------------

    def repay(
        self, loan_id: str, amount: Money, *, reference: str = "", received_into: AccountKey | None = None
    ) -> RepaymentResult:
        """Apply a payment through the product's waterfall; paying beyond what is due prepays."""
        if amount.minor <= 0:
            raise Invalid("amount_not_positive", "a repayment must be positive")
        with self._uow() as uow:
            result = self._repay(uow, loan_id, amount, reference, received_into)
            uow.commit()
        return result

    def repay_as(
        self,
        loan_id: str,
        amount: Decimal,
        *,
        may_pay: Callable[[str], None],
        reference: str = "",
        then: Callable[[RepaymentResult], None] | None = None,
    ) -> RepaymentResult:
        """`repay` for a caller who may pay some loans only, with the amount in the loan's currency's major units.

        Once the loan's row is locked, `may_pay(borrower_id)` refuses (by raising) a caller who may
        not pay this loan, and the amount takes the loan's currency (`amount_too_precise` finer than
        its smallest unit): in the repayment's own transaction, so nothing is written before either
        and no read of the loan's facts goes before it (the API's route, docs/performance.md).
        `then(result)` runs in the same transaction once the repayment is made, just before it
        commits: what the caller records with it commits or rolls back with it (the API stores its
        answer to the Idempotency-Key there).
        """
        with self._uow() as uow:
            ln = self._load(uow, loan_id)
            may_pay(ln.borrower_id)
            money = Money.of(amount, ln.currency)
            if money.minor <= 0:
                raise Invalid("amount_not_positive", "a repayment must be positive")
            result = self._repay(uow, loan_id, money, reference, None, loaded=ln)
            if then is not None:
                then(result)
            uow.commit()
        return result

    def settle_early(self, loan_id: str, *, reference: str = "") -> RepaymentResult:
        """Pay the loan off today for exactly its payoff amount."""
        with self._uow() as uow:
            quote = self._payoff(uow, self._load(uow, loan_id), uow.clock.business_date())
            result = self._repay(uow, loan_id, quote.total, reference or "early_settlement", None)
            uow.commit()
        return result

    def _load(self, uow: UnitOfWork, loan_id: str) -> Row[Any]:
        """Lock the loan's row, then take the business date: the date is read only once the lock is held.

        A unit of work pins the date its clock gave, and a server's clock re-reads
        the stored date only now and then. A repayment that waited for this lock
        while end-of-day held it, or that started just after end-of-day committed,
        would otherwise post on the date just closed, into a loan already
        accrued through it: paid up, that day's interest would accrue again from
        the restarted period. Read after the lock (a new statement, so on
        PostgreSQL it sees what end-of-day committed), a closed date moves the
        unit of work on to the next one. A backdated unit of work (`as_of`,
        importing a loan's past) keeps its date.
        """
        row = uow.conn.execute(LOAN_FOR_UPDATE, {"loan_id": loan_id}).first()
        if row is None:
            raise NotFound("loan_not_found", f"no loan {loan_id}")
        if not isinstance(uow.clock, Backdated):
            found = uow.conn.execute(STORED_DATE_FOR_SLOT, {"slot": row.borrower_slot}).first()
            stored = found.business_date if found is not None else None
            if stored is not None and found is not None and found.slot_closed:
                # End-of-day in partitions has closed this loan's part of the date, the rest of the book
                # not yet: for this loan the date is closed (accrued through), so the repayment goes on the next.
                stored += timedelta(days=1)
            if stored is not None and stored > uow.clock.business_date():
                uow.clock = PinnedDate(uow.clock, stored)
        return row

    def _repay(
        self,
        uow: UnitOfWork,
        loan_id: str,
        amount: Money,
        reference: str,
        received_into: AccountKey | None,
        *,
        loaded: Row[Any] | None = None,
    ) -> RepaymentResult:
        conn = uow.conn
        ln = loaded if loaded is not None else self._load(uow, loan_id)
        if ln.state != LoanState.ACTIVE.value and ln.state in RECOVERABLE_STATES:
            touch(uow, ln.borrower_id, loan_id)
            return recover(uow, self._ledger, self._profile, ln, amount, reference, received_into)
        product = load_product(conn, ln.product_code, ln.product_version, self._product_cache)
        installments = [
            dict(r._mapping)
            for r in conn.execute(OPEN_INSTALLMENTS, {"borrower_id": ln.borrower_id, "loan_id": loan_id})
        ]
        before = {i["seq"]: i["principal_paid"] + i["interest_paid"] + i["fee_paid"] for i in installments}
        loan = OpenLoan.of(dict(ln._mapping), product, installments)
        plan = plan_repayment(
            loan,
            amount,
            today=uow.clock.business_date(),
            now=uow.clock.now(),
            profile=self._profile,
            reference=reference,
            received_into=received_into,
        )
        patch = answer_patch_of(ln, loan, installments, before)
        write_loans(uow, [loan], None if patch is None else {loan_id: patch})
        write_plans(uow, [plan])
        # The journal entry goes last: its control-account rows are the hottest locks, held until commit.
        self._ledger.post(uow, plan.entry)
        return plan.result()

    def _payoff(self, uow: UnitOfWork, ln: Row[Any], as_of: date) -> PayoffQuote:
        product = load_product(uow.conn, ln.product_code, ln.product_version, self._product_cache)
        return payoff_of(uow, ln, as_of, product)
