from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from fairlend.bootstrap import Container
from fairlend.bureau.consent import ConsentAttestation, InquiryKind, InquiryPurpose
from fairlend.bureau.service import BureauService
from fairlend.bureau.tables import bureau_inquiry
from fairlend.clock import FixedClock
from fairlend.errors import Forbidden, Invalid, NotFound
from tests.bureau.conftest import ID_CN, ID_US, Records, lines

ANOTHER_PERSON = "11010119900307002X"


def _consent(
    institution_id: str, purpose: InquiryPurpose = InquiryPurpose.LOAN_APPROVAL, id_number: str = ID_CN
) -> ConsentAttestation:
    return ConsentAttestation(
        "cons_1", purpose, institution_id, "v3", datetime(2026, 3, 1, tzinfo=UTC), person_id_number=id_number
    )


def _rows(container: Container) -> list[tuple[str, str, str, str]]:
    """What the bureau recorded of each inquiry: who asked, for what, under which consent and text."""
    with container.engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                bureau_inquiry.c.institution_id,
                bureau_inquiry.c.purpose,
                bureau_inquiry.c.consent_id,
                bureau_inquiry.c.consent_text_version,
            ).order_by(bureau_inquiry.c.inquired_at, bureau_inquiry.c.id)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def test_a_hard_inquiry_without_consent_is_refused_and_leaves_no_record(bureau: BureauService) -> None:
    inst = bureau.register_institution("Bank A").institution_id
    with pytest.raises(Forbidden) as refused:
        bureau.inquire(inst, ID_CN, InquiryPurpose.LOAN_APPROVAL)
    assert (refused.value.code, refused.value.extra["rule"]) == ("inquiry_consent_required", "CN-14")
    with pytest.raises(Forbidden) as someone_else:
        bureau.inquire(inst, ID_CN, InquiryPurpose.LOAN_APPROVAL, consent=_consent(inst, id_number=ANOTHER_PERSON))
    assert someone_else.value.code == "inquiry_consent_mismatch"
    with pytest.raises(Forbidden) as wrong:
        bureau.inquire(inst, ID_CN, InquiryPurpose.CREDIT_CARD_APPROVAL, consent=_consent(inst))
    assert wrong.value.code == "inquiry_consent_mismatch"
    report = bureau.inquire(inst, ID_CN, InquiryPurpose.LOAN_APPROVAL, name="张三", consent=_consent(inst))
    assert [(i.kind, i.purpose, i.institution_name) for i in report.inquiries] == [
        (InquiryKind.HARD, InquiryPurpose.LOAN_APPROVAL, "Bank A")
    ]


def test_an_institutions_self_query_without_consent_is_refused_naming_the_rule_and_leaves_nothing(
    bureau: BureauService, container: Container
) -> None:
    inst = bureau.register_institution("Bank A").institution_id
    with pytest.raises(Forbidden) as refused:
        bureau.self_query(ID_CN, institution_id=inst, name="张三")
    assert refused.value.code == "inquiry_consent_required"
    assert refused.value.extra["rule"] == "CN-14" and "(CN-14)" in refused.value.detail
    # The same through the general inquiry door: purpose "self" is no way around the consent.
    with pytest.raises(Forbidden) as again:
        bureau.inquire(inst, ID_CN, InquiryPurpose.SELF)
    assert again.value.code == "inquiry_consent_required"
    with pytest.raises(NotFound):
        bureau.report(ID_CN)  # no credit file was opened, no inquiry recorded
    assert _rows(container) == []


@pytest.mark.parametrize(
    ("wrong", "code"),
    [
        ({"person_id_number": ANOTHER_PERSON}, "inquiry_consent_mismatch"),
        ({"purpose": InquiryPurpose.LOAN_APPROVAL}, "inquiry_consent_mismatch"),
        ({"institution_id": "inst_someone_else"}, "inquiry_consent_mismatch"),
        ({"revoked_at": datetime(2026, 3, 1, 12, tzinfo=UTC)}, "inquiry_consent_revoked"),
        ({"granted_at": datetime(2027, 1, 1, tzinfo=UTC)}, "inquiry_consent_invalid"),
        ({"text_version": " "}, "inquiry_consent_invalid"),
    ],
    ids=["another person", "another purpose", "another institution", "revoked", "future", "no text version"],
)
def test_a_self_query_consent_that_is_not_this_persons_live_self_consent_to_this_institution_is_refused(
    bureau: BureauService, container: Container, wrong: dict[str, object], code: str
) -> None:
    inst = bureau.register_institution("Bank A").institution_id
    consent = replace(_consent(inst, InquiryPurpose.SELF), **wrong)  # type: ignore[arg-type]
    with pytest.raises(Forbidden) as refused:
        bureau.self_query(ID_CN, institution_id=inst, consent=consent)
    assert (refused.value.code, refused.value.extra["rule"]) == (code, "CN-14")
    assert _rows(container) == []


