from datetime import UTC, date, datetime, timedelta

import pytest

from fairlend.bureau.model import ConsentAttestation, InquiryKind, InquiryPurpose
from fairlend.bureau.service import BureauService
from fairlend.clock import FixedClock
from fairlend.errors import Forbidden
from tests.bureau.conftest import ID_CN, Records, lines


def _consent(institution_id: str, purpose: InquiryPurpose = InquiryPurpose.LOAN_APPROVAL) -> ConsentAttestation:
    return ConsentAttestation("cons_1", purpose, institution_id, "v3", datetime(2026, 3, 1, tzinfo=UTC))


def test_a_hard_inquiry_without_consent_is_refused_and_leaves_no_record(bureau: BureauService) -> None:
    inst = bureau.register_institution("Bank A").institution_id
    with pytest.raises(Forbidden) as refused:
        bureau.inquire(inst, ID_CN, InquiryPurpose.LOAN_APPROVAL)
    assert refused.value.code == "inquiry_consent_required"
    with pytest.raises(Forbidden) as wrong:
        bureau.inquire(inst, ID_CN, InquiryPurpose.CREDIT_CARD_APPROVAL, consent=_consent(inst))
    assert wrong.value.code == "inquiry_consent_mismatch"
    report = bureau.inquire(inst, ID_CN, InquiryPurpose.LOAN_APPROVAL, name="张三", consent=_consent(inst))
    assert [(i.kind, i.purpose, i.institution_name) for i in report.inquiries] == [
        (InquiryKind.HARD, InquiryPurpose.LOAN_APPROVAL, "Bank A")
    ]


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
    assert refused.value.code == "no_account_relationship"
    bureau.submit(inst, lines(Records("L1").opened(date(2026, 1, 5))))
    report = bureau.inquire(inst, ID_CN, InquiryPurpose.POST_LOAN_MANAGEMENT)
    assert report.inquiries[0].kind is InquiryKind.POST_LOAN


def test_inquiries_leave_the_report_after_the_profiles_retention(bureau: BureauService, clock: FixedClock) -> None:
    bureau.self_query(ID_CN)
    years = bureau.profile.bureau.inquiry_retention_years
    clock.set_business_date(date(2026 + years, 3, 1))
    assert len(bureau.report(ID_CN).inquiries) == 1
    clock.set_business_date(date(2026 + years, 3, 2) + timedelta(days=1))
    assert bureau.report(ID_CN).inquiries == ()
