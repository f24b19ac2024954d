"""The investor portal's secondary market: sell, browse, buy, cancel, in zh-CN and en; forms act once."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.identity.model import Role
from fairlend.market.secondary import OrderStatus
from tests.market.support import yuan
from tests.market.trading_support import book, cash, close_days, counts
from tests.web.helpers import csrf, field, sign_in
from tests.web.test_every_page_speaks_the_readers_language import _problems, _Text

pytestmark = pytest.mark.backends("sqlite")


def _crawl(api: TestClient, home: str) -> dict[str, str]:
    """Every page under `home` reachable by links from it (the portal's other pages have their own tests)."""
    seen: dict[str, str] = {}
    queue = [home]
    while queue:
        path = queue.pop(0)
        if path in seen:
            continue
        response = api.get(path)
        assert response.status_code == 200, (path, response.status_code)
        seen[path] = response.text
        parser = _Text()
        parser.feed(response.text)
        queue += [link.partition("?")[0] for link in parser.links if link.startswith(home)]
    return seen


def test_a_holder_lists_part_of_a_note_and_another_investor_buys_it_each_form_acting_once(
    api: TestClient, container: Container
) -> None:
    b = book(container)
    b.world.investor("inv_cat", cash=2_000)
    note = b.note_of("inv_ann")
    sign_in(api, container, "inv_ann", Role.INVESTOR)
    page = api.get("/investor/market/sell?lang=en")
    assert page.status_code == 200 and note in page.text
    form = {
        "note_id": note,
        "amount": "1,000",
        "premium": "-2",
        "form_key": field(page.text, "form_key"),
        "csrf_token": csrf(page.text),
    }
    first = api.post("/investor/market/orders", data=form, follow_redirects=False)
    again = api.post("/investor/market/orders", data=form, follow_redirects=False)
    assert first.status_code == again.status_code == 303 and first.headers["location"] == again.headers["location"]
    (order,) = b.market.orders.browse()
    assert order.premium_bps == -200 and order.amount == yuan(1_000)
    mine = api.get(first.headers["location"] + "&lang=en").text
    assert "Your note is listed for sale." in mine and 'data-testid="cancel-form"' in mine
    assert 'data-testid="buy-form"' not in mine

    sign_in(api, container, "inv_cat", Role.INVESTOR)
    browse = api.get("/investor/market?lang=zh-CN").text
    assert order.id in browse and "正常" in browse and yuan(980).format("zh_CN") in browse
    page = api.get(f"/investor/market/orders/{order.id}?lang=zh-CN")
    assert "到期收益率" in page.text and 'data-testid="buy-form"' in page.text
    buy = {
        "form_key": field(page.text, "form_key"),
        "max_price": field(page.text, "max_price"),
        "csrf_token": csrf(page.text),
    }
    first = api.post(f"/investor/market/orders/{order.id}/buy", data=buy, follow_redirects=False)
    again = api.post(f"/investor/market/orders/{order.id}/buy", data=buy, follow_redirects=False)
    assert first.status_code == again.status_code == 303
    assert cash(container, "inv_cat") == 200_000 - 98_000
    trades = api.get(first.headers["location"] + "&lang=zh-CN").text
    assert "购买成功" in trades and "买入" in trades
    sign_in(api, container, "inv_ann", Role.INVESTOR)
    assert "Sold" in api.get("/investor/market/trades?lang=en").text
    statement = api.get("/investor/statements?lang=en").text
    assert "Sold a note" in statement
    assert container.verify() == []


def test_a_disclosed_standing_is_shown_on_the_order_and_the_buy_form_asks_to_acknowledge_it(
    api: TestClient, container: Container, clock: FixedClock
) -> None:
    b = book(container)
    b.world.investor("inv_cat", cash=10_000)
    close_days(container, clock, 31 + 40)
    order = b.market.orders.place("inv_bob", b.note_of("inv_bob"), None, -4_000)
    sign_in(api, container, "inv_cat", Role.INVESTOR)
    browse = api.get("/investor/market?lang=en").text
    assert "More than 30 days overdue" in browse
    page = api.get(f"/investor/market/orders/{order.id}?lang=en").text
    assert 'data-testid="disclosed"' in page and "may not be repaid in full" in page
    assert 'name="acknowledged" value="late_31_plus" required' in page
    form = {"form_key": field(page, "form_key"), "max_price": field(page, "max_price"), "csrf_token": csrf(page)}
    refused = api.post(f"/investor/market/orders/{order.id}/buy", data=form, follow_redirects=False)
    assert refused.status_code == 422 and "Acknowledge the note" in refused.text
    page = api.get(f"/investor/market/orders/{order.id}?lang=en").text
    form = {
        "form_key": field(page, "form_key"),
        "max_price": field(page, "max_price"),
        "acknowledged": "late_31_plus",
        "csrf_token": csrf(page),
    }
    assert api.post(f"/investor/market/orders/{order.id}/buy", data=form, follow_redirects=False).status_code == 303
    assert b.market.orders.get(order.id).status is OrderStatus.FILLED
    assert container.verify() == []


def test_bad_sale_forms_show_the_readers_words_and_write_nothing(api: TestClient, container: Container) -> None:
    b = book(container)
    note = b.note_of("inv_ann")
    sign_in(api, container, "inv_ann", Role.INVESTOR)
    before = counts(container)
    for premium, amount, lang, text in (
        ("abc", "", "en", "Give the premium or discount in percent"),
        ("-2.555", "", "en", "two decimal places"),
        ("25", "", "zh-CN", "请在折价 99% 至溢价 20% 之间定价。"),
        ("0", "1,010", "en", "multiples of the note size"),
        ("0", "7,000", "zh-CN", "超过了该债权剩余可转让的本金。"),
    ):
        page = api.get(f"/investor/market/sell?lang={lang}").text
        form = {
            "note_id": note,
            "amount": amount,
            "premium": premium,
            "form_key": field(page, "form_key"),
            "csrf_token": csrf(page),
        }
        got = api.post(f"/investor/market/orders?lang={lang}", data=form, follow_redirects=False)
        assert got.status_code == 422 and text in got.text, (premium, amount, got.status_code)
    assert counts(container) == before


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_every_secondary_market_page_shows_words_not_codes(
    api: TestClient, container: Container, clock: FixedClock, lang: str
) -> None:
    b = book(container)
    b.world.investor("inv_cat", cash=10_000)
    close_days(container, clock, 31)
    container.lending.repay(b.loan_id, yuan(1_000))
    close_days(container, clock, 1)
    sold = b.market.orders.place("inv_ann", b.note_of("inv_ann"), yuan(1_000), 100)
    b.market.trades.buy("inv_cat", sold.id)
    b.market.orders.place("inv_ann", b.note_of("inv_ann"), None, -250)
    b.loans.overrides[b.loan_id] = {"in_hardship": True}
    b.market.orders.place("inv_bob", b.note_of("inv_bob"), yuan(500), -900)
    sign_in(api, container, "inv_cat", Role.INVESTOR)
    api.cookies.set("fl_lang", lang)
    pages = _crawl(api, "/investor/market")
    reached = set(pages)
    assert {"/investor/market", "/investor/market/sell", "/investor/market/trades"} <= reached
    assert sum(p.startswith("/investor/market/orders/") for p in reached) == 2
    problems = {
        path: p for path, html in pages.items() if path.startswith("/investor/market") and (p := _problems(html, lang))
    }
    assert not problems, problems