def test_a_consented_self_query_works_and_the_inquiry_row_keeps_the_consent(
    bureau: BureauService, container: Container
) -> None:
    inst = bureau.register_institution("Bank A").institution_id
    consent = _consent(inst, InquiryPurpose.SELF, id_number=ID_CN.lower() + " ")  # as the index compares
    report = bureau.self_query(ID_CN, institution_id=inst, name="张三", consent=consent)
    assert [(i.kind, i.institution_id, i.free) for i in report.inquiries] == [(InquiryKind.SELF, inst, True)]
    assert _rows(container) == [(inst, "self", "cons_1", "v3")]


def test_the_bureaus_counter_answers_a_self_query_without_a_consent(
    bureau: BureauService, container: Container
) -> None:
    report = bureau.self_query(ID_CN)
    assert [(i.kind, i.institution_id) for i in report.inquiries] == [(InquiryKind.SELF, "")]
    assert _rows(container) == [("", "self", "", "")]


def test_the_counters_id_cannot_be_taken_by_an_institution(bureau: BureauService) -> None:
    with pytest.raises(Invalid) as refused:
        bureau.ensure_institution("", "Counterfeit")
    assert refused.value.code == "institution_id_required"


def test_a_us_bureau_refuses_naming_its_own_rule(us_bureau: BureauService) -> None:
    inst = us_bureau.register_institution("Bank A").institution_id
    with pytest.raises(Forbidden) as refused:
        us_bureau.self_query(ID_US, institution_id=inst)
    assert refused.value.extra["rule"] == us_bureau.profile.bureau.inquiry_consent_rule == "US-17"
    report = us_bureau.self_query(ID_US, institution_id=inst, consent=_consent(inst, InquiryPurpose.SELF, ID_US))
    assert report.inquiries[0].kind is InquiryKind.SELF


def test_the_third_self_query_in_a_year_is_recorded_as_not_free(bureau: BureauService, clock: FixedClock) -> None:
    free = [
        next(i.free for i in bureau.self_query(ID_CN, name="张三").inquiries if i.kind is InquiryKind.SELF)
        for _ in range(3)
    ]
    assert free == [True, True, False]
    clock.set_business_date(date(2027, 1, 1))
    report = bureau.self_query(ID_CN)
    assert report.inquiries[0].free  # a new calendar year


def test_post_loan_queries_are_their_own_kind_and_need_an_account(bureau: BureauService) -> None:
    inst = bureau.register_institution("Bank A").institution_id
    with pytest.raises(Forbidden) as refused:
        bureau.inquire(inst, ID_CN, InquiryPurpose.POST_LOAN_MANAGEMENT)
    assert (refused.value.code, refused.value.extra["rule"]) == ("no_account_relationship", "CN-14")
    records = Records("L1")
    bureau.submit(inst, lines(records.opened(date(2026, 1, 5))))
    report = bureau.inquire(inst, ID_CN, InquiryPurpose.POST_LOAN_MANAGEMENT)
    assert report.inquiries[0].kind is InquiryKind.POST_LOAN
    # Once the loan is settled there is nothing left to manage.
    bureau.submit(inst, lines(records.settled(date(2026, 2, 1))))
    with pytest.raises(Forbidden) as after_settlement:
        bureau.inquire(inst, ID_CN, InquiryPurpose.POST_LOAN_MANAGEMENT)
    assert after_settlement.value.code == "no_account_relationship"


def test_inquiries_leave_the_report_after_the_profiles_retention(bureau: BureauService, clock: FixedClock) -> None:
    bureau.self_query(ID_CN)
    years = bureau.profile.bureau.inquiry_retention_years
    clock.set_business_date(date(2026 + years, 3, 1))
    assert len(bureau.report(ID_CN).inquiries) == 1
    clock.set_business_date(date(2026 + years, 3, 2) + timedelta(days=1))
    assert bureau.report(ID_CN).inquiries == ()
