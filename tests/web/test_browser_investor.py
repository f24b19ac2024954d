"""An investor's whole story in headless Chromium, under `us` (retail investors on, MK-5), in zh-CN and en.

The investor (signed up and verified through identity's services, as the sign-up pages do) accepts the
investor agreement and deposits on the wallet page, writes an auto-invest rule on its page; a borrower's
offer is accepted (origination, as the borrower portal does) and the listing it opens is funded by that
rule; the borrower repays the first installment; end-of-day distributes it; the investor sees the money
on the notes, portfolio (with NAR) and statements pages. Each page is checked for the reader's words and
for codes or ids left untranslated.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from fairlend.bootstrap import Container, bootstrap
from fairlend.clock import FixedClock
from fairlend.config import Settings
from fairlend.identity.model import ConsentPurpose, OtpPurpose, Principal, Role
from fairlend.identity.ports import DevMessageSender
from fairlend.identity.tokens import WEB_SESSION_TTL
from fairlend.money import Money
from fairlend.sim.demo import contact_instant
from fairlend.sim.market import apply_and_accept
from fairlend.sim.people import card_number, make_borrowers, person_name, phone_number, ssn_number
from fairlend.web.session import SESSION_COOKIE
from tests.web.test_browser import serving
from tests.web.test_every_page_speaks_the_readers_language import _problems

pytestmark = [pytest.mark.browser, pytest.mark.backends("sqlite")]

TODAY = date(2026, 3, 2)
LOCALE = {"en": "en", "zh-CN": "zh_CN"}
TEXTS = {
    "en": {
        "done": "Done",
        "deposit": "Deposit",
        "rule": "Rule created.",
        "nar": "Net annualised return",
        "interest": "Interest received",
        "current": "Current",
        "received": "Repayment received",
    },
    "zh-CN": {
        "done": "已完成",
        "deposit": "充值",
        "rule": "规则已创建。",
        "nar": "净年化收益率",
        "interest": "已收利息",
        "current": "正常",
        "received": "回款",
    },
}


@pytest.fixture
def us(database_url: str, tmp_path: Path) -> Iterator[Container]:
    built = bootstrap(
        Settings(environment="test", database_url=database_url, data_dir=tmp_path, jurisdiction="us"),
        clock=FixedClock(contact_instant(TODAY, "America/New_York"), TODAY),
    )
    yield built
    built.close()


def _signed_up(container: Container, role: Role, index: int) -> str:
    """A person signs up with the development sender's code, proves identity and binds a card (MK-5)."""
    identity = container.identity
    sender = identity.sender
    assert isinstance(sender, DevMessageSender)
    rng = random.Random(index)
    phone = phone_number(9, index, "us.ssn")
    identity.otp.send_code(phone, OtpPurpose.SIGN_UP)
    code = sender.last_code(identity.otp.phone(phone).e164, OtpPurpose.SIGN_UP.value)
    assert code is not None
    who = identity.accounts.sign_up(phone, code, role)
    identity.kyc.verify_identity(who.subject_id, person_name(rng, "us.ssn"), ssn_number(rng), date(1980, 5, 17))
    identity.kyc.bind_bank_card(who.subject_id, card_number(9_000_000 + index))
    identity.consents.give(who.subject_id, ConsentPurpose.DATA_PROCESSING, "data-processing/v1")
    return who.subject_id


