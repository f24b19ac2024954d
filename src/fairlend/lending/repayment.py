"""Repayments: a payment through the product's waterfall, prepayment and early settlement.

One transaction each: the installments, the loan's balances, the repayment
row, its events and its journal entry commit together or not at all.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import Row

from fairlend.clock import PinnedDate
from fairlend.db.uow import UnitOfWork
from fairlend.errors import Conflict, Invalid, NotFound
from fairlend.events import DomainEvent
from fairlend.ids import new_id
from fairlend.jurisdiction.model import Profile
from fairlend.ledger.model import AccountKey, AccountType, Posting, credit, debit, entry
from fairlend.lending.closing import payoff_of
from fairlend.lending.events import LoanDelinquencyChanged, LoanSettled, RepaymentPosted
from fairlend.lending.importing import Backdated
from fairlend.lending.model import RECOVERABLE_STATES, Frequency, LoanState, Method, PrepaymentEffect, Product
from fairlend.lending.products import ProductCache, load_product
from fairlend.lending.publishing import publish_many
from fairlend.lending.queries import LendingQueries, money_in
from fairlend.lending.recovery import recover
from fairlend.lending.schedule import Line, Period, amortize, day
from fairlend.lending.subledger import (
    DROP_UNBILLED,
    INSERT_INSTALLMENT,
    INSERT_REPAYMENT,
    LOAN_FOR_UPDATE,
    OPEN_INSTALLMENTS,
    PAY_INSTALLMENT,
    REPAY_LOAN,
    RESCHEDULE_COLUMNS,
    STORED_BUSINESS_DATE,
    Delinquency,
    delinquency_of,
    installment_row,
    record_transition,
)
from fairlend.lending.views import PayoffQuote, RepaymentResult
from fairlend.lending.waterfall import OpenInstallment, allocate_payment
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
            stored = uow.conn.execute(STORED_BUSINESS_DATE).scalar()
            if stored is not None and stored > uow.clock.business_date():
                uow.clock = PinnedDate(uow.clock, stored)
        return row

    def _repay(
        self, uow: UnitOfWork, loan_id: str, amount: Money, reference: str, received_into: AccountKey | None
    ) -> RepaymentResult:
        conn = uow.conn
        ln = self._load(uow, loan_id)
        today = uow.clock.business_date()
        if ln.state != LoanState.ACTIVE.value:
            if ln.state in RECOVERABLE_STATES:
                return recover(uow, self._ledger, self._profile, ln, amount, reference, received_into)
            raise Conflict("loan_not_active", f"loan {loan_id} is {ln.state}; it takes no repayments")
        if amount.currency != ln.currency:
            raise Invalid("currency_mismatch", f"loan {loan_id} is in {ln.currency}")
        product = load_product(conn, ln.product_code, ln.product_version, self._product_cache)
        insts = [
            dict(r._mapping)
            for r in conn.execute(OPEN_INSTALLMENTS, {"borrower_id": ln.borrower_id, "loan_id": loan_id})
        ]
        billed = [i for i in insts if i["billed"]]
        unbilled = [i for i in insts if not i["billed"]]
        unbilled_principal = sum(i["principal"] - i["principal_paid"] for i in unbilled)
        alloc = allocate_payment(
            amount.minor,
            today,
            [
                OpenInstallment(
                    i["seq"],
                    i["due_date"],
                    i["principal"] - i["principal_paid"],
                    i["interest"] - i["interest_paid"],
                    i["fee"] - i["fee_paid"],
                )
                for i in billed
            ],
            penalty=ln.penalty_due,
            accrued_interest=ln.accrued_interest,
            unbilled_principal=unbilled_principal,
            waterfall=product.waterfall,
            prepayment_allowed=product.prepayment_allowed,
            prepayment_fee_rate=product.prepayment_fee_rate,
            rounding=product.rounding,
        )
        if alloc.accrued_interest and alloc.accrued_interest < ln.accrued_interest:
            # Interest not yet due is paid whole or not at all: the period restarts on the new balance.
            alloc.excess += alloc.accrued_interest
            alloc.accrued_interest = 0
        principal_left = ln.principal_outstanding - alloc.principal
        settles = (
            principal_left == 0
            and ln.interest_due + ln.accrued_interest == alloc.interest
            and ln.penalty_due == alloc.penalty
            and ln.fees_due == alloc.billed_fees
        )
        if alloc.excess and not settles and not product.prepayment_allowed:
            raise Invalid(
                "prepayment_not_allowed",
                f"product {product.code} takes no prepayment; at most {amount.minor - alloc.excess} minor units are due",
            )
        updates = []
        for inst in billed:
            paid = alloc.installments.get(inst["seq"])
            if paid is None:
                continue
            inst["principal_paid"] += paid.principal
            inst["interest_paid"] += paid.interest
            inst["fee_paid"] += paid.fee
            done = (
                inst["principal_paid"] == inst["principal"]
                and inst["interest_paid"] == inst["interest"]
                and inst["fee_paid"] == inst["fee"]
            )
            inst["paid_on"] = today if done else None
            updates.append(
                {
                    "b_borrower_id": ln.borrower_id,
                    "b_loan_id": loan_id,
                    "b_seq": inst["seq"],
                    "principal_paid": inst["principal_paid"],
                    "interest_paid": inst["interest_paid"],
                    "fee_paid": inst["fee_paid"],
                    "paid_on": inst["paid_on"],
                }
            )
        if updates:
            conn.execute(PAY_INSTALLMENT, updates)
        values: dict[str, Any] = {}
        if alloc.accrued_interest or alloc.prepaid_principal:
            values.update(
                self._reschedule(uow, ln, product, unbilled, unbilled_principal - alloc.prepaid_principal, today)
            )
        billed_principal_paid = alloc.principal - alloc.prepaid_principal
        billed_interest_paid = alloc.interest - alloc.accrued_interest
        penalty_left = ln.penalty_due - alloc.penalty
        found = delinquency_of(billed, penalty_left, ln.grace_days, day(today) - 1, ln.first_delinquency_day)
        if ln.delinquency_held:
            # A modified loan's status stays as reported until the plan re-ages it or breaks (modifying.py).
            found = replace(found, dpd=ln.dpd, first_delinquency_day=ln.first_delinquency_day)
        bucket = self._profile.bucket_for(found.dpd).name
        state = LoanState.SETTLED if settles else LoanState.ACTIVE
        values.update(
            principal_outstanding=principal_left,
            principal_due=ln.principal_due - billed_principal_paid,
            interest_due=ln.interest_due - billed_interest_paid,
            accrued_interest=ln.accrued_interest - alloc.accrued_interest,
            penalty_due=penalty_left,
            fees_due=ln.fees_due - alloc.billed_fees,
            oldest_due_day=found.oldest_due_day,
            overdue_principal=found.overdue_principal,
            overdue_amount=found.overdue_amount,
            dpd=found.dpd,
            bucket=bucket,
            first_delinquency_day=found.first_delinquency_day,
            state=state.value,
            settled_on=today if settles else None,
        )
        for column in RESCHEDULE_COLUMNS:
            values.setdefault(column, getattr(ln, column))
        conn.execute(REPAY_LOAN, {"b_borrower_id": ln.borrower_id, "b_loan_id": loan_id, **values})
        refunded = alloc.excess
        repayment_id = new_id("rpy")
        conn.execute(
            INSERT_REPAYMENT,
            {
                "borrower_id": ln.borrower_id,
                "id": repayment_id,
                "loan_id": loan_id,
                "business_date": today,
                "amount": amount.minor,
                "principal": alloc.principal,
                "interest": alloc.interest,
                "penalty": alloc.penalty,
                "fees": alloc.fees,
                "prepayment_fee": alloc.prepayment_fee,
                "refunded": refunded,
                "reference": reference[:80],
                "created_at": uow.clock.now(),
            },
        )
        cur = ln.currency
        money = money_in(cur)
        posted: list[DomainEvent] = [
            RepaymentPosted(
                loan_id=loan_id,
                borrower_id=ln.borrower_id,
                repayment_id=repayment_id,
                amount=amount,
                principal_paid=money(alloc.principal),
                interest_paid=money(alloc.interest),
                penalty_paid=money(alloc.penalty),
                fees_paid=money(alloc.fees),
                outstanding_principal=money(principal_left),
                days_past_due=found.dpd,
                business_date=today,
                received_days_past_due=max(0, day(today) - ln.oldest_due_day) if ln.oldest_due_day else 0,
                refunded=money(refunded),
            )
        ]
        if bucket != ln.bucket:
            posted.append(self._record_transition(uow, ln, bucket, found, principal_left, today))
        if settles:
            posted.append(
                LoanSettled(
                    loan_id=loan_id,
                    borrower_id=ln.borrower_id,
                    settled_on=today,
                    was_overdue=ln.dpd > 0,
                    business_date=today,
                )
            )
        publish_many(uow, posted)
        # The journal entry goes last: its control-account rows are the hottest locks, held until commit.
        parts: list[tuple[AccountKey, int]] = [
            (AccountKey(AccountType.LOAN_PRINCIPAL, cur), alloc.principal),
            (AccountKey(AccountType.INTEREST_RECEIVABLE, cur), billed_interest_paid),
            (AccountKey(AccountType.ACCRUED_INTEREST, cur), alloc.accrued_interest),
            (AccountKey(AccountType.PENALTY_RECEIVABLE, cur), alloc.penalty),
            (AccountKey(AccountType.FEE_RECEIVABLE, cur), alloc.billed_fees),
            (AccountKey(AccountType.FEE_INCOME, cur), alloc.prepayment_fee),
            (AccountKey(AccountType.BORROWER_CREDIT, cur, ln.borrower_id), refunded),
        ]
        postings: list[Posting] = [debit(received_into or AccountKey(AccountType.PLATFORM_CASH, cur), amount)]
        postings += [credit(key, Money(minor, cur)) for key, minor in parts if minor]
        self._ledger.post(uow, entry(today, "loan_repayment", *postings, reference=repayment_id))
        return RepaymentResult(
            repayment_id=repayment_id,
            loan_id=loan_id,
            amount=amount,
            principal_paid=money(alloc.principal),
            interest_paid=money(alloc.interest),
            penalty_paid=money(alloc.penalty),
            fees_paid=money(alloc.fees),
            prepayment_fee=money(alloc.prepayment_fee),
            refunded=money(refunded),
            outstanding_principal=money(principal_left),
            days_past_due=found.dpd,
            state=state,
        )

    def _record_transition(
        self, uow: UnitOfWork, ln: Row[Any], bucket: str, found: Delinquency, principal_left: int, today: date
    ) -> LoanDelinquencyChanged:
        return record_transition(uow, ln, bucket, found, principal_left, today)

    def _reschedule(
        self,
        uow: UnitOfWork,
        ln: Row[Any],
        product: Product,
        unbilled: list[dict[str, Any]],
        balance: int,
        today: date,
    ) -> dict[str, Any]:
        """Rebuild the unbilled installments after a prepayment, from today, on the new balance."""
        uow.conn.execute(DROP_UNBILLED, {"borrower_id": ln.borrower_id, "loan_id": ln.id})
        if balance == 0 or not unbilled:
            last_billed = ln.maturity_date if not unbilled else date.fromordinal(unbilled[0]["start_day"])
            return {
                "next_due_day": None,
                "accrual_interest": 0,
                "accrual_start_day": day(today),
                "maturity_date": last_billed,
            }
        monthly = Frequency(ln.frequency) is Frequency.MONTHLY
        periods = []
        for k, inst in enumerate(unbilled):
            start = date.fromordinal(inst["start_day"]) if k else today
            whole = 1 if monthly and (k > 0 or start == date.fromordinal(inst["start_day"])) else None
            periods.append(Period(start, inst["due_date"], whole))
        method = Method(ln.method)
        shorten = product.prepayment_effect is PrepaymentEffect.SHORTEN_TERM
        lines: list[Line] = amortize(
            balance,
            ln.rate,
            periods,
            method,
            Frequency(ln.frequency),
            product.day_count,
            product.rounding,
            product.installment_rounding,
            installment=ln.installment_amount if shorten and method is Method.EQUAL_INSTALLMENT else None,
            principal_per_period=unbilled[0]["principal"] if shorten and method is Method.EQUAL_PRINCIPAL else None,
            first_seq=unbilled[0]["seq"],
        )
        rows = [installment_row(ln.borrower_id, ln.id, line, ln.grace_days, False) for line in lines]
        uow.conn.execute(INSERT_INSTALLMENT, rows)
        values: dict[str, Any] = {
            "cur_seq": rows[0]["seq"],
            "accrual_start_day": day(today),
            "next_due_day": rows[0]["due_day"],
            "accrual_interest": rows[0]["interest"],
            "maturity_date": lines[-1].due,
        }
        if not shorten and method is Method.EQUAL_INSTALLMENT:
            values["installment_amount"] = lines[0].total
        return values

    def _payoff(self, uow: UnitOfWork, ln: Row[Any], as_of: date) -> PayoffQuote:
        product = load_product(uow.conn, ln.product_code, ln.product_version, self._product_cache)
        return payoff_of(uow, ln, as_of, product)
