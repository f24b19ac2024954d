"""Origination's pages: my credit (self-check with the bureau report), applying step by step,
the offer and its acceptance, and the underwriters' queue.

Identity, the credit bureau and lending are the real ones bootstrap wires:
an accepted offer is a loan in "My loans".
"""

from __future__ import annotations

import re
import subprocess
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from fairlend.bootstrap import Container
from fairlend.identity.model import Role
from fairlend.origination.model import CreditPolicy
from fairlend.origination.service import CONSENT_PURPOSE, SELF_CHECK_CONSENT_PURPOSE
from fairlend.web.origination import SELF_CHECK_CONSENT_TEXT_VERSION
from tests.identity.helpers import verified_borrower
from tests.web.helpers import csrf, denied, sign_in

TERMS = {"amount": "3000", "term": "12", "income": "20000"}


def _borrower(api: TestClient, container: Container) -> str:
    who, _, _ = verified_borrower(container)
    sign_in(api, container, who.subject_id, Role.BORROWER)
    return who.subject_id


def _apply(api: TestClient, **extra: str) -> tuple[object, str]:
    """Walk prequalify (consenting to the rate check's self-query) -> disclosure -> apply;
    returns the last response and the disclosure page."""
    start = api.get("/borrower/apply?lang=en")
    pre = api.post(
        "/borrower/apply/prequalify", data={**TERMS, "self_check_consent": "1", "csrf_token": csrf(start.text)}
    )
    assert pre.status_code == 200, pre.text
    disclosure = api.post("/borrower/apply/disclosure", data={**TERMS, "csrf_token": csrf(pre.text)})
    assert disclosure.status_code == 200
    done = api.post(
        "/borrower/apply", data={**TERMS, "csrf_token": csrf(disclosure.text), **extra}, follow_redirects=False
    )
    return done, disclosure.text


def _fairlend_self_queries(container: Container, id_number: str) -> int:
    """fairlend's self-queries on the person's file (looking adds one at the counter, never one of fairlend's)."""
    assert container.bureau is not None
    inquiries = container.bureau.counter_report(id_number).inquiries
    return sum(1 for i in inquiries if (i.institution_id, i.kind.value) == ("inst_fairlend", "self"))


def test_my_credit_asks_for_consent_before_fetching_the_report_in_both_locales(
    api: TestClient, container: Container
) -> None:
    who, _, id_number = verified_borrower(container)
    sign_in(api, container, who.subject_id, Role.BORROWER)
    english = api.get("/borrower/credit?lang=en")
    assert english.status_code == 200 and 'data-testid="self-check-consent"' in english.text
    assert "I ask fairlend to obtain my own credit report" in english.text
    assert SELF_CHECK_CONSENT_TEXT_VERSION in english.text and 'data-testid="report"' not in english.text
    chinese = api.get("/borrower/credit?lang=zh-CN")
    assert "请先授权" in chinese.text and "本人授权 fairlend 代本人向征信机构查询本人的信用报告" in chinese.text
    assert _fairlend_self_queries(container, id_number) == 0  # nothing asked of the bureau

    unticked = api.post("/borrower/credit/consent?lang=zh-CN", data={"csrf_token": csrf(chinese.text)})
    assert unticked.status_code == 422 and "请勾选授权" in unticked.text
    assert container.identity.live_consent(who.subject_id, SELF_CHECK_CONSENT_PURPOSE, "fairlend") is None

    ticked = api.post(
        "/borrower/credit/consent", data={"consent": "1", "csrf_token": csrf(english.text)}, follow_redirects=False
    )
    assert ticked.status_code == 303 and ticked.headers["location"] == "/borrower/credit"
    given = container.identity.live_consent(who.subject_id, SELF_CHECK_CONSENT_PURPOSE, "fairlend")
    assert given is not None and given.text_version == SELF_CHECK_CONSENT_TEXT_VERSION
    report = api.get("/borrower/credit?lang=en")
    assert 'data-testid="report"' in report.text and 'data-testid="self-check-consent"' not in report.text
    assert _fairlend_self_queries(container, id_number) == 1

    # Revoked, the consent no longer covers a self-check: the page asks again and the bureau is not asked.
    container.identity.consents.revoke(who.subject_id, given.consent_id)
    again = api.get("/borrower/credit?lang=en")
    assert 'data-testid="self-check-consent"' in again.text and _fairlend_self_queries(container, id_number) == 1


