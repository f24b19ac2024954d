"""Hardship's clocks on the pages: an offer's last day and its expiry, the cool-down, missed answer deadlines.

As the adversary would look: a status, a refusal or a flag that shows a raw code or English on a
Chinese page; a form the service would refuse offered anyway; a missed deadline the compliance
officer cannot see, or one shown on the deadline day itself.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.hardship.model import DeclineReason, Kind, ProposalStatus, RequestStatus, Terms
from fairlend.identity.model import Role
from fairlend.web.i18n import catalog
from tests.hardship.helpers import counts
from tests.web import test_hardship_pages as hardship_pages
from tests.web.helpers import csrf, denied, field, sign_in
from tests.web.test_every_page_speaks_the_readers_language import ENGLISH_RUN, LATIN_OK, SNAKE, _Text

OWNER, _ask = hardship_pages.OWNER, hardship_pages._ask
late_loan = hardship_pages.late_loan  # the fixture: ¥50,000, January's and February's instalments unpaid
MAKER = "op_maker"


def _visible(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    return parser.chunks


def _clean(html: str, lang: str) -> list[str]:
    """What the language sweep would complain of: a snake_case code, or (zh-CN) a run of English words."""
    found: list[str] = []
    for chunk in _visible(html):
        found += SNAKE.findall(chunk)
        if lang == "zh-CN":
            found += [r for r in ENGLISH_RUN.findall(chunk) if not set(r.split()) <= LATIN_OK]
    return found


def _offer(container: Container, request_id: str) -> date:
    offer = container.hardship.propose(request_id, Terms(Kind.TERM_EXTENSION, periods=3), MAKER)
    assert not offer.needs_approval and offer.expires_on is not None
    return offer.expires_on


def _end_of_day(container: Container, clock: FixedClock, day: date) -> None:
    """Hardship's end-of-day step for `day`, then the next business day."""
    clock.set_business_date(day)
    with container.uow() as uow:
        container.hardship.run_day(uow, day)
        uow.commit()
    clock.set_business_date(day + timedelta(days=1))


def test_every_request_and_proposal_status_has_words_in_both_languages() -> None:
    for locale in ("en", "zh-CN"):
        words = catalog(locale)
        missing = [
            f"request_status.{s.value}" for s in RequestStatus if f"hardship.request_status.{s.value}" not in words
        ]
        missing += [
            f"proposal_status.{s.value}" for s in ProposalStatus if f"hardship.proposal_status.{s.value}" not in words
        ]
        assert missing == [], locale


@pytest.mark.parametrize("code", ["offer_expired", "request_cooldown", "too_many_evidence_files", "file_empty"])
def test_every_refusal_the_new_clocks_and_files_bring_has_words_of_its_own_in_both_languages(code: str) -> None:
    en, zh = catalog("en"), catalog("zh-CN")
    key = next((k for k in (f"hardship.error.{code}", f"error.{code}") if k in en), None)
    assert key is not None and key in zh and zh[key] != en[key]
    assert not [r for r in ENGLISH_RUN.findall(zh[key]) if not set(r.split()) <= LATIN_OK]
    # An expired hardship offer is not an expired loan offer: the borrower is not told to "apply again".
    if code == "offer_expired":
        assert key == "hardship.error.offer_expired" and "apply" not in en[key]


def test_an_offer_shows_its_last_day_and_once_expired_the_request_says_so_in_words(
    api: TestClient, container: Container, late_loan: str, clock: FixedClock
) -> None:
    request_id = _ask(api, container, late_loan)
    last_day = _offer(container, request_id)
    page = api.get(f"/borrower/hardship/{request_id}?lang=en").text
    assert f"You may accept this offer until {last_day.isoformat()}" in page
    assert f"{last_day.isoformat()}（最后一天）前接受" in api.get(f"/borrower/hardship/{request_id}?lang=zh-CN").text
    drawn = page

    _end_of_day(container, clock, last_day)
    assert container.hardship.request(request_id).status is RequestStatus.EXPIRED
    sign_in(api, container, OWNER, Role.BORROWER)  # a session does not last the offer's fifteen days
    for lang in ("en", "zh-CN"):
        shown = api.get(f"/borrower/hardship/{request_id}?lang={lang}").text
        assert "request_status.expired" not in shown and 'data-testid="expired"' in shown
        assert _clean(shown, lang) == [], lang
        listed = api.get(f"/borrower/hardship?lang={lang}").text
        assert "request_status.expired" not in listed and _clean(listed, lang) == [], lang
    assert "Expired: the offer was not accepted in time" in api.get("/borrower/hardship?lang=en").text
    sign_in(api, container, MAKER, Role.UNDERWRITER)
    desk = api.get(f"/operator/hardship/requests/{request_id}?lang=zh-CN").text
    assert "proposal_status.expired" not in desk and "已失效：未在期限内接受" in desk

    # The form drawn before the expiry: refused in the borrower's words, nothing written.
    sign_in(api, container, OWNER, Role.BORROWER)
    before = counts(container)
    form = {
        "csrf_token": csrf(drawn),
        **{k: field(drawn, k) for k in ("proposal_id", "fingerprint", "consent_version", "form_key")},
        "agreed": "1",
    }
    late = api.post(f"/borrower/hardship/{request_id}/accept?lang=zh-CN", data=form)
    assert late.status_code == 409 and "此方案的最后接受日已过" in late.text
    assert "offer_expired" not in late.text and _clean(late.text, "zh-CN") == []
    assert counts(container) == before


