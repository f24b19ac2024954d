"""Every lending measure equals what the oracle wrote down while the hand-built book ran (tests/analytics/book.py).

The book: ten loans over five months on each backend, current, late and cured,
prepaying, defaulted and charged off, charged off and recovering. The oracle
is lending's own `loan_facts` after each end-of-day, recomputed in plain Python.
End-of-day writes the month-end snapshot as it goes, so the full months here are
read from it, as the page reads them (test_snapshot.py: the same figures live).
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from datetime import date

import pytest

from fairlend.analytics.model import CHARGED_OFF, SETTLED, Filter, Portfolio
from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.errors import Invalid
from tests.analytics.book import Oracle, build_book
from tests.finance.conftest import finance_only

DAYS = 175


@pytest.fixture
def book(container: Container, clock: FixedClock) -> tuple[Container, Oracle]:
    finance_only(container).eod.register(container.analytics.month_end_step())
    return container, build_book(container, clock, DAYS)


def _month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _portfolio(container: Container, oracle: Oracle, **kw: object) -> Portfolio:
    return container.analytics.portfolio(Filter(oracle.start, oracle.end, **kw))  # type: ignore[arg-type]


def test_originations_balances_buckets_and_roll_rates_match_the_book_day_by_day(book: tuple[Container, Oracle]) -> None:
    container, oracle = book
    p = _portfolio(container, oracle)
    buckets = p.buckets

    made: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for loan_id, opened in oracle.opened.items():
        made[_month(opened)][0] += 1
        made[_month(opened)][1] += oracle.principal[loan_id]
    assert {g.month: [g.originated, g.originated_minor] for g in p.grade_months if g.originated} == made
    assert {g.grade for g in p.grade_months} == {""}  # booked without offers: no grade

    held = {
        month: sum(o for s, o in loans.values() if s not in (SETTLED, CHARGED_OFF))
        for month, loans in oracle.snapshots.items()
    }
    assert {g.month: g.outstanding_minor for g in p.grade_months} == held

    in_buckets = Counter(
        (month, s) for month, loans in oracle.snapshots.items() for s, _ in loans.values() if s in buckets
    )
    assert {(b.month, b.bucket): b.loans for b in p.bucket_months} == dict(in_buckets)
    assert any(b.bucket != buckets[0] for b in p.bucket_months), "the book never went late: a weak test"

    months = sorted(oracle.snapshots)
    pairs = Counter(
        (oracle.snapshots[a][loan][0], oracle.snapshots[b][loan][0])
        for a, b in itertools.pairwise(months)
        for loan in oracle.snapshots[a]
        if oracle.snapshots[a][loan][0] in buckets
    )
    assert {(r.from_bucket, r.to_bucket): r.loans for r in p.roll_rates} == dict(pairs)
    for r in p.roll_rates:
        assert r.from_loans == sum(n for (f, _), n in pairs.items() if f == r.from_bucket)


def test_vintage_curves_and_losses_match_the_defaults_and_charge_offs_made(book: tuple[Container, Oracle]) -> None:
    container, oracle = book
    p = _portfolio(container, oracle)
    last = _month(oracle.end)
    expected = []
    for vintage in sorted({_month(d) for d in oracle.opened.values()}):
        loans = [loan for loan, d in oracle.opened.items() if _month(d) == vintage]
        age = (int(last[:4]) * 12 + int(last[5:])) - (int(vintage[:4]) * 12 + int(vintage[5:]))
        for k in range(age + 1):
            defaulted = 0
            for loan in loans:
                day = oracle.default_on(loan)
                if day is not None and (day.year * 12 + day.month) - (int(vintage[:4]) * 12 + int(vintage[5:])) <= k:
                    defaulted += 1
            expected.append((vintage, k, len(loans), defaulted))
    assert [(v.vintage, v.months_on_book, v.loans, v.defaulted) for v in p.vintages] == expected
    assert oracle.charged_on, "nothing was charged off: a weak test"
    assert p.vintages[-1].defaulted or any(v.defaulted for v in p.vintages)

    lending = container.lending
    charged = sum(lending.loan_detail(loan).charged_off.minor for loan in oracle.charged_on)
    recovered = sum(lending.loan_detail(loan).recovered.minor for loan in oracle.charged_on)
    (loss,) = p.losses
    assert (loss.loans, loss.defaulted) == (len(oracle.opened), sum(1 for x in oracle.opened if oracle.default_on(x)))
    assert (loss.charged_off_minor, loss.recovered_minor) == (charged, recovered)
    assert recovered > 0 and loss.net_loss_minor == charged - recovered


def test_a_narrower_range_counts_only_its_own_months_and_charge_offs(book: tuple[Container, Oracle]) -> None:
    container, oracle = book
    april = Filter(date(2026, 4, 1), date(2026, 4, 30))
    p = container.analytics.portfolio(april)
    assert {g.month for g in p.grade_months} == {"2026-04"}
    assert sum(g.originated for g in p.grade_months) == sum(1 for d in oracle.opened.values() if _month(d) == "2026-04")
    assert p.roll_rates == ()  # one month-end: nothing to roll to
    in_april = [loan for loan, d in oracle.charged_on.items() if _month(d) == "2026-04"]
    assert sum(x.charged_off_minor for x in p.losses) == sum(
        container.lending.loan_detail(loan).charged_off.minor for loan in in_april
    )


def test_a_grade_filter_keeps_only_that_grade_and_ungraded_loans_are_in_no_grade(
    book: tuple[Container, Oracle],
) -> None:
    container, oracle = book
    p = _portfolio(container, oracle, grade="A")
    assert p.grade_months == () and p.bucket_months == () and p.vintages == () and p.losses == ()


@pytest.mark.parametrize(
    ("start", "end", "grade", "code"),
    [
        (date(2026, 5, 1), date(2026, 4, 1), None, "analytics_range_invalid"),
        (date(2026, 4, 1), date(2026, 5, 1), "H", "analytics_grade_invalid"),
        (date(2026, 4, 1), date(2026, 5, 1), "A1", "analytics_grade_invalid"),
    ],
)
def test_a_reversed_range_or_an_unknown_grade_is_refused_with_its_code(
    start: date, end: date, grade: str | None, code: str
) -> None:
    with pytest.raises(Invalid) as refused:
        Filter(start, end, grade)
    assert refused.value.code == code