def test_my_credit_shows_the_score_reasons_plan_and_bureau_report_in_both_locales(
    api: TestClient, container: Container
) -> None:
    borrower_id = _borrower(api, container)
    container.identity.consents.give(borrower_id, SELF_CHECK_CONSENT_PURPOSE, "credit-self-check/v1", "fairlend")
    english = api.get("/borrower/credit?lang=en")
    assert english.status_code == 200, english.text
    score = re.search(r'data-testid="score"><strong>(\d+)</strong>', english.text)
    assert score and int(score.group(1)) > 0
    assert container.origination is not None
    scorer = container.origination.scoring.scorer
    assert f"on a scale of {scorer.low} to {scorer.high}" in english.text
    assert re.search(r'data-testid="band">(Poor|Fair|Good|Very good|Excellent)<', english.text)
    assert scorer.version not in english.text  # the model's id is not the person's business
    assert "Verify your real-name bank card" in english.text  # the plan names what to do, with points
    assert re.search(r"<td>\+\d+</td>", english.text)
    assert "My credit bureau report" in english.text and "brpt_" in english.text
    chinese = api.get("/borrower/credit?lang=zh-CN")
    assert "我的征信报告" in chinese.text and "如何提升" in chinese.text
    # The reasons and the plan are told in Chinese too, not in the scorer's English.
    assert "验证您的实名银行卡" in chinese.text and "Verify your real-name bank card" not in chinese.text
    reasons = re.search(r'data-testid="reasons">(.*?)</table>', chinese.text, re.S)
    assert reasons and re.search(r"<td>[^<]*[\u4e00-\u9fff][^<]*</td>", reasons.group(1))
    assert not re.search(r"<td>[A-Z][a-z]+ [a-z]", reasons.group(1)), "no English reason left on the Chinese page"
    portal = api.get("/borrower").text
    assert (
        'href="/borrower/credit"' in portal
        and 'href="/borrower/loans"' in portal
        and 'href="/borrower/apply"' in portal
    )


def test_applying_goes_from_rate_check_through_consent_to_an_offer_and_acceptance(
    api: TestClient, container: Container
) -> None:
    borrower_id = _borrower(api, container)

    start = api.get("/borrower/apply?lang=zh-CN")
    assert 'name="self_check_consent"' in start.text and "本人授权 fairlend" in start.text
    unconsented = api.post("/borrower/apply/prequalify", data={**TERMS, "csrf_token": csrf(start.text)})
    assert unconsented.status_code == 422 and "请勾选授权" in unconsented.text
    assert 'data-testid="prequalification"' not in unconsented.text
    pre = api.post(
        "/borrower/apply/prequalify", data={**TERMS, "self_check_consent": "1", "csrf_token": csrf(start.text)}
    )
    assert "预估结果" in pre.text and "大概率通过" in pre.text
    assert container.identity.live_consent(borrower_id, SELF_CHECK_CONSENT_PURPOSE, "fairlend") is not None
    assert 'name="self_check_consent"' not in pre.text  # given once, not asked again
    disclosure = api.post("/borrower/apply/disclosure", data={**TERMS, "csrf_token": csrf(pre.text)})
    assert "过去 30 天内您有 0 次硬查询" in disclosure.text

    refused, _ = _apply(api, acknowledged="1")  # no consent ticked
    assert refused.status_code == 422 and "a hard inquiry needs your consent" in refused.text  # type: ignore[attr-defined]
    assert container.identity.live_consent(borrower_id, CONSENT_PURPOSE, "fairlend") is None

    applied, _ = _apply(api, acknowledged="1", consent="1")
    assert applied.status_code == 303  # type: ignore[attr-defined]
    assert container.identity.live_consent(borrower_id, CONSENT_PURPOSE, "fairlend") is not None
    application = api.get(applied.headers["location"] + "?lang=en")  # type: ignore[attr-defined]
    assert "Approved" in application.text
    assert "已通过" in api.get(applied.headers["location"] + "?lang=zh-CN").text  # type: ignore[attr-defined]
    application = api.get(applied.headers["location"] + "?lang=en")  # type: ignore[attr-defined]
    offer_path = re.search(r'href="(/borrower/offers/[^"]+)"', application.text)
    assert offer_path

    offer = api.get(offer_path.group(1) + "?lang=en")
    assert container.origination is not None
    offer_id = offer_path.group(1).rsplit("/", 1)[1]
    view = container.origination.offer(borrower_id, offer_id)
    assert f"{view.quote.apr * 100:.2f}%" in offer.text
    assert view.quote.total_cost.format("en") in offer.text
    assert offer.text.count("<tr><td>") >= view.quote.term_months
    assert "借款总成本" in api.get(offer_path.group(1) + "?lang=zh-CN").text

    not_agreed = api.post(offer_path.group(1) + "/accept", data={"csrf_token": csrf(offer.text)})
    assert not_agreed.status_code == 422 and "请勾选同意借款合同" in not_agreed.text
    assert container.lending.loans_of_borrower(borrower_id) == []
    accepted = api.post(offer_path.group(1) + "/accept", data={"agreed": "1", "csrf_token": csrf(offer.text)})
    assert accepted.status_code == 200 and "合同已签署" in accepted.text
    [loan] = container.lending.loans_of_borrower(borrower_id)
    assert loan.outstanding_principal == view.quote.amount and f'href="/borrower/loans/{loan.loan_id}"' in accepted.text
    again = api.post(offer_path.group(1) + "/accept", data={"agreed": "1", "csrf_token": csrf(offer.text)})
    assert again.status_code == 422 and len(container.lending.loans_of_borrower(borrower_id)) == 1
    mine = api.get("/borrower/loans?lang=en")
    assert loan.loan_id in mine.text and loan.total_outstanding.format("en") in mine.text


