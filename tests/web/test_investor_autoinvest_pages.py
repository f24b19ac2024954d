"""The auto-invest pages: an investor makes, changes and deletes rules in zh-CN and en and sees what they invested."""

from __future__ import annotations

from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from fairlend.bootstrap import Container
from fairlend.identity.model import Role
from tests.market.autoinvest_support import rule_terms
from tests.market.support import build, yuan
from tests.web.helpers import csrf, denied, field, sign_in

PAGE = "/investor/autoinvest"


def _form(page: str, **changes: object) -> dict[str, object]:
    form: dict[str, object] = {
        "grades": ["A", "C"],
        "terms": ["12", "24"],
        "min_rate": "5",
        "max_rate": "12.5",
        "amount_per_note": "200",
        "max_borrower_share": "10",
        "cash_reserve": "1,000",
        "enabled": "1",
        "csrf_token": csrf(page),
    }
    if 'name="form_key"' in page:
        form["form_key"] = field(page, "form_key")
    form.update(changes)
    return form


@pytest.mark.parametrize(
    ("lang", "heading", "done"), [("en", "Auto-invest", "Rule created."), ("zh-CN", "自动投标", "规则已创建。")]
)
def test_an_investor_makes_a_rule_once_however_often_the_form_is_sent(
    api: TestClient, container: Container, lang: str, heading: str, done: str
) -> None:
    world = build(container)
    world.investor("inv_1", cash=5_000)
    sign_in(api, container, "inv_1", Role.INVESTOR)
    page = api.get(f"{PAGE}?lang={lang}")
    assert page.status_code == 200 and heading in page.text and 'href="/investor/autoinvest"' in page.text
    form = _form(page.text)
    first = api.post(PAGE, data=form, follow_redirects=False)
    again = api.post(PAGE, data=form, follow_redirects=False)
    assert first.status_code == again.status_code == 303
    (rule,) = world.market.autoinvest.rules.of_investor("inv_1")
    t = rule.terms
    assert (t.grades, t.terms, t.min_rate, t.max_rate) == (("A", "C"), (12, 24), Decimal("0.05"), Decimal("0.125"))
    assert (t.amount, t.borrower_share, t.reserve, t.enabled) == (yuan(200), Decimal("0.1"), yuan(1_000), True)
    shown = api.get(first.headers["location"] + f"&lang={lang}").text
    assert done in shown and "12.50%" in shown and "A, C" in shown


def test_a_bad_rule_is_refused_on_the_form_in_the_readers_language_and_nothing_is_made(
    api: TestClient, container: Container
) -> None:
    world = build(container)
    world.investor("inv_1", cash=5_000)
    sign_in(api, container, "inv_1", Role.INVESTOR)
    for lang, changes, words in (
        ("zh-CN", {"grades": []}, "请至少选择一个等级"),
        ("en", {"min_rate": "20"}, "The rate range runs from a lower to a higher rate"),
        ("en", {"amount_per_note": "75"}, "Invest in multiples of the note size"),
        ("zh-CN", {"max_borrower_share": "abc"}, "同一借款人占比须大于"),
        ("en", {"terms": ["x"]}, "Choose at least one term"),
    ):
        page = api.get(f"{PAGE}?lang={lang}").text
        refused = api.post(PAGE, data=_form(page, **changes))
        assert refused.status_code == 422 and words in refused.text, (changes, refused.text[-600:])
        assert 'value="12.5"' in refused.text or "max_rate" in changes  # what was typed is kept
    assert world.market.autoinvest.rules.of_investor("inv_1") == []


def test_an_investor_switches_a_rule_off_and_deletes_it(api: TestClient, container: Container) -> None:
    world = build(container)
    world.investor("inv_1", cash=5_000)
    rule = world.market.autoinvest.rules.create("inv_1", rule_terms())
    sign_in(api, container, "inv_1", Role.INVESTOR)
    page = api.get(f"{PAGE}/{rule.id}?lang=en")
    assert page.status_code == 200 and "Rule 1" in page.text
    off = _form(page.text, enabled="", grades=["A"])
    saved = api.post(f"{PAGE}/{rule.id}", data=off, follow_redirects=False)
    assert saved.status_code == 303 and world.market.autoinvest.rules.get("inv_1", rule.id).terms.enabled is False
    assert "Off" in api.get(f"{PAGE}?lang=en").text
    bad = api.post(f"{PAGE}/{rule.id}", data=_form(page.text, max_rate="1", min_rate="2"))
    assert bad.status_code == 422 and "The rate range" in bad.text
    gone = api.post(f"{PAGE}/{rule.id}/delete", data={"csrf_token": csrf(page.text)}, follow_redirects=False)
    assert gone.status_code == 303 and world.market.autoinvest.rules.of_investor("inv_1") == []
    assert api.get(f"{PAGE}/{rule.id}", follow_redirects=False).headers["location"] == PAGE


def test_the_page_shows_what_a_rule_invested_when_a_listing_opened(api: TestClient, container: Container) -> None:
    world = build(container)
    world.investor("inv_1", cash=5_000)
    world.market.autoinvest.rules.create("inv_1", rule_terms(500))
    world.offer(amount=1_000)
    (made,) = world.market.autoinvest.rules.investments("inv_1")
    sign_in(api, container, "inv_1", Role.INVESTOR)
    for lang, words in (("en", "What auto-invest did"), ("zh-CN", "自动投标记录")):
        page = api.get(f"{PAGE}?lang={lang}").text
        assert (
            words in page and made.listing_id in page and yuan(1_000).format("en" if lang == "en" else "zh_CN") in page
        )


@pytest.mark.parametrize("role", [Role.BORROWER, Role.ADMIN, Role.COMPLIANCE])
def test_borrowers_and_operators_are_sent_away_from_the_pages_and_forms(
    api: TestClient, container: Container, role: Role
) -> None:
    world = build(container)
    world.investor("inv_1", cash=100)
    rule = world.market.autoinvest.rules.create("inv_1", rule_terms())
    sign_in(api, container, "someone", role)
    home = api.get("/?lang=en").text
    token = csrf(home) if "csrf_token" in home else ""
    for path in (PAGE, f"{PAGE}/{rule.id}"):
        assert denied(api.get(path, follow_redirects=False)), path
        assert denied(api.post(path, data={"csrf_token": token, "form_key": "k"}, follow_redirects=False)), path
    assert denied(api.post(f"{PAGE}/{rule.id}/delete", data={"csrf_token": token}, follow_redirects=False))
    assert len(world.market.autoinvest.rules.of_investor("inv_1")) == 1
