"""The investor portal: wallet, listings and investing, notes, portfolio, statements, in zh-CN and en.

Investors only; no page shows a borrower's personal data; a money form moves money once.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.identity.model import Role
from tests.identity.helpers import sign_up
from tests.market.support import Market, build, yuan
from tests.web.helpers import csrf, denied, field, sign_in

PAGES = ("/investor/wallet", "/investor/listings", "/investor/notes", "/investor/portfolio", "/investor/statements")
# The fake borrower's own identifiers (origination/fakes.py): none may reach an investor's page.
THEIRS = ("brw_solid", "IDbrw_solid", "Person olid", "13800")


def _funded_and_repaid(world: Market, container: Container, clock: FixedClock) -> str:
    listing = world.offer()
    world.investor("inv_1", cash=12_000)
    world.investor("inv_2", cash=4_000)
    world.market.commitments.invest("inv_2", listing, yuan(4_000))
    loan_id = world.market.commitments.invest("inv_1", listing, yuan(6_000)).loan_id
    assert loan_id
    container.eod.run(through=clock.business_date() + timedelta(days=30))
    container.lending.repay(loan_id, yuan(1_000))
    container.eod.run(through=clock.business_date() + timedelta(days=31))
    container.lending.repay(loan_id, yuan(1_000))
    container.eod.run(through=clock.business_date())
    return listing


def test_the_portal_checklist_shows_an_unfinished_step_as_unfinished_in_both_languages(
    api: TestClient, container: Container
) -> None:
    who = sign_up(container, role=Role.INVESTOR)
    sign_in(api, container, who.subject_id, Role.INVESTOR)
    english = api.get("/investor?lang=en").text
    assert '<li class="done" data-level="phone_verified">Mobile number verified</li>' in english
    assert '<li class="todo" data-level="identity_verified">Identity not verified yet</li>' in english
    assert "Identity verified" not in english and "Bank card verified" not in english
    assert 'href="/investor/portfolio"' in english
    chinese = api.get("/investor?lang=zh-CN").text
    assert '<li class="todo" data-level="identity_verified">尚未实名认证</li>' in chinese
    assert "身份已认证" not in chinese


def test_an_investor_accepts_the_agreement_and_a_deposit_form_sent_twice_deposits_once(
    api: TestClient, container: Container
) -> None:
    world = build(container)
    world.people.verified_ids.add("inv_1")
    sign_in(api, container, "inv_1", Role.INVESTOR)
    page = api.get("/investor/wallet?lang=zh-CN")
    assert page.status_code == 200 and "出借人协议" in page.text and "deposit-form" not in page.text
    agreed = api.post(
        "/investor/agreement",
        data={"agreement": "1", "net_worth": "1000000", "csrf_token": csrf(page.text)},
        follow_redirects=False,
    )
    assert agreed.status_code == 303
    page = api.get("/investor/wallet?lang=en")
    form = {"amount": "2,000.00", "form_key": field(page.text, "form_key"), "csrf_token": csrf(page.text)}
    first = api.post("/investor/wallet/deposit", data=form, follow_redirects=False)
    again = api.post("/investor/wallet/deposit", data=form, follow_redirects=False)
    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == again.headers["location"]
    assert world.market.wallets.wallet("inv_1").cash == yuan(2_000)
    shown = api.get("/investor/wallet?lang=en").text
    assert f'data-testid="cash">{yuan(2_000).format("en")}<' in shown

    page = api.get("/investor/wallet?lang=zh-CN")
    keys = re.findall(r'name="form_key" value="([^"]+)"', page.text)
    too_much = api.post(
        "/investor/wallet/withdraw",
        data={"amount": "5000", "form_key": keys[1], "csrf_token": csrf(page.text)},
    )
    assert too_much.status_code == 422 and "超过您的可用余额" in too_much.text
    assert world.market.wallets.wallet("inv_1").cash == yuan(2_000)


def test_an_investor_filters_listings_and_invests_once_per_form(api: TestClient, container: Container) -> None:
    world = build(container)
    listing = world.offer()
    world.investor("inv_1", cash=5_000)
    sign_in(api, container, "inv_1", Role.INVESTOR)
    grade = world.market.listings.get(listing).grade
    shown = api.get(f"/investor/listings?lang=en&grade={grade}").text
    assert listing in shown
    other = "A" if grade != "A" else "B"
    assert listing not in api.get(f"/investor/listings?lang=en&grade={other}").text
    assert listing not in api.get("/investor/listings?lang=en&min_rate=99").text
    bad = api.get("/investor/listings?lang=zh-CN&min_rate=abc")
    assert bad.status_code == 422 and "筛选条件须为有效数字" in bad.text

    page = api.get(f"/investor/listings/{listing}?lang=zh-CN")
    assert "借款人概况" in page.text and "出借金额须为" in page.text
    form = {"amount": "100", "form_key": field(page.text, "form_key"), "csrf_token": csrf(page.text)}
    assert api.post(f"/investor/listings/{listing}/invest", data=form, follow_redirects=False).status_code == 303
    assert api.post(f"/investor/listings/{listing}/invest", data=form, follow_redirects=False).status_code == 303
    assert world.market.wallets.wallet("inv_1").committed == yuan(100)
    page = api.get(f"/investor/listings/{listing}?lang=en")
    odd = {"amount": "75", "form_key": field(page.text, "form_key"), "csrf_token": csrf(page.text)}
    refused = api.post(f"/investor/listings/{listing}/invest", data=odd)
    assert refused.status_code == 422 and "multiples of the note size" in refused.text


@pytest.mark.parametrize(
    ("lang", "nar", "status"), [("en", "Net annualised return", "Current"), ("zh-CN", "净年化收益率", "正常")]
)
def test_the_portfolio_shows_nar_charts_with_their_tables_and_my_notes(
    api: TestClient, container: Container, clock: FixedClock, lang: str, nar: str, status: str
) -> None:
    world = build(container)
    _funded_and_repaid(world, container, clock)
    sign_in(api, container, "inv_1", Role.INVESTOR)
    view = world.market.portfolios.portfolio("inv_1")
    assert view.nar is not None
    page = api.get(f"/investor/portfolio?lang={lang}")
    assert page.status_code == 200 and nar in page.text
    assert f"{view.nar * 100:.2f}%" in page.text
    assert '<script type="application/json" id="portfolio-charts">' in page.text
    assert '<script src="/static/vendor/echarts/echarts.min.js"></script>' in page.text
    for chart, table in (("chart-months", "months"), ("chart-statuses", "statuses"), ("chart-grades", "grades")):
        assert f'id="{chart}"' in page.text and f'data-testid="{table}"' in page.text
    assert view.net_received.format("en" if lang == "en" else "zh_CN") in page.text
    assert "<script>" not in page.text  # the CSP allows no inline script
    notes = api.get(f"/investor/notes?lang={lang}").text
    assert view.notes[0].note_id in notes and status in notes
    assert api.get("/static/investor-charts.js").status_code == 200
    assert api.get("/static/vendor/echarts/echarts.min.js").status_code == 200


def test_statements_in_html_and_csv_run_from_opening_to_closing(
    api: TestClient, container: Container, clock: FixedClock
) -> None:
    world = build(container)
    start = clock.business_date()
    _funded_and_repaid(world, container, clock)
    end = clock.business_date()
    sign_in(api, container, "inv_1", Role.INVESTOR)
    s = world.market.portfolios.statement("inv_1", start, end)
    page = api.get(f"/investor/statements?lang=zh-CN&from={start}&to={end}")
    assert page.status_code == 200 and "期初余额" in page.text and "回款" in page.text
    assert f'data-testid="closing">{s.closing.format("zh_CN")}<' in page.text
    english = api.get(f"/investor/statements?lang=en&from={start}&to={end}").text
    assert "Repayment received" in english and f'data-testid="closing">{s.closing.format("en")}<' in english
    as_csv = api.get(f"/investor/statements.csv?from={start}&to={end}")
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.text.count("market_distribution") == 2
    bad = api.get("/investor/statements?lang=en&from=2026-03-02&to=2026-03-01")
    assert bad.status_code == 422 and "must end on or after its start" in bad.text


def test_no_page_of_the_portal_shows_a_borrowers_personal_data(
    api: TestClient, container: Container, clock: FixedClock
) -> None:
    world = build(container)
    listing = _funded_and_repaid(world, container, clock)
    open_listing = world.offer("brw_solid2")
    sign_in(api, container, "inv_1", Role.INVESTOR)
    pages = [*PAGES, f"/investor/listings/{listing}", f"/investor/listings/{open_listing}", "/investor/statements.csv"]
    pages += ["/investor/listings?status=funded"]
    for lang in ("en", "zh-CN"):
        for path in pages:
            got = api.get(path + ("&" if "?" in path else "?") + f"lang={lang}")
            assert got.status_code == 200, path
            for theirs in (*THEIRS, "brw_solid2"):
                assert theirs not in got.text, (path, theirs)


@pytest.mark.parametrize("role", [Role.BORROWER, Role.ADMIN, Role.COLLECTOR, Role.UNDERWRITER])
def test_borrowers_and_operators_are_refused_every_portal_page_and_form(
    api: TestClient, container: Container, role: Role
) -> None:
    world = build(container)
    listing = world.offer()
    world.investor("inv_1", cash=100)
    sign_in(api, container, "someone", role)
    for path in (*PAGES, f"/investor/listings/{listing}", "/investor/statements.csv"):
        assert denied(api.get(path, follow_redirects=False)), path
    token = csrf(api.get("/?lang=en").text) if "csrf_token" in api.get("/").text else ""
    for path in ("/investor/wallet/deposit", f"/investor/listings/{listing}/invest", "/investor/agreement"):
        got = api.post(path, data={"amount": "100", "form_key": "k", "csrf_token": token}, follow_redirects=False)
        assert denied(got), path
    assert world.market.wallets.wallet("someone").cash == yuan(0)


@pytest.mark.parametrize(
    ("lang", "words"), [("en", "Neither principal nor return is guaranteed"), ("zh-CN", "本金和收益均不保证")]
)
def test_every_portal_page_warns_that_neither_principal_nor_return_is_guaranteed(
    api: TestClient, container: Container, lang: str, words: str
) -> None:
    world = build(container)
    listing = world.offer()
    world.investor("inv_1", cash=1_000)
    sign_in(api, container, "inv_1", Role.INVESTOR)
    for path in (*PAGES, f"/investor/listings/{listing}"):
        page = api.get(f"{path}?lang={lang}")
        assert page.status_code == 200, path
        assert words in page.text, path