def test_operators_and_strangers_do_not_get_the_borrower_credit_pages(api: TestClient, container: Container) -> None:
    for path in ("/borrower/credit", "/borrower/apply"):
        assert api.get(path, follow_redirects=False).headers["location"].startswith("/login")
    for role in (Role.UNDERWRITER, Role.ADMIN, Role.INVESTOR):
        sign_in(api, container, "someone", role)
        for path in ("/borrower/credit", "/borrower/apply", "/borrower/applications/app_x", "/borrower/offers/offer_x"):
            assert denied(api.get(path, follow_redirects=False)), (role, path)


def test_a_borrower_cannot_open_another_borrowers_application_or_offer(api: TestClient, container: Container) -> None:
    _borrower(api, container)
    applied, _ = _apply(api, acknowledged="1", consent="1")
    mine = api.get(applied.headers["location"] + "?lang=en")  # type: ignore[attr-defined]
    offer_path = re.search(r'href="(/borrower/offers/[^"]+)"', mine.text)
    assert offer_path

    _borrower(api, container)  # someone else signs in on this browser
    theirs = api.get(applied.headers["location"] + "?lang=en")  # type: ignore[attr-defined]
    assert theirs.status_code == 404 and "3,000.00" not in theirs.text
    offer = api.get(offer_path.group(1))
    assert offer.status_code == 404 and "APR" not in offer.text
    sign_in(api, container, "op_uw", Role.UNDERWRITER)
    assert denied(api.get(applied.headers["location"], follow_redirects=False))  # type: ignore[attr-defined]


def test_underwriters_decide_referred_applications_and_other_roles_cannot(
    api: TestClient, container: Container
) -> None:
    assert container.origination is not None
    container.origination.policy = CreditPolicy(approve_from=900)  # everyone approvable is referred
    borrower_id = _borrower(api, container)
    applied, _ = _apply(api, acknowledged="1", consent="1")
    application_path = applied.headers["location"]  # type: ignore[attr-defined]
    assert "Referred" in api.get(application_path + "?lang=en").text
    application_id = application_path.rsplit("/", 1)[1]

    assert denied(api.get("/operator/applications", follow_redirects=False))  # a borrower
    for role in (Role.COMPLIANCE, Role.COLLECTOR):
        sign_in(api, container, "op_x", role)
        assert denied(api.get("/operator/applications", follow_redirects=False))

    sign_in(api, container, "op_uw", Role.UNDERWRITER)
    queue = api.get("/operator/applications?lang=en")
    assert queue.status_code == 200 and application_id in queue.text and borrower_id in queue.text
    assert "待人工审核的申请" in api.get("/operator/applications?lang=zh-CN").text
    decided = api.post(
        f"/operator/applications/{application_id}",
        data={"decision": "decline", "note": "thin file", "csrf_token": csrf(queue.text)},
        follow_redirects=False,
    )
    assert decided.status_code == 303
    assert application_id not in api.get("/operator/applications").text
    twice = api.post(
        f"/operator/applications/{application_id}",
        data={"decision": "approve", "csrf_token": csrf(queue.text)},
    )
    assert twice.status_code == 422

    sign_in(api, container, borrower_id, Role.BORROWER)
    mine = api.get(application_path + "?lang=en")
    assert "Declined" in mine.text and 'data-testid="adverse-action"' in mine.text


