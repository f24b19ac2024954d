"""Origination through the real bureau client: soft self-checks, consented hard inquiries."""

from __future__ import annotations

import pytest

from fairlend.bootstrap import Container
from fairlend.errors import Forbidden
from fairlend.identity.model import ConsentPurpose
from fairlend.money import Money
from tests.identity.helpers import verified_borrower


def _inquiries(container: Container, id_number: str) -> list[tuple[str, str]]:
    assert container.bureau is not None
    report = container.bureau.counter_report(id_number)
    return [(i.institution_id, i.kind.value) for i in report.inquiries]


def test_a_self_check_is_a_soft_query_at_the_bureau(container: Container) -> None:
    assert container.origination is not None
    who, _, id_number = verified_borrower(container)
    check = container.origination.self_check(who.subject_id)
    assert check.score.score > 0 and check.report.accounts == ()
    kinds = {kind for institution, kind in _inquiries(container, id_number) if institution == "inst_fairlend"}
    assert kinds == {"self"}


def test_an_application_without_consent_makes_no_hard_inquiry(container: Container) -> None:
    assert container.origination is not None
    who, _, id_number = verified_borrower(container)
    with pytest.raises(Forbidden) as refused:
        container.origination.apply(who.subject_id, Money.of("20000", "CNY"), 12, inquiry_disclosure_acknowledged=True)
    assert refused.value.code == "consent_required"
    assert ("inst_fairlend", "hard") not in _inquiries(container, id_number)


def test_a_consented_application_is_a_hard_inquiry_recorded_on_the_bureau_file(container: Container) -> None:
    assert container.origination is not None
    who, _, id_number = verified_borrower(container)
    container.identity.consents.give(who.subject_id, ConsentPurpose.CREDIT_INQUIRY, "credit-inquiry-v1", "fairlend")
    container.origination.apply(who.subject_id, Money.of("20000", "CNY"), 12, inquiry_disclosure_acknowledged=True)
    assert ("inst_fairlend", "hard") in _inquiries(container, id_number)
