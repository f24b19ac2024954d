"""The page's statements are built once per filter (analytics/built.py): reused, never a stale answer."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from fairlend.analytics import queries
from fairlend.analytics.model import Filter, Portfolio
from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.money import Money
from tests.lending.conftest import BASE


def _originated(p: Portfolio) -> int:
    return sum(g.originated for g in p.grade_months)


def _charged_off(p: Portfolio) -> int:
    return sum(loss.charged_off_minor for loss in p.losses)


def test_the_same_filter_read_again_sees_every_loan_booked_and_charged_off_since(
    container: Container, clock: FixedClock
) -> None:
    lending = container.lending
    currency = container.profile.currency
    lending.products.define(replace(BASE, currency=currency))
    today = clock.business_date()
    flt = Filter(today - timedelta(days=40), today)
    first = lending.book_loan("brw_a", BASE.code, Money.of("3000", currency))
    before = container.analytics.portfolio(flt)

    lending.book_loan("brw_b", BASE.code, Money.of("4000", currency))
    lost = lending.charge_off(first)
    after = container.analytics.portfolio(Filter(flt.start, flt.end))  # an equal filter, another object

    assert (_originated(before), _charged_off(before)) == (1, 0)
    assert (_originated(after), _charged_off(after)) == (2, lost.minor)
    assert after == container.analytics.portfolio(flt, live=True)


def test_equal_filters_meet_the_same_built_statement_and_another_filter_builds_its_own() -> None:
    a = Filter(date(2026, 1, 1), date(2026, 3, 31))
    assert queries.filtered_loans(a, None) is queries.filtered_loans(Filter(a.start, a.end), None)
    assert queries.filtered_loans(a, None) is not queries.filtered_loans(Filter(a.start, a.end, "B"), None)