def test_the_contract_is_readable_before_agreeing_and_provable_after_in_html_and_pdf(
    api: TestClient, container: Container, tmp_path: Path
) -> None:
    borrower_id = _borrower(api, container)
    applied, _ = _apply(api, acknowledged="1", consent="1")
    application = api.get(applied.headers["location"] + "?lang=en")  # type: ignore[attr-defined]
    offer_path = re.search(r'href="(/borrower/offers/[^"]+)"', application.text)
    assert offer_path
    offer_id = offer_path.group(1).rsplit("/", 1)[1]
    assert container.origination is not None
    quote = container.origination.offer(borrower_id, offer_id).quote

    draft = api.get(f"/borrower/offers/{offer_id}/contract?lang=en")
    assert draft.status_code == 200 and "Draft" in draft.text and f"{quote.apr * 100:.2f}%" in draft.text
    assert 'data-testid="contract-fingerprint"' not in draft.text

    offer = api.get(offer_path.group(1))
    api.post(offer_path.group(1) + "/accept", data={"agreed": "1", "csrf_token": csrf(offer.text)})
    [loan] = container.lending.loans_of_borrower(borrower_id)
    agreed = api.get(f"/borrower/loans/{loan.loan_id}/contract?lang=zh-CN")
    assert agreed.status_code == 200 and "借款合同" in agreed.text and "合同条款与您同意时记录的指纹一致" in agreed.text
    view = container.origination.contract(borrower_id, offer_id)
    assert view.intact and view.fingerprint and view.fingerprint in agreed.text
    assert quote.fee.format("zh_CN") in agreed.text
    assert f'href="/borrower/loans/{loan.loan_id}/contract"' in api.get(f"/borrower/loans/{loan.loan_id}").text

    pdf = api.get(f"/borrower/offers/{offer_id}/contract.pdf?lang=zh-CN")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    (tmp_path / "c.pdf").write_bytes(pdf.content)
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "c.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "借款合同" in text and view.fingerprint in text.replace("\n", "")

    # Someone changes a stored term after the fact: the page says so.
    from sqlalchemy import update

    from fairlend.origination.tables import loan_offer

    with container.uow() as uow:
        uow.conn.execute(update(loan_offer).where(loan_offer.c.id == offer_id).values(fee_minor=0))
        uow.commit()
    tampered = api.get(f"/borrower/offers/{offer_id}/contract?lang=en")
    assert "no longer match" in tampered.text

    # A contract agreed before texts were versioned (its fingerprint hashed other terms) is not called changed.
    with container.uow() as uow:
        uow.conn.execute(update(loan_offer).where(loan_offer.c.id == offer_id).values(contract_version=None))
        uow.commit()
    legacy = api.get(f"/borrower/offers/{offer_id}/contract?lang=en")
    assert "were not checked against a fingerprint" in legacy.text and "no longer match" not in legacy.text


def test_nobody_else_reads_a_borrowers_contract(api: TestClient, container: Container) -> None:
    borrower_id = _borrower(api, container)
    applied, _ = _apply(api, acknowledged="1", consent="1")
    application = api.get(applied.headers["location"] + "?lang=en")  # type: ignore[attr-defined]
    offer_path = re.search(r'href="(/borrower/offers/[^"]+)"', application.text)
    assert offer_path and borrower_id
    _borrower(api, container)  # another borrower signs in on the same browser
    assert api.get(offer_path.group(1) + "/contract").status_code == 404
    assert api.get(offer_path.group(1) + "/contract.pdf").status_code == 404


def test_my_credit_asks_the_bureau_at_most_once_a_day_and_keeps_the_copy_sealed(
    api: TestClient, container: Container
) -> None:
    who, _, id_number = verified_borrower(container)
    sign_in(api, container, who.subject_id, Role.BORROWER)
    container.identity.consents.give(who.subject_id, SELF_CHECK_CONSENT_PURPOSE, "credit-self-check/v1", "fairlend")
    first = api.get("/borrower/credit?lang=en")
    score = re.search(r'data-testid="score"><strong>(\d+)</strong>', first.text)
    assert score and 'data-testid="fetched"' in first.text
    for _ in range(4):
        again = api.get("/borrower/credit?lang=en")
        assert re.search(r'data-testid="score"><strong>(\d+)</strong>', again.text).group(1) == score.group(1)  # type: ignore[union-attr]
    assert _fairlend_self_queries(container, id_number) == 1  # five visits, one soft inquiry

    from sqlalchemy import select

    from fairlend.origination.tables import self_check

    with container.uow(read_only=True) as uow:
        sealed = uow.conn.execute(select(self_check.c.sealed)).scalar_one()
    assert "brpt_" not in sealed and "inst_" not in sealed  # the kept report is not in clear

    container.clock.set_business_date(container.clock.business_date() + timedelta(days=1))  # type: ignore[attr-defined]
    assert api.get("/borrower/credit?lang=en").status_code == 200
    assert _fairlend_self_queries(container, id_number) == 2  # a new day, a fresh report