def test_after_a_decline_the_ask_page_shows_the_cool_downs_first_day_not_a_form_it_would_refuse(
    api: TestClient, container: Container, late_loan: str
) -> None:
    request_id = _ask(api, container, late_loan)
    drawn_before = api.get(f"/borrower/loans/{late_loan}/hardship?lang=en").text
    container.hardship.decline(request_id, MAKER, [DeclineReason.AFFORDABILITY])
    first_day = container.clock.business_date() + timedelta(days=container.profile.hardship.cooldown_days)
    assert container.hardship.cooldown_until(late_loan) == first_day

    page = api.get(f"/borrower/loans/{late_loan}/hardship?lang=en").text
    assert 'data-testid="cooldown"' in page and 'data-testid="ask-form"' not in page
    assert f"You may ask again from {first_day.isoformat()}" in page
    chinese = api.get(f"/borrower/loans/{late_loan}/hardship?lang=zh-CN").text
    assert f"{first_day.isoformat()} 起再次申请" in chinese and _clean(chinese, "zh-CN") == []

    before = counts(container)
    refused = api.post(
        f"/borrower/loans/{late_loan}/hardship?lang=zh-CN",
        data={"plan_kind": "term_extension", "reason": "other", "csrf_token": csrf(drawn_before)},
    )
    assert refused.status_code == 409 and "request_cooldown" not in refused.text
    assert "近期未获批准或方案已失效" in refused.text and _clean(refused.text, "zh-CN") == []
    assert counts(container) == before


def test_the_ask_page_offers_the_form_again_on_the_cool_downs_first_day(
    api: TestClient, container: Container, late_loan: str, clock: FixedClock
) -> None:
    request_id = _ask(api, container, late_loan)
    container.hardship.decline(request_id, MAKER, [DeclineReason.AFFORDABILITY])
    first_day = container.clock.business_date() + timedelta(days=container.profile.hardship.cooldown_days)
    clock.set_business_date(first_day - timedelta(days=1))
    assert container.hardship.cooldown_until(late_loan) == first_day
    clock.set_business_date(first_day)
    assert container.hardship.cooldown_until(late_loan) is None
    sign_in(api, container, OWNER, Role.BORROWER)
    page = api.get(f"/borrower/loans/{late_loan}/hardship?lang=en").text
    assert 'data-testid="ask-form"' in page and 'data-testid="cooldown"' not in page
    assert _ask(api, container, late_loan) != request_id


def test_the_compliance_page_lists_missed_hardship_deadlines_from_the_day_after_never_on_it(
    api: TestClient, container: Container, late_loan: str, clock: FixedClock
) -> None:
    unanswered = _ask(api, container, late_loan)
    due = container.hardship.request(unanswered).answer_due
    clock.set_business_date(due)
    sign_in(api, container, "op_compliance", Role.COMPLIANCE)
    on_the_day = api.get("/operator/compliance?lang=en").text
    assert 'data-testid="hardship-deadlines"' in on_the_day and f'data-flag="{unanswered}"' not in on_the_day
    assert "No missed deadline." in on_the_day

    clock.set_business_date(due + timedelta(days=2))
    page = api.get("/operator/compliance?lang=en").text
    row = re.search(rf'<tr[^>]*data-flag="{unanswered}"[^>]*>(.*?)</tr>', page, re.S)
    assert row is not None and 'data-check="answer_missed"' in row.group(0)
    assert "P-11" in row.group(1) and "No answer yet, 2 days late" in row.group(1)
    assert f'href="/operator/hardship/requests/{unanswered}"' in row.group(1) and due.isoformat() in row.group(1)
    chinese = api.get("/operator/compliance?lang=zh-CN").text
    assert "尚未答复，已逾期 2 天" in chinese and _clean(chinese, "zh-CN") == []

    # Answered two days late: still on the record, as answered late.
    container.hardship.propose(unanswered, Terms(Kind.TERM_EXTENSION, periods=3), MAKER)
    answered = api.get("/operator/compliance?lang=en").text
    assert 'data-check="answered_late"' in answered and "Answered 2 days late" in answered
    # Only compliance readers see the page at all.
    sign_in(api, container, MAKER, Role.UNDERWRITER)
    assert denied(api.get("/operator/compliance?lang=en", follow_redirects=False))


def test_a_decline_for_more_information_points_to_asking_again_and_the_ask_page_takes_it_at_once(
    api: TestClient, container: Container, late_loan: str
) -> None:
    request_id = _ask(api, container, late_loan)
    container.hardship.decline(request_id, MAKER, [DeclineReason.INCOMPLETE])
    declined = api.get(f"/borrower/hardship/{request_id}?lang=en").text
    assert 'data-testid="ask-again"' in declined and 'data-testid="cooldown"' not in declined
    assert f'href="/borrower/loans/{late_loan}/hardship"' in declined
    assert "再次申请还款计划" in api.get(f"/borrower/hardship/{request_id}?lang=zh-CN").text
    page = api.get(f"/borrower/loans/{late_loan}/hardship?lang=en").text
    assert 'data-testid="ask-form"' in page and 'data-testid="cooldown"' not in page
    again = _ask(api, container, late_loan)
    assert again != request_id

    container.hardship.decline(again, MAKER, [DeclineReason.AFFORDABILITY])
    cooled = api.get(f"/borrower/hardship/{again}?lang=en").text
    assert 'data-testid="cooldown"' in cooled and 'data-testid="ask-again"' not in cooled
