"""Origination through the real bureau client: consented self-checks, consented hard inquiries (CN-14)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from fairlend.bootstrap import Container
from fairlend.bureau.tables import bureau_inquiry
from fairlend.errors import Forbidden
from fairlend.identity.model import ConsentPurpose
from fairlend.money import Money
from fairlend.origination.adapters import BureauAdapter
from fairlend.origination.ports import ConsentAttestation, ReportingIdentity
from fairlend.scoring.model import Change
from tests.bureau.conftest import ID_CN
from tests.identity.helpers import verified_borrower


def _inquiries(container: Container, id_number: str) -> list[tuple[str, str]]:
    assert container.bureau is not None
    report = container.bureau.counter_report(id_number)
    return [(i.institution_id, i.kind.value) for i in report.inquiries]


def _fairlend_rows(container: Container) -> list[tuple[str, str, str]]:
    """fairlend's inquiry rows at the bureau: kind and the consent each one carried."""
    with container.engine.connect() as conn:
        rows = conn.execute(
            sa.select(bureau_inquiry.c.kind, bureau_inquiry.c.consent_id, bureau_inquiry.c.consent_text_version)
            .where(bureau_inquiry.c.institution_id == "inst_fairlend")
            .order_by(bureau_inquiry.c.inquired_at, bureau_inquiry.c.id)
        )
        return [(r.kind, r.consent_id, r.consent_text_version) for r in rows]


def test_a_self_check_without_the_persons_consent_asks_the_bureau_nothing(container: Container) -> None:
    service = container.origination
    assert service is not None
    who, _, _ = verified_borrower(container)
    # A loan-application consent is not a self-check consent.
    container.identity.consents.give(who.subject_id, ConsentPurpose.CREDIT_INQUIRY, "credit-inquiry-v1", "fairlend")
    pulls: list[Callable[[], object]] = [
        lambda: service.self_check(who.subject_id),
        lambda: service.prequalify(who.subject_id, Money.of("20000", "CNY"), 12),
        lambda: service.inquiry_disclosure(who.subject_id),
        lambda: service.what_if(who.subject_id, Change(verify_bank_card=True)),
    ]
    for pull in pulls:
        with pytest.raises(Forbidden) as refused:
            pull()
        assert (refused.value.code, refused.value.extra["rule"]) == ("self_check_consent_required", "CN-14")
    assert _fairlend_rows(container) == []


def test_a_self_check_is_a_soft_query_at_the_bureau_carrying_the_persons_consent(container: Container) -> None:
    assert container.origination is not None
    who, _, id_number = verified_borrower(container)
    given = container.identity.consents.give(
        who.subject_id, ConsentPurpose.CREDIT_SELF_CHECK, "credit-self-check/v1", "fairlend"
    )
    check = container.origination.self_check(who.subject_id)
    assert check.score.score > 0 and check.report.accounts == ()
    kinds = {kind for institution, kind in _inquiries(container, id_number) if institution == "inst_fairlend"}
    assert kinds == {"self"}
    assert _fairlend_rows(container) == [("self", given.consent_id, "credit-self-check/v1")]

    container.identity.consents.revoke(who.subject_id, given.consent_id)
    with pytest.raises(Forbidden):
        container.origination.self_check(who.subject_id)
    assert len(_fairlend_rows(container)) == 1


def test_the_bureau_itself_refuses_a_consent_that_is_not_for_a_self_check(container: Container) -> None:
    """Even if origination passed the wrong consent, the bureau checks the attested purpose."""
    assert container.bureau_access is not None
    adapter = BureauAdapter(container.bureau_access)
    subject = ReportingIdentity("张三", ID_CN, "cn.ric")
    granted = datetime(2026, 3, 1, tzinfo=UTC)
    loan_consent = ConsentAttestation("cons_1", "credit_inquiry", "fairlend", granted, "credit-inquiry/v1")
    with pytest.raises(Forbidden) as wrong_purpose:
        adapter.soft_inquiry(subject, institution="fairlend", purpose="self_check", consent=loan_consent)
    assert (wrong_purpose.value.code, wrong_purpose.value.extra["rule"]) == ("inquiry_consent_mismatch", "CN-14")
    self_consent = ConsentAttestation("cons_2", "credit_self_check", "fairlend", granted, "credit-self-check/v1")
    with pytest.raises(Forbidden) as wrong_kind:
        adapter.hard_inquiry(subject, institution="fairlend", purpose="loan_application", consent=self_consent)
    assert wrong_kind.value.code == "inquiry_consent_mismatch"
    with pytest.raises(Forbidden) as no_inquiry:
        adapter.soft_inquiry(
            subject,
            institution="fairlend",
            purpose="self_check",
            consent=ConsentAttestation("cons_3", "marketing", "fairlend", granted, "marketing/v1"),
        )
    assert no_inquiry.value.code == "consent_purpose_mismatch"
    assert _fairlend_rows(container) == []
    adapter.soft_inquiry(subject, institution="fairlend", purpose="self_check", consent=self_consent)
    assert _fairlend_rows(container) == [("self", "cons_2", "credit-self-check/v1")]


def test_an_application_without_consent_makes_no_hard_inquiry(container: Container) -> None:
    assert container.origination is not None
    who, _, id_number = verified_borrower(container)
    with pytest.raises(Forbidden) as refused:
        container.origination.apply(who.subject_id, Money.of("20000", "CNY"), 12, inquiry_disclosure_acknowledged=True)
    assert (refused.value.code, refused.value.extra["rule"]) == ("consent_required", "CN-14")
    assert ("inst_fairlend", "hard") not in _inquiries(container, id_number)


def test_a_consented_application_is_a_hard_inquiry_recorded_on_the_bureau_file(container: Container) -> None:
    assert container.origination is not None
    who, _, id_number = verified_borrower(container)
    given = container.identity.consents.give(
        who.subject_id, ConsentPurpose.CREDIT_INQUIRY, "credit-inquiry-v1", "fairlend"
    )
    container.origination.apply(who.subject_id, Money.of("20000", "CNY"), 12, inquiry_disclosure_acknowledged=True)
    assert ("inst_fairlend", "hard") in _inquiries(container, id_number)
    assert _fairlend_rows(container) == [("hard", given.consent_id, "credit-inquiry-v1")]
