"""A hardship plan's whole story in headless Chromium, under `cn`, in zh-CN and en (issue #15).

A delinquent borrower asks for an interest-stop plan on their loan's page and sees the answer clock; a
collector who did not look calls anyway and is blocked (P-10). An operator previews and proposes twelve
principal-only instalments, whose interest forgone is above the approval threshold; the same operator's
approval is refused on the page, a second operator approves. The borrower reads the offer, agrees and
accepts; the loan page shows the old and the new schedule; on the first plan payment's due date the
borrower pays it from the loan page, end-of-day keeps the plan and re-ages the loan (cn: after the first
payment), and the contact log shows the blocked call with P-10's words.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from fairlend.bootstrap import Container, bootstrap
from fairlend.clock import FixedClock
from fairlend.collections.gateway import ContactRequest
from fairlend.collections.model import Medium
from fairlend.config import Settings
from fairlend.hardship.model import PlanStatus, ProposalStatus
from fairlend.identity.model import Principal, Role
from fairlend.identity.tokens import WEB_SESSION_TTL
from fairlend.lending.views import PastRepayment
from fairlend.money import Money
from fairlend.sim.demo import contact_instant
from fairlend.web.session import SESSION_COOKIE
from tests.hardship.support import CASH12
from tests.identity.helpers import verified_borrower
from tests.web.test_browser import serving
from tests.web.test_every_page_speaks_the_readers_language import _problems

pytestmark = [pytest.mark.browser, pytest.mark.backends("sqlite")]

TODAY = date(2026, 3, 2)
MAKER, CHECKER, COLLECTOR = "op_maker", "op_checker", "op_collector"
TEXTS = {
    "en": {
        "clock": "15 days left to answer",
        "pending": "Waiting for our answer",
        "awaiting": "waits for a second operator",
        "maker_refused": "a second operator must approve it",
        "approved": "Approved: the offer is with the borrower.",
        "accepted": "Plan accepted",
        "kept": "Kept so far",
        "held": "Still reported as",
        "reaged": "Back to current since",
        "versions": "now in force",
    },
    "zh-CN": {
        "clock": "距答复期限还有 15 天",
        "pending": "等待答复",
        "awaiting": "等待第二位操作员审批",
        "maker_refused": "须由另一位操作员审批",
        "approved": "已批准：方案已提供给借款人。",
        "accepted": "已接受还款计划",
        "kept": "履约中",
        "held": "仍按逾期",
        "reaged": "起恢复正常",
        "versions": "当前有效",
    },
}


@pytest.fixture
def cn(database_url: str, tmp_path: Path) -> Iterator[Container]:
    built = bootstrap(
        Settings(environment="test", database_url=database_url, data_dir=tmp_path),
        clock=FixedClock(contact_instant(TODAY, "Asia/Shanghai"), TODAY),
    )
    yield built
    built.close()


def _as(page: Page, container: Container, server: str, subject: str, role: Role, lang: str) -> None:
    token, _ = container.identity.tokens.issue(Principal(subject, role), WEB_SESSION_TTL)
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": SESSION_COOKIE, "value": token, "url": server}, {"name": "fl_lang", "value": lang, "url": server}]
    )


def _clean(page: Page, lang: str) -> None:
    assert _problems(page.content(), lang) == [], page.url


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_a_delinquent_borrower_gets_an_interest_stop_plan_approved_by_a_second_operator_and_pays_it(
    cn: Container, page: Page, lang: str
) -> None:
    texts = TEXTS[lang]
    locale = lang.replace("-", "_")
    who, _, _ = verified_borrower(cn)
    borrower = who.subject_id
    cn.lending.products.define(CASH12)
    # ¥50,000 over 12 months from 2025-11-02: the first payment made, January's and February's not.
    loan = cn.lending.book_loan(
        borrower,
        CASH12.code,
        Money(5_000_000, "CNY"),
        open_date=date(2025, 11, 2),
        repayments=[PastRepayment(date(2025, 12, 2), Money(458_400, "CNY"))],
    )
    assert cn.lending.loan_facts(loan).days_past_due > 0
    collections = cn.collections
    assert collections is not None
    with serving(cn) as server:
        # The borrower asks from the loan's page.
        _as(page, cn, server, borrower, Role.BORROWER, lang)
        page.goto(f"{server}/borrower/loans/{loan}?lang={lang}")
        page.get_by_test_id("ask-link").click()
        form = page.get_by_test_id("ask-form")
        form.locator("input[value=interest_stop]").check()
        form.locator("select[name=reason]").select_option("job_loss")
        form.locator("input[name=income]").fill("6,000")
        form.locator("input[name=expenses]").fill("4,500")
        _clean(page, lang)
        form.locator("button").click()
        expect(page.get_by_test_id("clock")).to_contain_text(texts["clock"])
        expect(page.get_by_test_id("status")).to_have_text(texts["pending"])
        _clean(page, lang)
        (request,) = cn.hardship.requests_of(borrower)

        # A collector who did not look calls: the gateway blocks it while the request is open.
        call = collections.gateway.attempt(ContactRequest(loan, Medium.CALL, collector_id=COLLECTOR))
        assert not call.allowed and "P-10" in call.rules

        # The maker previews, then proposes twelve principal-only instalments.
        _as(page, cn, server, MAKER, Role.UNDERWRITER, lang)
        page.goto(f"{server}/operator/hardship?lang={lang}")
        page.get_by_test_id("queue").locator(f"tr[data-id='{request.request_id}'] a").click()
        terms = page.get_by_test_id("terms-form")
        terms.locator("select[name=plan_kind]").select_option("interest_stop")
        terms.locator("input[name=periods]").fill("12")
        page.get_by_test_id("preview-button").click()
        preview = page.get_by_test_id("preview")
        expect(preview.get_by_test_id("apr")).to_contain_text("0.00% · APR 0.00%")
        _clean(page, lang)
        page.get_by_test_id("propose-button").click()
        expect(page.get_by_test_id("done")).to_contain_text(texts["awaiting"])
        (proposal,) = cn.hardship.request(request.request_id).proposals
        assert proposal.status is ProposalStatus.AWAITING_APPROVAL
        assert proposal.outcome.concessions.total > cn.profile.hardship.approval_threshold_minor
        # The maker's own approval is refused, and the page says why.
        page.get_by_test_id("approve-form").locator("button").click()
        expect(page.get_by_test_id("error")).to_contain_text(texts["maker_refused"])
        _clean(page, lang)

        # A second operator approves.
        _as(page, cn, server, CHECKER, Role.ADMIN, lang)
        page.goto(f"{server}/operator/hardship/requests/{request.request_id}?lang={lang}")
        page.get_by_test_id("approve-form").locator("button").click()
        expect(page.get_by_test_id("done")).to_have_text(texts["approved"])
        _clean(page, lang)

        # The borrower reads the offer and accepts it.
        _as(page, cn, server, borrower, Role.BORROWER, lang)
        page.goto(f"{server}/borrower/hardship/{request.request_id}?lang={lang}")
        offer = page.get_by_test_id("offer")
        forgone = Money(proposal.outcome.concessions.interest_forgone, "CNY").format(locale)
        expect(offer.get_by_test_id("concessions")).to_contain_text(forgone)
        expect(offer.get_by_test_id("new-schedule").locator("tbody tr")).to_have_count(12)
        _clean(page, lang)
        offer.locator("input[name=agreed]").check()
        offer.locator("button").click()
        expect(page.get_by_test_id("done")).to_contain_text(texts["accepted"])
        expect(page.get_by_test_id("plan-status")).to_have_text(texts["kept"])
        expect(page.get_by_test_id("standing")).to_contain_text(texts["held"])
        _clean(page, lang)
        (plan,) = cn.hardship.plans_of_loan(loan)
        assert plan.consent_version == cn.profile.hardship.consent_version and plan.delinquency_held

        # The loan page shows the old schedule and the new one.
        page.goto(f"{server}/borrower/loans/{loan}?lang={lang}")
        versions = page.get_by_test_id("schedule-versions")
        expect(versions).to_contain_text(texts["versions"])
        versions.locator("summary").click()  # the replaced schedule, folded until asked for
        expect(page.get_by_test_id("schedule-version-1").locator("tbody tr")).to_have_count(12)
        _clean(page, lang)

        # On the first plan payment's due date the borrower pays it from the loan page.
        first = cn.lending.loan_facts(loan)
        page.goto(f"{server}/borrower/hardship/plans/{plan.plan_id}?lang={lang}")
        expect(page.get_by_test_id("next-payment")).to_contain_text(first.next_due_amount.format(locale))
        assert first.next_due_date is not None
        cn.eod.run(through=first.next_due_date - timedelta(days=1))  # the business date is now the due date
        _as(page, cn, server, borrower, Role.BORROWER, lang)
        page.goto(f"{server}/borrower/loans/{loan}?lang={lang}")
        repay = page.get_by_test_id("repay-form")
        # The form suggests the next plan payment: what is due today, carried arrears and all.
        expect(repay.locator("input[name=amount]")).to_have_value(str(first.next_due_amount.to_decimal()))
        repay.locator("button").click()
        expect(page.get_by_test_id("repaid")).to_be_visible()
        cn.eod.run(through=first.next_due_date)
        kept = cn.hardship.plan(plan.plan_id)
        assert kept.status is PlanStatus.ACTIVE and kept.reaged_on is not None
        assert cn.lending.loan_facts(loan).days_past_due == 0
        page.goto(f"{server}/borrower/hardship/plans/{plan.plan_id}?lang={lang}")
        expect(page.get_by_test_id("plan-status")).to_have_text(texts["kept"])
        expect(page.get_by_test_id("standing")).to_contain_text(texts["reaged"])
        _clean(page, lang)

        # The contact log shows the blocked call with P-10's words.
        page.goto(f"{server}/borrower/contacts?lang={lang}")
        expect(page.get_by_test_id("contacts")).to_contain_text("P-10")
        _clean(page, lang)
