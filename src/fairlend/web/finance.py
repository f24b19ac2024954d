"""The finance desk: statements with drill-down to journal lines, classification and provisions by segment.

Finance operators only (api/auth.py `FINANCE_OFFICERS`), as in the API. Each
figure links to the journal lines it sums (its account types, funding source
and period; a cash-flow line by its entry kind), a page at a time. The
provisions page draws loans by class, the allowance and its coverage by
segment, each chart with its table (web/finance_charts.py). The close
checklist, reopening and exports are web/finance_close.py.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from fairlend.api.auth import FINANCE_OFFICERS
from fairlend.api.deps import ContainerDep
from fairlend.bootstrap import Container
from fairlend.errors import Invalid
from fairlend.finance.model import CASH_ACCOUNTS, Figure, FundingSource, Period, parse_month
from fairlend.ledger.model import AccountType
from fairlend.money import Money
from fairlend.web import i18n
from fairlend.web.charts import charts_json
from fairlend.web.finance_charts import provisions_charts
from fairlend.web.rendering import locale_of, operator, redirect, render

router = APIRouter(include_in_schema=False)
DESK = "/operator/finance"
LINES_PER_PAGE = 50  # a page of lines stays under the sweeps' 5,000 px at 1280 px wide


def money(minor: int, currency: str) -> Money:
    """For templates: minor units as money to format in the reader's locale."""
    return Money(minor, currency)


def default_month(container: Container) -> str:
    """The last month end-of-day has finished: the one a finance team reads and closes next."""
    today = container.clock.business_date()
    return (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


def month_or_default(container: Container, month: str) -> Period:
    return parse_month(month or default_month(container))


def _months(around: Period, count: int = 12) -> list[str]:
    """The month chosen and the eleven before it, for the month picker (a form, not links)."""
    labels, day = [], around.start
    for _ in range(count):
        labels.append(day.strftime("%Y-%m"))
        day = (day - timedelta(days=1)).replace(day=1)
    return labels


def figure_link(figure: Figure, currency: str, period: Period, *, balance: bool) -> str:
    """The drill-down of a figure: its account types (and source) over the period, or through its end."""
    query: list[tuple[str, str]] = [("types", t.value) for t in figure.types]
    query += [("currency", currency), ("end", period.end.isoformat())]
    if not balance:
        query.append(("start", period.start.isoformat()))
    if figure.source is not None:
        query.append(("source", figure.source.value))
    return f"{DESK}/lines?{urlencode(query)}"


def cash_link(kind: str, currency: str, period: Period) -> str:
    query = [("types", t.value) for t in CASH_ACCOUNTS]
    query += [("currency", currency), ("start", period.start.isoformat()), ("end", period.end.isoformat())]
    return f"{DESK}/lines?{urlencode([*query, ('kind', kind)])}"


@router.get(DESK, response_class=HTMLResponse)
def statements_page(
    request: Request,
    container: ContainerDep,
    month: Annotated[str, Query(max_length=7)] = "",
    currency: Annotated[str, Query(max_length=3)] = "",
) -> HTMLResponse:
    """The four statements of a month, per currency, every figure a link to its journal lines."""
    operator(request, container, FINANCE_OFFICERS)
    period = month_or_default(container, month)
    found = container.finance.statements.for_period(period, currency or None)
    return render(
        request,
        container,
        "finance/statements.html",
        period=period,
        month=period.label,
        months=_months(period),
        statements=found,
        money=money,
        figure_link=figure_link,
        cash_link=cash_link,
    )


def _types(values: list[str]) -> list[AccountType]:
    known = {t.value: t for t in AccountType}
    if not values or any(v not in known for v in values):
        raise Invalid("unknown_account_type", "the figure names no account type fairlend keeps")
    return [known[v] for v in values]


@router.get(DESK + "/lines", response_model=None)
def lines_page(
    request: Request,
    container: ContainerDep,
    currency: Annotated[str, Query(max_length=3)] = "",
    end: date | None = None,
    types: Annotated[list[str] | None, Query(max_length=40)] = None,
    start: date | None = None,
    source: FundingSource | None = None,
    kind: Annotated[str, Query(max_length=60)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """The journal lines behind a figure, oldest first, fifty a page, with the page's sum."""
    operator(request, container, FINANCE_OFFICERS)
    if not (currency and end and types):  # the language switch drops the query: back to the statements
        return redirect(DESK)
    account_types = _types(types)
    found = container.finance.statements.lines(
        account_types,
        currency,
        start,
        end,
        source=source,
        kinds=[kind] if kind else None,
        limit=LINES_PER_PAGE + 1,
        offset=(page - 1) * LINES_PER_PAGE,
    )
    shown = found[:LINES_PER_PAGE]
    here = [(k, v) for k, v in request.query_params.multi_items() if k not in ("page", "lang")]
    return render(
        request,
        container,
        "finance/lines.html",
        lines=shown,
        account_types=account_types,
        currency=currency,
        start=start,
        end=end,
        source=source,
        kind=kind,
        page=page,
        more=len(found) > LINES_PER_PAGE,
        page_link=lambda n: f"{DESK}/lines?{urlencode([*here, ('page', str(n))])}",
        page_total=sum(x.amount for x in shown),
        money=money,
    )


@router.get(DESK + "/provisions", response_class=HTMLResponse)
def provisions_page(
    request: Request, container: ContainerDep, month: Annotated[str, Query(max_length=7)] = ""
) -> HTMLResponse:
    """Loans by class now, the month's moves between classes, and each segment's allowance roll-forward."""
    operator(request, container, FINANCE_OFFICERS)
    period = month_or_default(container, month)
    finance = container.finance
    counts = finance.class_counts()
    classes = finance.finance.class_codes()
    currencies = sorted({cur for cur, _ in counts})
    segments = finance.segments(period.end)
    t = i18n.Translator(locale_of(request, container))
    charts = provisions_charts(counts, classes, currencies, segments, t)
    return render(
        request,
        container,
        "finance/provisions.html",
        period=period,
        month=period.label,
        months=_months(period),
        classes=classes,
        counts=counts,
        currencies=currencies,
        changes=finance.changes(period, limit=200),
        segments=segments,
        charts=charts,
        charts_json=charts_json(charts, t.locale),
        money=money,
    )


@router.get(DESK + "/provisions/loans", response_model=None)
def provision_loans_page(
    request: Request,
    container: ContainerDep,
    month: Annotated[str, Query(max_length=7)] = "",
    segment: Annotated[str, Query(max_length=30)] = "",
) -> Response:
    """Why each loan of a segment carries its allowance: class, grade, PD, LGD, loss rate, EAD, ECL."""
    operator(request, container, FINANCE_OFFICERS)
    if not (month and segment):  # the language switch drops the query: back to the segments
        return redirect(DESK + "/provisions")
    period = parse_month(month)
    if segment not in container.finance.finance.class_codes():
        raise Invalid("unknown_segment", "no such class in this profile")
    return render(
        request,
        container,
        "finance/provision_loans.html",
        period=period,
        month=period.label,
        segment=segment,
        loans=container.finance.loan_provisions(period.end, segment=segment, limit=500),
        money=money,
    )
