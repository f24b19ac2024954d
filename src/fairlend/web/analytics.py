"""The console's analytics page: the portfolio's measures as charts, each with its table, for a range and a grade.

Analysts only (api/auth.py `ANALYSTS`). The page parses the filter, asks
`container.analytics` once and renders `web.analytics_charts`' charts, the
same ones `fairlend report` writes to a file.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from fairlend.analytics.model import GRADE_LETTERS, Filter
from fairlend.api.auth import ANALYSTS
from fairlend.api.deps import ContainerDep
from fairlend.bootstrap import Container
from fairlend.errors import DomainError, Invalid
from fairlend.web import i18n
from fairlend.web.analytics_charts import portfolio_charts
from fairlend.web.charts import charts_json
from fairlend.web.rendering import error_text, locale_of, operator, render

router = APIRouter(include_in_schema=False)
PAGE = "/operator/analytics"


def _day(text: str, name: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise Invalid("analytics_date_invalid", f"{name} must be a date, YYYY-MM-DD") from None


def default_range(today: date) -> tuple[date, date]:
    """The twelve months through today: from the first day of the month a year before."""
    return date(today.year - 1, today.month, 1), today


def parse_filter(container: Container, since: str, until: str, grade: str) -> Filter:
    start, end = default_range(container.clock.business_date())
    return Filter(_day(since, "from") or start, _day(until, "to") or end, grade.strip().upper() or None)


@router.get(PAGE, response_class=HTMLResponse)
def analytics_page(
    request: Request,
    container: ContainerDep,
    since: Annotated[str, Query(alias="from")] = "",
    until: Annotated[str, Query(alias="to")] = "",
    grade: str = "",
) -> HTMLResponse:
    operator(request, container, ANALYSTS)
    t = i18n.Translator(locale_of(request, container))
    typed = {"from": since, "to": until, "grade": grade}
    try:
        flt = parse_filter(container, since, until, grade)
    except DomainError as exc:
        return render(
            request, container, "analytics/page.html", status_code=422, typed=typed, grades=GRADE_LETTERS,
            charts=[], charts_json="", error=error_text(request, container, exc),
        )  # fmt: skip
    charts = portfolio_charts(container.analytics.portfolio(flt), t)
    return render(
        request, container, "analytics/page.html", typed=typed, grades=GRADE_LETTERS, flt=flt,
        charts=charts, charts_json=charts_json(charts, t.locale),
    )  # fmt: skip
