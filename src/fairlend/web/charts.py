"""Charts as data: what a page (or the report file) hands to static/charts.js, and the table under each.

A chart is drawn by ECharts (static/vendor/echarts) from a JSON block in the
page (`<script type="application/json" id="fl-charts">`: no inline script, CSP
script-src 'self'). Its data is also a table under it, formatted here with
Babel in the reader's locale, for people who cannot see the chart and for
anyone who wants the exact figures. Chart numbers are plain (major units,
ratios as fractions); charts.js formats their axes with the page's locale.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal, format_percent

from fairlend.money import Money


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    data: tuple[float | None, ...]
    stack: str = ""  # series with the same stack are stacked
    colors: tuple[str, ...] = ()  # per point (the credit history strip)
    labels: tuple[str, ...] = ()  # per point, for the tooltip (the strip's status in words)


@dataclass(frozen=True, slots=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    id_columns: frozenset[int] = frozenset()  # columns of identifiers (class="id"), not words
    empty: str = ""


@dataclass(frozen=True, slots=True)
class Chart:
    id: str
    title: str
    kind: str  # bar | line | strip
    x: tuple[str, ...]
    series: tuple[Series, ...]
    table: Table
    percent: bool = False  # values are fractions, shown as percentages
    horizontal: bool = False  # categories on the vertical axis (long labels)
    lead: str = ""  # one sentence saying what the chart measures
    extra: dict[str, Any] = field(default_factory=dict)


def charts_json(charts: Iterable[Chart], locale: str, *, animate: bool = True) -> str:
    """The JSON block: safe inside <script type="application/json"> (no `</script>` can close it)."""
    payload = {
        "locale": locale,
        "animate": animate,
        "charts": [
            {
                "id": c.id,
                "kind": c.kind,
                "x": list(c.x),
                "percent": c.percent,
                "horizontal": c.horizontal,
                "series": [
                    {
                        "name": s.name,
                        "data": list(s.data),
                        "stack": s.stack,
                        "colors": list(s.colors),
                        "labels": list(s.labels),
                    }
                    for s in c.series
                ],
            }
            for c in charts
        ],
    }
    return json.dumps(payload, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")


class Numbers:
    """Babel formatting in one locale: counts, money, percentages."""

    def __init__(self, locale: str) -> None:
        self.locale = locale.replace("-", "_")

    def count(self, value: int) -> str:
        return format_decimal(value, locale=self.locale)

    def money(self, minor: int, currency: str) -> str:
        return Money(minor, currency).format(self.locale)

    def percent(self, value: Decimal | float) -> str:
        return format_percent(value, "#,##0.0%", locale=self.locale)


def major(minor: int, currency: str) -> float:
    """A chart's number for an amount: major units, as the axis shows them (the table has the exact figure)."""
    return float(Money(minor, currency).to_decimal())


def ratio(value: Decimal) -> float:
    return round(float(value), 6)


def pivot(
    cells: Iterable[tuple[str, str, float]], xs: Sequence[str], names: Sequence[str]
) -> dict[str, tuple[float | None, ...]]:
    """(x, series name, value) -> one data tuple per series name, aligned on xs (missing: 0)."""
    found: dict[tuple[str, str], float] = {}
    for x, name, value in cells:
        found[x, name] = found.get((x, name), 0) + value
    return {name: tuple(found.get((x, name), 0) for x in xs) for name in names}
