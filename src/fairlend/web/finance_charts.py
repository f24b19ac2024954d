"""The provisions page's charts: loans by class, and each segment's allowance against its exposure.

Drawn by static/charts.js, each with its figures in the table under it
(web/charts.py). One series per currency: a profile books one currency, but
the desk never adds amounts of two currencies together.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from fairlend.finance.service import SegmentView
from fairlend.web.charts import Chart, Numbers, Series, Table, major, ratio
from fairlend.web.i18n import Translator


def coverage(segment: SegmentView) -> Decimal | None:
    """The allowance as a share of the exposure it covers (None where nothing is exposed)."""
    return None if segment.ead == 0 else Decimal(segment.closing) / Decimal(segment.ead)


def classes_chart(
    counts: Mapping[tuple[str, str], int], classes: Sequence[str], currencies: Sequence[str], t: Translator
) -> Chart:
    """Loans in each class but the first, now (the first holds every loan that is not classified down)."""
    n = Numbers(t.locale)
    shown = classes[1:]
    names = tuple(t("finance.class." + c) for c in shown)
    return Chart(
        "classes",
        t("finance.chart.classes"),
        "bar",
        names,
        tuple(Series(cur, tuple(float(counts.get((cur, c), 0)) for c in shown)) for cur in currencies),
        Table(
            (t("finance.currency_column"), t("finance.segment"), t("finance.loans")),
            tuple(
                (cur, name, n.count(counts.get((cur, c), 0)))
                for cur in currencies
                for c, name in zip(shown, names, strict=True)
            ),
            empty=t("finance.classification.none"),
        ),
        lead=t("finance.chart.classes_lead"),
    )


def _axis(segments: Sequence[SegmentView], t: Translator) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The segments' class names (the x axis, in the profile's order) and their currencies (one series each)."""
    names = tuple(dict.fromkeys(t("finance.class." + s.segment) for s in segments))
    return names, tuple(dict.fromkeys(s.currency for s in segments))


def allowance_chart(segments: Sequence[SegmentView], t: Translator) -> Chart:
    """Each segment's closing allowance at the month-end, with its exposure and coverage in the table."""
    n = Numbers(t.locale)
    names, currencies = _axis(segments, t)
    by = {(s.currency, t("finance.class." + s.segment)): s for s in segments}
    series = tuple(
        Series(cur, tuple(major(by[cur, name].closing, cur) if (cur, name) in by else 0.0 for name in names))
        for cur in currencies
    )
    rows = [
        (
            s.currency,
            t("finance.class." + s.segment),
            n.count(s.loans),
            n.money(s.ead, s.currency),
            n.money(s.closing, s.currency),
            "" if (share := coverage(s)) is None else n.percent(share),
        )
        for s in segments
    ]
    return Chart(
        "allowance",
        t("finance.chart.allowance"),
        "bar",
        names,
        series,
        Table(
            (
                t("finance.currency_column"),
                t("finance.segment"),
                t("finance.loans"),
                t("finance.ead"),
                t("finance.closing"),
                t("finance.chart.coverage"),
            ),
            tuple(rows),
            empty=t("finance.allowance.none"),
        ),
        lead=t("finance.chart.allowance_lead"),
    )


def coverage_chart(segments: Sequence[SegmentView], t: Translator) -> Chart:
    """The allowance over the exposure by segment: how much of each class's balance is provided for."""
    n = Numbers(t.locale)
    names, currencies = _axis(segments, t)
    shares = {(s.currency, t("finance.class." + s.segment)): coverage(s) for s in segments}

    def point(cur: str, name: str) -> float | None:
        share = shares.get((cur, name))
        return None if share is None else ratio(share)

    def shown(share: Decimal | None) -> str:
        return "" if share is None else n.percent(share)

    return Chart(
        "coverage",
        t("finance.chart.coverage_title"),
        "bar",
        names,
        tuple(Series(cur, tuple(point(cur, name) for name in names)) for cur in currencies),
        Table(
            (t("finance.currency_column"), t("finance.segment"), t("finance.chart.coverage")),
            tuple((s.currency, t("finance.class." + s.segment), shown(coverage(s))) for s in segments),
            empty=t("finance.allowance.none"),
        ),
        percent=True,
        lead=t("finance.chart.coverage_lead"),
    )


def provisions_charts(
    counts: Mapping[tuple[str, str], int],
    classes: Sequence[str],
    currencies: Sequence[str],
    segments: Sequence[SegmentView],
    t: Translator,
) -> list[Chart]:
    return [classes_chart(counts, classes, currencies, t), allowance_chart(segments, t), coverage_chart(segments, t)]
