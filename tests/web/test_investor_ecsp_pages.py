"""MK-4 in the investor portal: the information sheet in both languages, the warning's checkbox, revoking."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from fairlend.bootstrap import Container
from fairlend.identity.model import Role
from tests.market.ecsp_support import RIGHT_ANSWERS, RISK_WARNING, ecsp, passed_investor
from tests.market.support import build, yuan
from tests.web.helpers import csrf, field, sign_in


def test_the_information_sheet_shows_terms_fees_the_warning_the_right_to_revoke_and_no_authority_checked_it(
    api: TestClient, container: Container
) -> None:
    world = build(container, ecsp(container.profile))
    listing = world.offer()
    passed_investor(world, "inv_1", cash=1_000)
    sign_in(api, container, "inv_1", Role.INVESTOR)
    assert f'href="/investor/listings/{listing}/sheet"' in api.get(f"/investor/listings/{listing}?lang=en").text
    english = api.get(f"/investor/listings/{listing}/sheet?lang=en").text
    assert RISK_WARNING in english and "not been verified or approved by any competent authority" in english
    assert "within 4 calendar days" in english and "servicing fee" in english and "Monthly income band" in english
    assert "brw_solid" not in english
    chinese = api.get(f"/investor/listings/{listing}/sheet?lang=zh-CN").text
    assert (
        "未经任何主管机关核实或批准" in chinese
        and "第 4 个日历日" in chinese
        and "投资众筹项目存在损失全部投资资金的风险" in chinese
    )


def test_the_invest_form_goes_past_the_warning_only_with_the_box_ticked(api: TestClient, container: Container) -> None:
    world = build(container, ecsp(container.profile))
    listing = world.offer()
    passed_investor(world, "inv_1", cash=5_000)
    sign_in(api, container, "inv_1", Role.INVESTOR)

    def invest(**extra: str) -> object:
        page = api.get(f"/investor/listings/{listing}?lang=en").text
        assert 'name="acknowledged_risk"' in page and RISK_WARNING in page
        data = {"amount": "1,050", "form_key": field(page, "form_key"), "csrf_token": csrf(page), **extra}
        return api.post(f"/investor/listings/{listing}/invest", data=data, follow_redirects=False)

    refused = invest()
    assert refused.status_code == 422 and "above the large-investment limit" in refused.text  # type: ignore[attr-defined]
    assert world.market.wallets.wallet("inv_1").committed == yuan(0)
    assert invest(acknowledged_risk="1").status_code == 303  # type: ignore[attr-defined]
    assert world.market.wallets.wallet("inv_1").committed == yuan(1_050)


def test_an_investor_revokes_a_waiting_investment_from_the_notes_page(api: TestClient, container: Container) -> None:
    world = build(container, ecsp(container.profile))
    listing = world.offer()
    passed_investor(world, "inv_1", cash=5_000)
    made = world.market.commitments.invest("inv_1", listing, yuan(500))
    sign_in(api, container, "inv_1", Role.INVESTOR)
    page = api.get("/investor/notes?lang=zh-CN").text
    assert f'action="/investor/investments/{made.id}/revoke"' in page and "撤回" in page
    done = api.post(f"/investor/investments/{made.id}/revoke", data={"csrf_token": csrf(page)}, follow_redirects=True)
    assert done.status_code == 200 and "已撤回" in done.text
    assert world.market.wallets.wallet("inv_1").committed == yuan(0)
    again = api.post(f"/investor/investments/{made.id}/revoke", data={"csrf_token": csrf(page)})
    assert again.status_code == 409 and "已不能撤回" in again.text


def test_an_investor_takes_the_entry_test_in_the_portal_and_may_then_invest(
    api: TestClient, container: Container
) -> None:
    world = build(container, ecsp(container.profile))
    listing = world.offer()
    world.investor("inv_1", cash=5_000)
    sign_in(api, container, "inv_1", Role.INVESTOR)
    assert 'href="/investor/entry-test"' in api.get(f"/investor/listings/{listing}?lang=en").text
    page = api.get("/investor/entry-test?lang=zh-CN").text
    assert "入门知识测试" in page and "如果借款人无法还款" in page
    wrong = {"loss": "nothing", "liquidity": "any_time", "guarantee": "nobody"}
    figures = {"yearly_income": "60,000", "liquid_assets": "40,000", "yearly_commitments": "0"}
    failed = api.post("/investor/entry-test?lang=en", data={**wrong, **figures, "csrf_token": csrf(page)})
    assert failed.status_code == 200 and "Not passed: 1 of 5 right" in failed.text
    right = dict(RIGHT_ANSWERS)
    passed = api.post("/investor/entry-test?lang=en", data={**right, **figures, "csrf_token": csrf(page)})
    assert "You passed: 5 of 5 right" in passed.text and "10,000.00" in passed.text
    assert world.market.commitments.invest("inv_1", listing, yuan(500)).amount == yuan(500)
    bad = api.post("/investor/entry-test?lang=en", data={**right, "yearly_income": "abc", "csrf_token": csrf(page)})
    assert bad.status_code == 422


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_ecsp_pages_show_no_code_and_no_foreign_words(api: TestClient, container: Container, lang: str) -> None:
    # The demo's `us` book has ECSP off and no open listing for the portal crawl to reach: its pages are read here.
    from tests.web.test_every_page_speaks_the_readers_language import _problems

    world = build(container, ecsp(container.profile))
    listing = world.offer()
    passed_investor(world, "inv_1", cash=5_000)
    world.market.commitments.invest("inv_1", listing, yuan(500))
    sign_in(api, container, "inv_1", Role.INVESTOR)
    api.cookies.set("fl_lang", lang)
    paths = (
        f"/investor/listings/{listing}",
        f"/investor/listings/{listing}/sheet",
        "/investor/entry-test",
        "/investor/notes",
    )
    pages = {path: api.get(path) for path in paths}
    assert all(r.status_code == 200 for r in pages.values()), {p: r.status_code for p, r in pages.items()}
    problems = {path: p for path, r in pages.items() if (p := _problems(r.text, lang))}
    assert not problems, "\n".join(f"{path}: {p[:6]}" for path, p in problems.items())
