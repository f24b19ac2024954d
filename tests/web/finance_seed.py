"""A closed month and a request to reopen it, for the page sweeps (language, browser): the demo's end-of-day
has run past last month's end, so the finance operator's close page shows a closed month, its figures,
and another operator's request waiting for a decision (the approve and refuse forms)."""

from __future__ import annotations

from datetime import timedelta

from fairlend.bootstrap import Container

ANOTHER_OPERATOR = "op_finance_second"


def seed_finance(container: Container) -> str:
    """Close the last finished month; another finance operator asks to reopen it. Returns the month."""
    today = container.clock.business_date()
    month = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    closing = container.finance.closing
    closing.close(month, ANOTHER_OPERATOR)
    closing.request_reopen(month, ANOTHER_OPERATOR, "a supplier invoice arrived late")
    return month
