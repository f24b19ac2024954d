"""A hardship plan accepted through hardship's own use cases puts the loan at the profile's restructured floor.

The late loan (59 days past due, cn: special mention) is rescheduled by an interest-stop plan: its days
past due alone would keep it at special mention, yet finance classifies it at the restructured floor
(substandard) from the plan's day, marked restructured, as the profile's rule for restructured assets asks.
"""

from __future__ import annotations

from datetime import timedelta

from fairlend.bootstrap import Container
from fairlend.finance.credit_loss import classify
from fairlend.finance.model import Period
from fairlend.finance.wiring import finance_step
from fairlend.hardship.model import Kind, Terms
from fairlend.hardship.plans import HardshipStep
from fairlend.lending.eod import EndOfDay
from tests.hardship.conftest import cash12, late_loan  # noqa: F401  (fixtures)
from tests.hardship.helpers import file, offer_and_accept


def test_an_accepted_hardship_plan_puts_the_loan_at_the_restructured_floor_whatever_its_days_past_due(
    container: Container,
    late_loan: str,  # noqa: F811
) -> None:
    container.eod = EndOfDay(container.uow, container.ledger, container.profile, container.clock)
    container.eod.register(HardshipStep(container.hardship))
    container.eod.register(finance_step(container.finance))
    finance = container.profile.finance
    today = container.clock.business_date()
    container.eod.run_day(today)  # classified by its days past due before the plan
    assert container.finance.class_counts() == {("CNY", "special_mention"): 1}
    plan_day = container.clock.business_date()
    assert plan_day == today + timedelta(days=1)
    p = container.lending.position(late_loan)
    offer_and_accept(
        container,
        file(container, late_loan),
        Terms(Kind.INTEREST_STOP, periods=12, waive_penalty=p.penalty, waive_fees=p.fees),
    )
    container.eod.run_day(plan_day)
    facts = container.lending.loan_facts(late_loan)
    assert facts is not None  # its days alone would still say special mention: the plan holds the arrears
    assert classify(facts.days_past_due, None, plan_day, finance) == "special_mention"
    assert container.finance.class_counts() == {("CNY", finance.restructured_floor): 1}
    (change,) = container.finance.changes(Period(plan_day, plan_day), loan_id=late_loan)
    assert change.restructured and change.to_class == finance.restructured_floor == "substandard"
