"""A simulated year of end-of-day over a mixed portfolio, then `fairlend verify` finds nothing."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.lending.model import FeeTreatment, Frequency, LoanState, Method, PrepaymentEffect
from tests.lending.conftest import product
from tests.lending.helpers import cny


def test_a_year_of_end_of_day_over_current_late_prepaid_settled_and_charged_off_loans_verifies_clean(
    container: Container, clock: FixedClock
) -> None:
    rng = random.Random(4)
    lending = container.lending
    lending.products.define(product(code="ei", origination_fee_rate=Decimal("0.01")))
    lending.products.define(
        product(code="ep", method=Method.EQUAL_PRINCIPAL, frequency=Frequency.BIWEEKLY, term=24, grace_days=2)
    )
    lending.products.define(
        product(
            code="io",
            method=Method.INTEREST_ONLY_BALLOON,
            term=6,
            prepayment_effect=PrepaymentEffect.LOWER_INSTALLMENT,
            origination_fee_treatment=FeeTreatment.FINANCED,
            origination_fee_rate=Decimal("0.02"),
        )
    )
    lending.products.define(product(code="sp", method=Method.SINGLE_PAYMENT, frequency=Frequency.WEEKLY, term=4))
    kinds = ["current", "late", "prepaid", "settled", "charged_off"]
    loans: dict[str, str] = {}
    for i in range(25):
        code = ["ei", "ep", "io", "sp"][i % 4]
        loans[lending.book_loan(f"brw_{i}", code, cny(str(rng.randrange(1_000, 50_000))))] = kinds[i % 5]
    start = clock.business_date()
    for offset in range(365):
        today = start + timedelta(days=offset)
        for loan_id, kind in loans.items():
            facts = lending.loan_facts(loan_id)
            if facts.state is not LoanState.ACTIVE:
                continue
            due = facts.next_due_date
            if kind == "current" and due == today:
                lending.repay(loan_id, facts.next_due_amount)
            elif kind == "late" and facts.days_past_due >= 20 and rng.random() < 0.5:
                lending.repay(loan_id, facts.overdue_amount)
            elif kind == "prepaid" and due == today:
                lending.repay(loan_id, facts.next_due_amount + cny("500"))
            elif kind == "settled" and offset == 100:
                lending.settle_early(loan_id)
            elif kind == "charged_off" and facts.days_past_due > 90:
                lending.charge_off(loan_id)
        container.eod.run_day(today)
    assert clock.business_date() == start + timedelta(days=365)
    states = {lending.loan_facts(loan_id).state for loan_id in loans}
    assert {LoanState.ACTIVE, LoanState.SETTLED, LoanState.CHARGED_OFF} <= states
    prepaid = [lending.loan_detail(i) for i, kind in loans.items() if kind == "prepaid"]
    # Over-payments shortened terms: installments were dropped, or the loan was settled before its maturity.
    assert any(len(d.schedule) < d.term or (d.facts.settled_on or d.maturity_date) < d.maturity_date for d in prepaid)
    assert any(len(d.schedule) < d.term for d in prepaid)
    assert lending.delinquent_loans() or any(lending.loan_facts(i).days_past_due for i in loans)
    assert container.verify() == []
