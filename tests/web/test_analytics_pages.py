"""The console's analytics page, "My credit" and the loan page: charts with their tables, in both languages.

On a small demo book (six borrowers, 60 days, every step through the services):
the page draws one chart per measure, each with its data table, speaks the
reader's language (rules by name, buckets and grades in words), and its
cross-context figures agree with what the other contexts say to their own users.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient

from fairlend.analytics.model import Filter
from fairlend.api.app import create_app
from fairlend.bootstrap import Container
from fairlend.collections.rule_texts import rule_text
from fairlend.identity.model import Role
from fairlend.sim.report import DemoReport
from tests.web.analytics_seed import operator_id
from tests.web.helpers import sign_in
from tests.web.test_every_page_speaks_the_readers_language import _problems

pytestmark = [pytest.mark.backends("sqlite"), pytest.mark.xdist_group("analytics_pages")]

CHARTS = (
    "originations",
    "balances",
    "buckets",
    "rolls",
    "vintages",
    "losses",
    "nar",
    "blocked",
    "deadlines",
    "calibration",
)
LANGS = ("en", "zh-CN")
BLOCK = re.compile(r'<script type="application/json" id="fl-charts">(.*?)</script>', re.S)


@pytest.fixture
def demo(analytics_demo: tuple[Container, DemoReport]) -> tuple[Container, DemoReport]:
    return analytics_demo


@pytest.fixture
def api(demo: tuple[Container, DemoReport]) -> Iterator[TestClient]:
    with TestClient(create_app(container=demo[0]), client=("127.0.0.1", 50000)) as client:
        yield client


def _charts(html: str) -> list[dict[str, object]]:
    found = BLOCK.search(html)
    assert found, "no chart data on the page"
    return list(json.loads(found.group(1))["charts"])


def _whole(container: Container, report: DemoReport) -> Filter:
    return Filter(report.start, container.clock.business_date())


@pytest.mark.parametrize("lang", LANGS)
def test_the_analytics_page_has_every_chart_with_its_table_and_speaks_the_readers_language(
    demo: tuple[Container, DemoReport], api: TestClient, lang: str
) -> None:
    container, report = demo
    sign_in(api, container, operator_id(container, report, "finance"), Role.FINANCE)
    page = api.get(f"/operator/analytics?from={report.start}&lang={lang}")
    assert page.status_code == 200
    html = page.text
    assert [c["id"] for c in _charts(html)] == list(CHARTS)
    for chart in CHARTS:
        section = html.split(f'data-testid="chart-{chart}"', 1)[1].split("</section>", 1)[0]
        assert f'id="{chart}"' in section and f'data-testid="table-{chart}"' in section
        assert section.index(f'id="{chart}"') < section.index("<table"), "the table goes under its chart"
    assert _problems(html, lang) == []
    assert "</script" not in BLOCK.search(html).group(1)  # type: ignore[union-attr]
    blocked = container.analytics.portfolio(Filter(report.start, container.clock.business_date())).blocked
    assert blocked, "the demo's careless calls were not blocked: a weak test"
    for b in blocked:  # each rule id beside its name, in the reader's language
        assert f"{b.rule} {rule_text(b.rule, lang)}" in html
    assert 'href="/operator/analytics"' in api.get(f"/operator?lang={lang}").text


def test_blocked_attempts_by_rule_and_collector_are_what_the_borrowers_see_in_their_contact_logs(
    demo: tuple[Container, DemoReport],
) -> None:
    container, report = demo
    assert container.collections is not None
    seen: Counter[tuple[str, str]] = Counter()
    attempts = 0
    for b in report.borrowers:
        for contact in container.collections.service.contacts_about(b.person_id):
            attempts += 1
            if contact.outcome == "blocked":
                for r in contact.rules:
                    seen[r.rule, contact.collector_id] += 1
    p = container.analytics.portfolio(_whole(container, report))
    assert {(b.rule, b.collector_id): b.attempts for b in p.blocked} == dict(seen)
    assert p.attempts == attempts


def test_originations_by_grade_are_the_accepted_offers_and_calibration_counts_the_same_loans(
    demo: tuple[Container, DemoReport],
) -> None:
    container, report = demo
    assert container.origination is not None
    made: Counter[tuple[str, str]] = Counter()
    for b in report.borrowers:
        for loan in container.lending.loans_of_borrower(b.person_id):
            detail = container.lending.loan_detail(loan.loan_id)
            offer_id = container.origination.offer_for_loan(b.person_id, loan.loan_id)
            grade = container.origination.offer(b.person_id, offer_id).grade[0]
            made[detail.open_date.strftime("%Y-%m"), grade] += 1
    p = container.analytics.portfolio(_whole(container, report))
    assert {(g.month, g.grade): g.originated for g in p.grade_months if g.originated} == dict(made)
    by_grade = Counter(grade for (_, grade), n in made.items() for _ in range(n))
    assert {c.grade: c.loans for c in p.calibration} == dict(by_grade)
    assert all(Decimal_between(c.predicted) for c in p.calibration)
    one = next(iter(by_grade))
    filtered = container.analytics.portfolio(Filter(report.start, container.clock.business_date(), one))
    assert {g.grade for g in filtered.grade_months} == {one}


def Decimal_between(value: object) -> bool:
    return 0 < float(str(value)) < 1


@pytest.mark.parametrize(
    ("query", "en", "zh"),
    [
        ("from=2026-05-01&to=2026-01-01", "The start date is after the end date.", "起始日期晚于截止日期。"),
        ("grade=Q", "A grade is one letter from A to G.", "等级为A至G中的一个字母。"),
        ("from=May", "Dates are written YYYY-MM-DD.", "日期格式为YYYY-MM-DD。"),
    ],
)
def test_a_bad_filter_answers_the_page_with_the_reason_in_the_readers_language(
    demo: tuple[Container, DemoReport], api: TestClient, query: str, en: str, zh: str
) -> None:
    container, report = demo
    sign_in(api, container, operator_id(container, report, "compliance"), Role.COMPLIANCE)
    for lang, text in (("en", en), ("zh-CN", zh)):
        page = api.get(f"/operator/analytics?{query}&lang={lang}")
        assert page.status_code == 422 and text in page.text
        assert 'data-testid="analytics-filter"' in page.text


@pytest.mark.parametrize("lang", LANGS)
def test_my_credit_shows_the_score_over_time_and_each_accounts_sixty_month_strip(
    demo: tuple[Container, DemoReport], api: TestClient, lang: str
) -> None:
    container, report = demo
    borrower = report.borrowers[0].person_id
    sign_in(api, container, borrower, Role.BORROWER)
    html = api.get(f"/borrower/credit?lang={lang}").text
    if 'data-testid="self-check-consent-form"' in html:
        pytest.fail("the demo borrower has not consented to the self-check")
    charts = _charts(html)
    assert charts[0]["id"] == "scores"
    assert container.scoring is not None
    history = container.scoring.history(borrower)
    assert charts[0]["series"][0]["data"] == [float(s.score) for s in history]  # type: ignore[index]
    strips = [c for c in charts if c["kind"] == "strip"]
    assert strips, "no account history strip"
    for strip in strips:
        assert len(strip["x"]) == container.profile.bureau.history_months  # type: ignore[arg-type]
        assert len(set(strip["series"][0]["colors"])) >= 1  # type: ignore[index]
        table = html.split(f'data-testid="table-{strip["id"]}"', 1)[1].split("</table>", 1)[0]
        assert table.count("<tr>") == 1 + container.profile.bureau.history_months
    assert _problems(html, lang) == []


@pytest.mark.parametrize("lang", LANGS)
def test_the_loan_page_shows_paid_and_remaining_by_installment(
    demo: tuple[Container, DemoReport], api: TestClient, lang: str
) -> None:
    container, report = demo
    borrower = report.borrowers[0].person_id
    sign_in(api, container, borrower, Role.BORROWER)
    loan = container.lending.loans_of_borrower(borrower)[0]
    detail = container.lending.loan_detail(loan.loan_id)
    html = api.get(f"/borrower/loans/{loan.loan_id}?lang={lang}").text
    (chart,) = _charts(html)
    paid, remaining = chart["series"]  # type: ignore[misc]
    assert sum(paid["data"]) == pytest.approx(float(sum(i.paid.to_decimal() for i in detail.schedule)))
    assert sum(remaining["data"]) == pytest.approx(float(sum(i.outstanding.to_decimal() for i in detail.schedule)))
    assert len(chart["x"]) == len(detail.schedule)  # type: ignore[arg-type]
    assert _problems(html, lang) == []


def test_the_range_defaults_to_the_twelve_months_through_the_business_date(
    demo: tuple[Container, DemoReport], api: TestClient
) -> None:
    container, report = demo
    sign_in(api, container, operator_id(container, report, "admin"), Role.ADMIN)
    today = container.clock.business_date()
    html = api.get("/operator/analytics?lang=en").text
    assert f"From {date(today.year - 1, today.month, 1).isoformat()} to {today.isoformat()}" in html


def test_every_key_the_charts_and_their_pages_name_is_in_both_catalogs() -> None:
    """Literal keys in the chart builders and templates, and the keys they build from a status or a kind."""
    from importlib import resources

    from fairlend.analytics.model import CHARGED_OFF, SETTLED
    from fairlend.web.analytics_charts import DEADLINE_STATES
    from fairlend.web.i18n import catalog

    web = resources.files("fairlend.web")
    sources = [web.joinpath(name).read_text(encoding="utf-8") for name in ("analytics_charts.py", "borrower_charts.py")]
    sources += [
        web.joinpath("templates", *name.split("/")).read_text(encoding="utf-8")
        for name in ("_charts.html", "analytics/page.html", "analytics/report.html")
    ]
    literal = r"""\bt\(\s*["']([a-z_]+\.[\w.]*\w)["']"""  # a whole key, not a prefix ("x." + status)
    keys = {k for text in sources for k in re.findall(literal, text)}
    keys |= {f"analytics.status.{s}" for s in (SETTLED, CHARGED_OFF)}
    keys |= {f"analytics.kind.{k}" for k in ("complaint", "hardship")} | {
        f"analytics.deadline.{s}" for s in DEADLINE_STATES
    }
    keys |= {f"credit.chart.purpose.{p}" for p in ("self_check", "application")}
    assert len(keys) > 60
    for locale in ("en", "zh-CN"):
        assert sorted(k for k in keys if k not in catalog(locale)) == [], locale
