"""A repayment as a plan, then its writes: the one waterfall path for a single payment and for a file.

`plan_repayment` takes a loan as it stands (`OpenLoan`: its row and its open
installments, held in memory under the loan's lock) and a payment, splits
the payment through the product's waterfall, works out the loan's new
balances, delinquency and (after a prepayment) its rebuilt schedule, the
repayment row, the events and the journal entry, and then moves the
`OpenLoan` on to its state after the payment. Nothing is written. A payment
it refuses (another currency, a prepayment the product forbids, a loan no
longer active) raises before anything moves.

The writes come after, for any number of plans (`repayment_writes.py`): `write_loans` writes each
loan's final state once (the installments paid, the rebuilt schedule, the
loan row) and `write_plans` the repayments, delinquency transitions and
events, each as one statement over all of them. A single repayment writes
one plan; a repayment file plans every line of a chunk in order, a loan
paid twice in it planned from its state after the first, and writes the
chunk at once (`files.py`). Both therefore give the same rows, events and
journal entries, by construction: there is one waterfall.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from fairlend.errors import Conflict, Invalid
from fairlend.events import DomainEvent
from fairlend.ids import new_id
from fairlend.jurisdiction.model import Profile
from fairlend.ledger.model import AccountKey, AccountType, JournalEntry, Posting, entry
from fairlend.lending.events import LoanSettled, RepaymentPosted
from fairlend.lending.model import Frequency, LoanState, Method, PrepaymentEffect, Product
from fairlend.lending.paying_early import FIRST_SCHEDULE, bill_next_early
from fairlend.lending.schedule import Line, Period, amortize, day, product_basis
from fairlend.lending.subledger import (
    delinquency_of,
    installment_row,
    transition_of,
)
from fairlend.lending.views import RepaymentResult
from fairlend.lending.waterfall import OpenInstallment, allocate_payment
from fairlend.money import Money


@dataclass(slots=True)
class OpenLoan:
    """A loan under its lock, as the repayments planned so far have left it (nothing written yet).

    `row` holds the loan's columns; `billed` its billed, unpaid installments in seq order, as
    dicts of their columns. The unbilled ones matter to a payment only as the principal they
    still carry, unless a prepayment rebuilds them: `unbilled` holds their rows when they were
    read (None: not yet, `read_unbilled` reads them when a plan needs them). What the writes
    need is tracked as plans apply: the installments paid on (`paid`, by seq) and whether the
    unbilled ones were rebuilt.
    """

    row: dict[str, Any]
    product: Product
    billed: list[dict[str, Any]]
    unbilled_principal: int
    unbilled: list[dict[str, Any]] | None = None
    read_unbilled: Callable[[], list[dict[str, Any]]] | None = None
    paid: dict[int, dict[str, Any]] = field(default_factory=dict)
    # (seq, interest as billed) of installments billed before their due date (paying_early.py)
    billed_early: list[tuple[int, int]] = field(default_factory=list)
    rescheduled: bool = False
    changed: bool = False

    @classmethod
    def of(cls, row: dict[str, Any], product: Product, installments: list[dict[str, Any]]) -> OpenLoan:
        """A loan and every one of its open installments, billed or not."""
        unbilled = [i for i in installments if not i["billed"]]
        return cls(
            row,
            product,
            [i for i in installments if i["billed"]],
            sum(i["principal"] - i["principal_paid"] for i in unbilled),
            unbilled,
        )

    @property
    def loan_id(self) -> str:
        return str(self.row["id"])

    def unbilled_rows(self) -> list[dict[str, Any]]:
        if self.unbilled is None:
            if self.read_unbilled is None:
                raise RuntimeError(f"loan {self.loan_id}: unbilled installments neither given nor readable")
            self.unbilled = self.read_unbilled()
        return self.unbilled


@dataclass(frozen=True, slots=True)
class RepaymentPlan:
    repayment: dict[str, Any]  # the loan_repayment row
    transition: dict[str, Any] | None  # the loan_delinquency_transition row, when the bucket changes
    events: list[DomainEvent]
    entry: JournalEntry
    currency: str
    outstanding_principal: int
    days_past_due: int
    state: LoanState

    @property
    def repayment_id(self) -> str:
        return str(self.repayment["id"])

    def result(self) -> RepaymentResult:
        """The answer a caller gets (made on demand: a file's lines need only the repayment's id)."""
        r, cur = self.repayment, self.currency
        return RepaymentResult(
            repayment_id=self.repayment_id,
            loan_id=r["loan_id"],
            amount=Money(r["amount"], cur),
            principal_paid=Money(r["principal"], cur),
            interest_paid=Money(r["interest"], cur),
            penalty_paid=Money(r["penalty"], cur),
            fees_paid=Money(r["fees"], cur),
            prepayment_fee=Money(r["prepayment_fee"], cur),
            refunded=Money(r["refunded"], cur),
            outstanding_principal=Money(self.outstanding_principal, cur),
            days_past_due=self.days_past_due,
            state=self.state,
        )


def plan_repayment(
    loan: OpenLoan,
    amount: Money,
    *,
    today: date,
    now: datetime,
    profile: Profile,
    reference: str,
    received_into: AccountKey | None,
) -> RepaymentPlan:
    """Plan a payment into an active loan through its product's waterfall, and move `loan` past it."""
    ln, product = loan.row, loan.product
    if ln["state"] != LoanState.ACTIVE.value:
        raise Conflict("loan_not_active", f"loan {loan.loan_id} is {ln['state']}; it takes no repayments")
    if amount.currency != ln["currency"]:
        raise Invalid("currency_mismatch", f"loan {loan.loan_id} is in {ln['currency']}")
    # A modified loan's next installment paid before its due date is billed today, then paid (paying_early.py).
    early = (
        bill_next_early(ln, loan.billed, loan.unbilled_rows(), amount.minor, today)
        if ln["schedule_version"] > FIRST_SCHEDULE
        else None
    )
    if early is not None:
        ln = early.row  # a copy, with the installment billed: the loan moves only once nothing refuses
    billed = early.billed if early is not None else loan.billed
    unbilled_principal = early.unbilled_principal if early is not None else loan.unbilled_principal
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
        penalty=ln["penalty_due"],
        accrued_interest=ln["accrued_interest"],
        unbilled_principal=unbilled_principal,
        waterfall=product.waterfall,
        prepayment_allowed=product.prepayment_allowed,
        prepayment_fee_rate=product.prepayment_fee_rate,
        rounding=product.rounding,
    )
    if alloc.accrued_interest and alloc.accrued_interest < ln["accrued_interest"]:
        # Interest not yet due is paid whole or not at all: the period restarts on the new balance.
        alloc.excess += alloc.accrued_interest
        alloc.accrued_interest = 0
    # Each is a sum over the installments paid: worked out once.
    paid_principal, paid_interest = alloc.principal, alloc.interest
    paid_fees, paid_billed_fees = alloc.fees, alloc.billed_fees
    principal_left = ln["principal_outstanding"] - paid_principal
    settles = (
        principal_left == 0
        and ln["interest_due"] + ln["accrued_interest"] == paid_interest
        and ln["penalty_due"] == alloc.penalty
        and ln["fees_due"] == paid_billed_fees
    )
    if alloc.excess and not settles and not product.prepayment_allowed:
        raise Invalid(
            "prepayment_not_allowed",
            f"product {product.code} takes no prepayment; at most {amount.minor - alloc.excess} minor units are due",
        )
    # Refused above or planned in full below: from here on the loan moves.
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
        loan.paid[inst["seq"]] = inst
    values: dict[str, Any] = {}
    if alloc.accrued_interest or alloc.prepaid_principal:
        balance = unbilled_principal - alloc.prepaid_principal
        still_unbilled = early.unbilled if early is not None else loan.unbilled_rows()
        rescheduled, rebuilt = reschedule(ln, product, still_unbilled, balance, today)
        # The accrued interest was paid whole, a recalculated loan's extra interest with it: the period
        # restarts today, and so does its extra interest.
        values.update(rescheduled, recalc_e10=0)
        loan.unbilled, loan.unbilled_principal, loan.rescheduled = rebuilt, balance, True
    elif early is not None:
        loan.unbilled, loan.unbilled_principal = early.unbilled, early.unbilled_principal
    if early is not None:
        loan.billed_early.append((early.seq, early.interest_billed))
    billed_principal_paid = paid_principal - alloc.prepaid_principal
    billed_interest_paid = paid_interest - alloc.accrued_interest
    penalty_left = ln["penalty_due"] - alloc.penalty
    found = delinquency_of(billed, penalty_left, ln["grace_days"], day(today) - 1, ln["first_delinquency_day"])
    if ln["delinquency_held"]:
        # A modified loan's status stays as reported until the plan re-ages it or breaks (modifying.py).
        found = replace(found, dpd=ln["dpd"], first_delinquency_day=ln["first_delinquency_day"])
    bucket = profile.bucket_for(found.dpd).name
    state = LoanState.SETTLED if settles else LoanState.ACTIVE
    values.update(
        principal_outstanding=principal_left,
        principal_due=ln["principal_due"] - billed_principal_paid,
        interest_due=ln["interest_due"] - billed_interest_paid,
        accrued_interest=ln["accrued_interest"] - alloc.accrued_interest,
        penalty_due=penalty_left,
        fees_due=ln["fees_due"] - paid_billed_fees,
        oldest_due_day=found.oldest_due_day,
        overdue_principal=found.overdue_principal,
        overdue_amount=found.overdue_amount,
        dpd=found.dpd,
        bucket=bucket,
        first_delinquency_day=found.first_delinquency_day,
        state=state.value,
        settled_on=today if settles else None,
    )
    refunded = alloc.excess
    repayment_id = new_id("rpy")
    borrower_id, loan_id, cur = ln["borrower_id"], loan.loan_id, ln["currency"]
    repayment = {
        "borrower_id": borrower_id,
        "id": repayment_id,
        "loan_id": loan_id,
        "business_date": today,
        "amount": amount.minor,
        "principal": paid_principal,
        "interest": paid_interest,
        "penalty": alloc.penalty,
        "fees": paid_fees,
        "prepayment_fee": alloc.prepayment_fee,
        "refunded": refunded,
        "reference": reference[:80],
        "created_at": now,
    }
    events: list[DomainEvent] = [
        RepaymentPosted(
            loan_id=loan_id,
            borrower_id=borrower_id,
            repayment_id=repayment_id,
            amount=amount,
            principal_paid=Money(paid_principal, cur),
            interest_paid=Money(paid_interest, cur),
            penalty_paid=Money(alloc.penalty, cur),
            fees_paid=Money(paid_fees, cur),
            outstanding_principal=Money(principal_left, cur),
            days_past_due=found.dpd,
            business_date=today,
            received_days_past_due=max(0, day(today) - ln["oldest_due_day"]) if ln["oldest_due_day"] else 0,
            refunded=Money(refunded, cur),
        )
    ]
    transition = None
    if bucket != ln["bucket"]:
        transition, changed = transition_of(
            borrower_id, loan_id, cur, ln["bucket"], bucket, found, principal_left, today
        )
        events.append(changed)
    if settles:
        events.append(
            LoanSettled(
                loan_id=loan_id,
                borrower_id=borrower_id,
                settled_on=today,
                was_overdue=ln["dpd"] > 0,
                business_date=today,
            )
        )
    parts: list[tuple[AccountKey, int]] = [
        (AccountKey(AccountType.LOAN_PRINCIPAL, cur), paid_principal),
        (AccountKey(AccountType.INTEREST_RECEIVABLE, cur), billed_interest_paid),
        (AccountKey(AccountType.ACCRUED_INTEREST, cur), alloc.accrued_interest),
        (AccountKey(AccountType.PENALTY_RECEIVABLE, cur), alloc.penalty),
        (AccountKey(AccountType.FEE_RECEIVABLE, cur), paid_billed_fees),
        (AccountKey(AccountType.FEE_INCOME, cur), alloc.prepayment_fee),
        (AccountKey(AccountType.BORROWER_CREDIT, cur, borrower_id), refunded),
    ]
    if early is not None:
        # The early billing (paying_early.py): the installment's interest receivable, from what had accrued
        # and, for the days still to come, from income now; netted with the payment's parts below.
        parts += [
            (AccountKey(AccountType.INTEREST_RECEIVABLE, cur), -early.interest_billed),
            (AccountKey(AccountType.ACCRUED_INTEREST, cur), early.accrued_moved),
            (AccountKey(AccountType.INTEREST_INCOME, cur), early.interest_billed - early.accrued_moved),
        ]
    net: dict[AccountKey, int] = {}
    for key, minor in parts:
        net[key] = net.get(key, 0) + minor
    # Signed as debit and credit would sign them (the amounts are positive), without their copies.
    postings = [Posting(received_into or AccountKey(AccountType.PLATFORM_CASH, cur), amount)]
    postings += [Posting(key, Money(-minor, cur)) for key, minor in net.items() if minor]
    ln.update(values)
    loan.row = ln
    loan.billed = [i for i in billed if i["paid_on"] is None]
    loan.changed = True
    return RepaymentPlan(
        repayment=repayment,
        transition=transition,
        events=events,
        entry=entry(today, "loan_repayment", *postings, reference=repayment_id),
        currency=cur,
        outstanding_principal=principal_left,
        days_past_due=found.dpd,
        state=state,
    )