def test_the_rate_check_says_why_the_limit_is_below_the_amount_asked_in_both_languages(
    api: TestClient, container: Container
) -> None:
    _borrower(api, container)  # verified, but no approved income certificate
    start = api.get("/borrower/apply?lang=en")
    asked = {**TERMS, "amount": "20000"}
    pre = api.post(
        "/borrower/apply/prequalify", data={**asked, "self_check_consent": "1", "csrf_token": csrf(start.text)}
    )
    reason = re.search(r'data-testid="limit-reason">([^<]+)<', pre.text)
    assert reason and "without an approved income certificate" in reason.group(1)
    assert 'data-testid="scored-with-inquiry"' in pre.text
    zh = api.post("/borrower/apply/prequalify?lang=zh-CN", data={**asked, "csrf_token": csrf(pre.text)})
    assert "没有审核通过的收入证明" in zh.text
    within = api.post(
        "/borrower/apply/prequalify?lang=en", data={**TERMS, "amount": "3000", "csrf_token": csrf(pre.text)}
    )
    assert 'data-testid="limit-reason"' not in within.text  # granted what was asked: nothing to explain


def _applied(api: TestClient, terms: dict[str, str]) -> tuple[str, str]:
    """prequalify -> disclosure -> apply with `terms`, the rate check's grade and rate carried by the forms."""
    start = api.get("/borrower/apply?lang=en")
    pre = api.post(
        "/borrower/apply/prequalify", data={**terms, "self_check_consent": "1", "csrf_token": csrf(start.text)}
    )
    carried = {k: re.search(rf'name="{k}" value="([^"]*)"', pre.text) for k in ("pre_grade", "pre_rate")}
    form = {k: m.group(1) for k, m in carried.items() if m}
    assert form["pre_grade"] and form["pre_rate"], "the rate check's result travels with the form"
    disclosure = api.post("/borrower/apply/disclosure", data={**terms, **form, "csrf_token": csrf(pre.text)})
    assert f'name="pre_grade" value="{form["pre_grade"]}"' in disclosure.text
    done = api.post(
        "/borrower/apply",
        data={**terms, **form, "acknowledged": "1", "consent": "1", "csrf_token": csrf(disclosure.text)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    return done.headers["location"], form["pre_grade"]


def test_an_application_granted_less_than_asked_names_the_rule_that_set_the_limit(
    api: TestClient, container: Container
) -> None:
    _borrower(api, container)  # verified, no approved income certificate: the unverified limit
    location, _ = _applied(api, {**TERMS, "amount": "20000"})
    page = api.get(location.split("?")[0] + "?lang=en")
    reason = re.search(r'data-testid="limit-reason">([^<]+)<', page.text)
    assert reason and "without an approved income certificate" in reason.group(1)
    assert "没有审核通过的收入证明" in api.get(location.split("?")[0] + "?lang=zh-CN").text


def test_an_application_scored_as_the_rate_check_said_shows_no_difference_and_a_changed_one_says_why(
    api: TestClient, container: Container
) -> None:
    _borrower(api, container)
    location, grade = _applied(api, TERMS)
    same = api.get(location + "&lang=en")
    assert 'data-testid="differs-from-precheck"' not in same.text  # the rate check scores the application's inquiry
    path = location.split("?")[0]
    other = "A1" if grade != "A1" else "B1"
    changed = api.get(f"{path}?pre_grade={other}&pre_rate=0.0500&lang=en")
    notice = re.search(r'data-testid="differs-from-precheck">(.*?)</div>', changed.text, re.S)
    assert notice and f"grade {other} at 5.00%" in notice.group(1) and f"scored {grade}" in notice.group(1)
    assert notice.group(1).count("<li>") >= 1  # the principal reasons, as a decline gives them
    for junk in ("pre_grade=Z9&pre_rate=0.05", "pre_grade=A1&pre_rate=abc", "pre_grade=A1&pre_rate=NaN"):
        assert 'data-testid="differs-from-precheck"' not in api.get(f"{path}?{junk}").text
