"""Many loans' state and days past due in one read, as each loan's own facts give them."""

from __future__ import annotations

from datetime import date

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.lending.model import LoanState, Product
from tests.lending.helpers import cny, eod_through


def test_many_loans_states_and_days_past_due_read_at_once_match_each_loans_facts(
    container: Container, clock: FixedClock, cash12: Product
) -> None:
    late = container.lending.book_loan("brw_a", "cash-12", cny("10000"))
    current = container.lending.book_loan("brw_b", "cash-12", cny("5000"))
    settled = container.lending.book_loan("brw_c", "cash-12", cny("1000"))
    container.lending.repay(settled, cny("2000"))  # more than it owes: settled, the rest refunded
    eod_through(container, clock, date(2026, 4, 9))
    container.lending.repay(current, cny("1000"))
    eod_through(container, clock, date(2026, 4, 20))
    loans = (late, current, settled)
    # Thousands of unknown ids around them: asked in chunks, left out of the answer.
    asked = [f"loan_unknown_{i:05d}" for i in range(2_500)] + list(loans)

    states = container.lending.loan_states(asked)

    assert states == {
        loan_id: (facts.state, facts.days_past_due)
        for loan_id, facts in ((i, container.lending.loan_facts(i)) for i in loans)
    }
    assert states[late][0] is LoanState.ACTIVE and states[late][1] > 0
    assert states[current] == (LoanState.ACTIVE, 0)
    assert states[settled][0] is LoanState.SETTLED
    assert container.lending.loan_states([]) == {}