def reschedule(
    ln: dict[str, Any], product: Product, unbilled: list[dict[str, Any]], balance: int, today: date
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The unbilled installments rebuilt after a prepayment, from today, on the new balance.

    Returns the loan's new schedule columns and the new unbilled installment rows.
    """
    if balance == 0 or not unbilled:
        last_billed = ln["maturity_date"] if not unbilled else date.fromordinal(unbilled[0]["start_day"])
        return {
            "next_due_day": None,
            "accrual_interest": 0,
            "accrual_start_day": day(today),
            "maturity_date": last_billed,
        }, []
    monthly = Frequency(ln["frequency"]) is Frequency.MONTHLY
    periods = []
    for k, inst in enumerate(unbilled):
        # After an early billing (paying_early.py) the first period left starts on a later day than today.
        start = date.fromordinal(inst["start_day"]) if k else max(today, date.fromordinal(inst["start_day"]))
        whole = 1 if monthly and (k > 0 or start == date.fromordinal(inst["start_day"])) else None
        periods.append(Period(start, inst["due_date"], whole))
    method = Method(ln["method"])
    shorten = product.prepayment_effect is PrepaymentEffect.SHORTEN_TERM
    lines: list[Line] = amortize(
        balance,
        ln["rate"],
        periods,
        method,
        Frequency(ln["frequency"]),
        product.day_count,
        product.rounding,
        product.installment_rounding,
        installment=ln["installment_amount"] if shorten and method is Method.EQUAL_INSTALLMENT else None,
        principal_per_period=unbilled[0]["principal"] if shorten and method is Method.EQUAL_PRINCIPAL else None,
        first_seq=unbilled[0]["seq"],
        # Flat interest is re-based on the balance left; interest-free periods still to come stay free.
        basis=replace(
            product_basis(product, balance),
            interest_free=max(0, product.interest_free_periods - unbilled[0]["seq"] + 1),
        ),
    )
    rows = [installment_row(ln["borrower_id"], ln["id"], line, ln["grace_days"], False) for line in lines]
    values: dict[str, Any] = {
        "cur_seq": rows[0]["seq"],
        "accrual_start_day": day(periods[0].start),
        "next_due_day": rows[0]["due_day"],
        "accrual_interest": rows[0]["interest"],
        "maturity_date": lines[-1].due,
    }
    if not shorten and method is Method.EQUAL_INSTALLMENT:
        values["installment_amount"] = lines[0].total
    return values, rows
