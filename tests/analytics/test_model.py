"""The pure arithmetic between the SQL and the page, against independent computations (statistics, by hand)."""

from __future__ import annotations

import statistics
from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from fairlend.analytics.model import (
    Filter,
    blocked_by_rule,
    calibration,
    months,
    nar_distribution,
    percentile,
    roll_rates,
    vintage_curves,
)


def test_the_months_of_a_range_end_at_the_range_not_past_it() -> None:
    got = months(Filter(date(2025, 11, 15), date(2026, 2, 10)))
    assert [(m.label, m.first, m.last) for m in got] == [
        ("2025-11", date(2025, 11, 15), date(2025, 11, 30)),
        ("2025-12", date(2025, 12, 1), date(2025, 12, 31)),
        ("2026-01", date(2026, 1, 1), date(2026, 1, 31)),
        ("2026-02", date(2026, 2, 1), date(2026, 2, 10)),
    ]


@given(
    st.lists(st.decimals(min_value=-1, max_value=1, places=4), min_size=2, max_size=40),
    st.sampled_from([10, 25, 50, 75, 90]),
)
def test_a_percentile_is_the_inclusive_quantile_statistics_computes(values: list[Decimal], p: int) -> None:
    ordered = sorted(values)
    expected = statistics.quantiles([float(v) for v in ordered], n=100, method="inclusive")[p - 1]
    assert abs(float(percentile(ordered, p)) - expected) < 1e-9


def test_the_nar_distribution_counts_each_investor_in_one_band_and_those_without_a_nar_apart() -> None:
    nars = [Decimal("-0.2"), Decimal("0.01"), Decimal("0.05"), Decimal("0.05"), Decimal("0.31"), None, None]
    d = nar_distribution(nars)
    assert (d.investors, d.without) == (5, 2)
    assert sum(b.investors for b in d.bands) == 5
    assert [b.investors for b in d.bands if b.low <= Decimal("0.05") < b.high] == [2]
    assert dict(d.percentiles)[50] == Decimal("0.05")
    assert nar_distribution([]).percentiles == ()


def test_roll_rates_share_each_starting_bucket_among_where_its_loans_went() -> None:
    rates = roll_rates(
        [("current", "current", 8), ("current", "M1", 2), ("M1", "current", 1), ("M1", "M2", 3), ("M1", "settled", 1)],
        ("current", "M1", "M2"),
    )
    got = {(r.from_bucket, r.to_bucket): (r.loans, r.from_loans, r.share) for r in rates}
    assert got[("current", "M1")] == (2, 10, Decimal("0.2"))
    assert got[("M1", "M2")] == (3, 5, Decimal("0.6"))
    assert sum(r.share for r in rates if r.from_bucket == "M1") == 1
    assert [r.to_bucket for r in rates if r.from_bucket == "M1"] == ["current", "M2", "settled"]


def test_a_vintage_curve_is_cumulative_and_never_falls() -> None:
    points = vintage_curves(
        [("2026-01", 10), ("2026-03", 4)], [("2026-01", "2026-02", 1), ("2026-01", "2026-04", 2)], "2026-04"
    )
    jan = [(p.months_on_book, p.defaulted) for p in points if p.vintage == "2026-01"]
    assert jan == [(0, 0), (1, 1), (2, 1), (3, 3)]
    assert [(p.months_on_book, p.defaulted, p.loans) for p in points if p.vintage == "2026-03"] == [
        (0, 0, 4),
        (1, 0, 4),
    ]


def test_an_attempt_that_broke_two_rules_counts_under_each() -> None:
    got = blocked_by_rule([("P-2,P-7", "op_a", 2), ("P-2", "op_b", 1), ("", "op_c", 5)])
    assert [(b.rule, b.collector_id, b.attempts) for b in got] == [
        ("P-2", "op_a", 2),
        ("P-2", "op_b", 1),
        ("P-7", "op_a", 2),
    ]


def test_calibration_weights_each_score_by_its_loans_and_skips_the_ungraded() -> None:
    got = calibration(
        [("A", 700, 3, 0, 1), ("A", 600, 1, 1, 1), ("", 650, 9, 9, 9), ("B", None, 2, 2, 2)], lambda s: s / 1000
    )
    (a,) = got
    assert (a.grade, a.loans, a.defaulted, a.seasoned) == ("A", 4, 1, 2)
    assert a.predicted == Decimal("0.675") and a.observed == Decimal("0.25")