def _clean(page: Page, lang: str) -> None:
    """The page speaks the reader's language: no code or id left where words belong."""
    assert _problems(page.content(), lang) == [], page.url


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_an_investor_deposits_sets_a_rule_funds_a_loan_by_it_and_sees_the_repayment_and_nar(
    us: Container, page: Page, lang: str
) -> None:
    texts, locale = TEXTS[lang], LOCALE[lang]
    market = us.market
    assert market is not None and us.profile.marketplace.retail
    investor = _signed_up(us, Role.INVESTOR, 801)
    token, _ = us.identity.tokens.issue(Principal(investor, Role.INVESTOR), WEB_SESSION_TTL)
    with serving(us) as server:
        page.context.add_cookies(
            [{"name": SESSION_COOKIE, "value": token, "url": server}, {"name": "fl_lang", "value": lang, "url": server}]
        )
        # The wallet: the agreement with a stated net worth, then a deposit.
        page.goto(f"{server}/investor/wallet?lang={lang}")
        expect(page.locator("html")).to_have_attribute("lang", lang)
        agreement = page.get_by_test_id("agreement")
        agreement.locator("input[name=net_worth]").fill("250,000")
        agreement.locator("input[name=agreement]").check()
        agreement.locator("button").click()
        page.get_by_test_id("deposit-form").locator("input[name=amount]").fill("5,000")
        page.get_by_test_id("deposit-form").locator("button").click()
        expect(page.get_by_test_id("done")).to_contain_text(texts["done"])
        deposited = Money.of(5_000, "USD")
        expect(page.get_by_test_id("cash")).to_have_text(deposited.format(locale))
        expect(page.get_by_test_id("movements")).to_contain_text(texts["deposit"])
        _clean(page, lang)

        # An auto-invest rule: every grade and term, $100 a turn, all of the portfolio in one borrower if need be.
        page.goto(f"{server}/investor/autoinvest?lang={lang}")
        form = page.get_by_test_id("rule-form")
        for box in form.locator("input[name=grades]").all() + form.locator("input[name=terms]").all():
            box.check()
        form.locator("input[name=min_rate]").fill("0")
        form.locator("input[name=max_rate]").fill("36")
        form.locator("input[name=amount_per_note]").fill("100")
        form.locator("input[name=max_borrower_share]").fill("100")
        form.locator("input[name=cash_reserve]").fill("0")
        form.locator("input[name=enabled]").check()
        form.locator("button").click()
        expect(page.get_by_test_id("done")).to_have_text(texts["rule"])
        _clean(page, lang)
        (rule,) = market.autoinvest.rules.of_investor(investor)

        # A borrower accepts an offer; the listing it opens is funded by the rule alone, just after.
        borrower = _signed_up(us, Role.BORROWER, 802)
        us.identity.consents.give(borrower, ConsentPurpose.CREDIT_INQUIRY, "credit-inquiry/v1", "fairlend")
        wants = replace(make_borrowers(1, 9, TODAY, scheme="us.ssn")[0], amount_yuan=1_000, term=12)
        offer = apply_and_accept(us, borrower, wants)
        assert offer.listing_id is not None
        listing = market.listings.get(offer.listing_id)
        assert listing.loan_id is not None and listing.remaining.minor == 0
        (note,) = market.notes.of_holder(investor)
        assert note.loan_id == listing.loan_id and note.principal == listing.amount
        assert [m.rule_id for m in market.autoinvest.rules.investments(investor)] == [rule.id]
        page.reload()
        expect(page.get_by_test_id("made")).to_contain_text(listing.amount.format(locale))

        # The borrower pays the first installment on its due date; end-of-day distributes it.
        loan_id = listing.loan_id
        due = us.lending.loan_facts(loan_id)
        assert due.next_due_date is not None
        us.eod.run(through=due.next_due_date - timedelta(days=1))
        us.lending.repay(loan_id, due.next_due_amount, reference="browser test")
        us.eod.run(through=due.next_due_date)
        view = market.portfolios.portfolio(investor)
        assert view.interest_received.minor > 0 and view.nar is not None and view.nar > 0

        # The notes page: less outstanding than was lent, the money received, the note current.
        page.goto(f"{server}/investor/notes?lang={lang}")
        row = page.get_by_test_id("notes").locator(f"tr[data-id='{note.id}']")
        expect(row).to_contain_text(view.notes[0].outstanding.format(locale))
        expect(row).to_contain_text(view.notes[0].received.format(locale))
        expect(row).to_contain_text(texts["current"])
        assert view.notes[0].outstanding < note.principal and view.notes[0].received.minor > 0
        _clean(page, lang)

        # The portfolio: NAR as a figure, the interest received.
        page.goto(f"{server}/investor/portfolio?lang={lang}")
        expect(page.get_by_test_id("nar")).to_contain_text(texts["nar"])
        expect(page.get_by_test_id("nar")).to_contain_text(f"{view.nar * 100:.2f}%")
        expect(page.get_by_test_id("interest_received")).to_have_text(view.interest_received.format(locale))
        expect(page.get_by_test_id("net_received")).to_have_text(view.net_received.format(locale))
        summary = page.get_by_test_id("summary").inner_text()
        assert texts["interest"] in summary
        _clean(page, lang)

        # The statement for the period shows the distribution as a repayment received.
        page.goto(f"{server}/investor/statements?lang={lang}&from={TODAY}&to={us.clock.business_date()}")
        expect(page.locator("main")).to_contain_text(texts["received"])
        _clean(page, lang)
