"""The finance desk's pages: statements that drill down, provisions explained, the close and reopening by two."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient

from fairlend.api.app import create_app
from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.finance.model import parse_month
from fairlend.identity.model import Role
from fairlend.money import Money
from fairlend.web.session import CSRF_FIELD
from tests.finance.conftest import finance_only, seed_book
from tests.web.helpers import csrf, denied, sign_in

DESK = "/operator/finance"


@pytest.fixture
def container(container: Container) -> Container:
    return finance_only(container)


@pytest.fixture
def pages(container: Container, clock: FixedClock) -> Iterator[TestClient]:
    seed_book(container, clock, 40, loans=5)  # 2026-03-02 .. 2026-04-10
    with TestClient(create_app(container=container), follow_redirects=False) as client:
        yield client


def _links(html: str, prefix: str) -> list[str]:
    return [unquote(h).replace("&amp;", "&") for h in re.findall(rf'href="({re.escape(prefix)}[^"]*)"', html)]


def test_every_figure_of_the_statements_links_to_lines_that_sum_to_it(container: Container, pages: TestClient) -> None:
    sign_in(pages, container, "op_fin_a", Role.FINANCE)
    page = pages.get(f"{DESK}?month=2026-03&lang=en")
    assert page.status_code == 200
    assert "Interest income" in page.text and "Assets equal liabilities plus equity." in page.text
    drills = _links(page.text, f"{DESK}/lines?")
    assert len(drills) > 10
    (march,) = container.finance.statements.for_period(parse_month("2026-03"))
    interest = next(f for f in march.income.income if f.code == "interest_income")
    link = next(d for d in drills if "types=interest_income" in d and "start=" in d)
    lines = pages.get(link)
    assert lines.status_code == 200
    # The page's total is the raw sum (debit positive): interest income is credited, so it is the figure negated.
    total = re.search(r'data-testid="page-total">([^<]+)<', lines.text)
    assert total is not None
    shown = total.group(1).replace("¥", "").replace("CN", "").replace(",", "").strip()
    assert round(-float(shown) * 100) == interest.amount


def test_the_statements_read_in_chinese(container: Container, pages: TestClient) -> None:
    sign_in(pages, container, "op_fin_a", Role.FINANCE)
    page = pages.get(f"{DESK}?month=2026-03&lang=zh-CN")
    assert "资产负债表" in page.text and "利息收入" in page.text and "试算平衡表" in page.text


def test_provisions_by_segment_lead_to_each_loans_pd_lgd_and_ecl(container: Container, pages: TestClient) -> None:
    sign_in(pages, container, "op_fin_a", Role.FINANCE)
    page = pages.get(f"{DESK}/provisions?month=2026-03&lang=en")
    assert page.status_code == 200 and 'data-testid="segments"' in page.text
    segments = container.finance.segments(date(2026, 3, 31))
    assert segments
    for link in _links(page.text, f"{DESK}/provisions/loans?"):
        loans = pages.get(link)
        assert loans.status_code == 200
        assert loans.text.count('data-testid="ecl"') == next(s.loans for s in segments if s.segment in link)
    assert "Expected loss (ECL)" in pages.get(_links(page.text, f"{DESK}/provisions/loans?")[0]).text


CHARTS = re.compile(r'<script type="application/json" id="fl-charts">(.*?)</script>', re.S)


@pytest.mark.parametrize(("lang", "title"), [("en", "Allowance at the month-end"), ("zh-CN", "月末各组合减值准备")])
def test_the_provisions_page_draws_classes_allowance_and_coverage_each_with_its_table(
    container: Container, pages: TestClient, lang: str, title: str
) -> None:
    sign_in(pages, container, "op_fin_a", Role.FINANCE)
    html = pages.get(f"{DESK}/provisions?month=2026-03&lang={lang}").text
    block = CHARTS.search(html)
    assert block is not None
    charts = {c["id"]: c for c in json.loads(block.group(1))["charts"]}
    assert list(charts) == ["classes", "allowance", "coverage"] and title in html
    for chart in charts:
        section = html.split(f'data-testid="chart-{chart}"', 1)[1].split("</section>", 1)[0]
        assert section.index(f'id="{chart}"') < section.index(f'data-testid="table-{chart}"')
        assert "finance." not in section, "a message key shown instead of words"
    segments = container.finance.segments(date(2026, 3, 31))
    assert segments and any(s.closing for s in segments), "no allowance at March's end: a weak test"
    # The allowance chart's bars are the segments' closing amounts, in major units, in the class order.
    (series,) = charts["allowance"]["series"]
    assert series["name"] == segments[0].currency
    assert series["data"] == [float(Money(s.closing, s.currency).to_decimal()) for s in segments]
    assert charts["coverage"]["percent"] is True
    assert charts["coverage"]["series"][0]["data"] == [
        None if s.ead == 0 else round(s.closing / s.ead, 6) for s in segments
    ]


def test_closing_from_the_page_locks_the_month_and_pressing_again_changes_nothing(
    container: Container, pages: TestClient
) -> None:
    sign_in(pages, container, "op_fin_a", Role.FINANCE)
    page = pages.get(f"{DESK}/close?month=2026-03&lang=en")
    assert page.status_code == 200 and 'data-testid="close-form"' in page.text
    token = csrf(page.text)
    closed = pages.post(f"{DESK}/close", data={"month": "2026-03", CSRF_FIELD: token})
    assert closed.status_code == 303 and closed.headers["location"].endswith("done=closed")
    assert "2026-03 is closed." in pages.get(closed.headers["location"] + "&lang=en").text
    again = pages.post(f"{DESK}/close", data={"month": "2026-03", CSRF_FIELD: token})
    assert again.headers["location"].endswith("done=already")
    assert [m.month for m in container.finance.closing.months()] == ["2026-03"]
    early = pages.post(f"{DESK}/close?lang=en", data={"month": "2026-04", CSRF_FIELD: token})
    assert early.status_code == 409 and "End-of-day has not finished this month yet." in early.text
    assert container.finance.closing.closed_through() == date(2026, 3, 31)


def test_reopening_takes_a_second_finance_operator(container: Container, pages: TestClient) -> None:
    container.finance.closing.close("2026-03", "op_fin_a")
    sign_in(pages, container, "op_fin_a", Role.FINANCE)
    token = csrf(pages.get(f"{DESK}/close").text)
    asked = pages.post(f"{DESK}/reopen", data={"month": "2026-03", "reason": "late invoice", CSRF_FIELD: token})
    assert asked.status_code == 303
    (request,) = container.finance.closing.requests()
    mine = pages.get(f"{DESK}/close?lang=en").text
    assert "Waiting for another operator" in mine and f"/reopen/{request.id}/approve" not in mine
    own = pages.post(f"{DESK}/reopen/{request.id}/approve?lang=en", data={CSRF_FIELD: token})
    assert own.status_code == 403 and "Another operator must decide your own request." in own.text
    assert container.finance.closing.closed_through() is not None
    sign_in(pages, container, "op_fin_b", Role.FINANCE)
    page = pages.get(f"{DESK}/close").text
    assert f"/reopen/{request.id}/approve" in page
    approved = pages.post(f"{DESK}/reopen/{request.id}/approve", data={CSRF_FIELD: csrf(page)})
    assert approved.status_code == 303 and approved.headers["location"].endswith("done=approved")
    assert container.finance.closing.closed_through() is None


def test_the_books_download_from_the_close_page(container: Container, pages: TestClient) -> None:
    sign_in(pages, container, "op_fin_a", Role.FINANCE)
    ledger = pages.get(f"{DESK}/export?through=2026-03-31&format=beancount")
    assert ledger.status_code == 200 and " balance Assets:LoanPrincipal" in ledger.text
    assert "attachment" in ledger.headers["content-disposition"]


@pytest.mark.parametrize("role", [Role.BORROWER, Role.COLLECTOR, Role.ADMIN, Role.COMPLIANCE])
def test_nobody_but_finance_reaches_the_desk_or_closes_a_month(
    container: Container, pages: TestClient, role: Role
) -> None:
    sign_in(pages, container, f"someone_{role.value}", role)
    for path in (DESK, f"{DESK}/provisions", f"{DESK}/close", f"{DESK}/export?through=2026-03-31"):
        assert denied(pages.get(path)), path
    token = csrf(pages.get("/operator/login").text)
    assert denied(pages.post(f"{DESK}/close", data={"month": "2026-03", CSRF_FIELD: token}))
    assert container.finance.closing.months() == []


def test_a_page_without_its_query_goes_back_to_its_list(container: Container, pages: TestClient) -> None:
    """The language switch drops the query string: the drill-downs answer with their parent page, not an error."""
    sign_in(pages, container, "op_fin_a", Role.FINANCE)
    assert pages.get(f"{DESK}/lines?lang=zh-CN").headers["location"] == DESK
    assert pages.get(f"{DESK}/provisions/loans?lang=zh-CN").headers["location"] == f"{DESK}/provisions"
