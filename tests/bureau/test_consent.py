"""Inquiries at the bureau: consent (CN-14, US-17), who needs it, free self-queries (CN-13)."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from fairlend.bureau.consent import (
    COUNTER,
    ConsentAttestation,
    InquiryPurpose,
    consent_problem,
    needs_consent,
    self_query_is_free,
)
from fairlend.jurisdiction.loader import load_profile

CN = load_profile("cn").bureau
US = load_profile("us").bureau


def test_consent_must_match_person_institution_and_purpose_and_be_live() -> None:
    now = datetime(2026, 3, 2, tzinfo=UTC)
    person = "11010119900307002X"
    consent = ConsentAttestation(
        "c1", InquiryPurpose.LOAN_APPROVAL, "inst_a", "v1", now - timedelta(days=1), person_id_number=person
    )
    ok = {"institution_id": "inst_a", "id_number": person, "purpose": InquiryPurpose.LOAN_APPROVAL, "now": now}
    assert consent_problem(consent, **ok) is None  # type: ignore[arg-type]
    assert consent_problem(consent, **{**ok, "id_number": " 11010119900307002x"}) is None  # type: ignore[arg-type]
    assert consent_problem(None, **ok)[0] == "inquiry_consent_required"  # type: ignore[arg-type,index]
    other = {**ok, "institution_id": "inst_b"}
    assert consent_problem(consent, **other)[0] == "inquiry_consent_mismatch"  # type: ignore[arg-type,index]
    someone_else = {**ok, "id_number": "110101199003074477"}
    assert consent_problem(consent, **someone_else) == (  # type: ignore[arg-type]
        "inquiry_consent_mismatch",
        "the consent was given by another person",
    )
    card = {**ok, "purpose": InquiryPurpose.CREDIT_CARD_APPROVAL}
    assert consent_problem(consent, **card)[0] == "inquiry_consent_mismatch"  # type: ignore[arg-type,index]
    self_query = {**ok, "purpose": InquiryPurpose.SELF}
    assert consent_problem(consent, **self_query)[0] == "inquiry_consent_mismatch"  # type: ignore[arg-type,index]
    revoked = replace(consent, granted_at=now - timedelta(days=2), revoked_at=now)
    assert consent_problem(revoked, **ok)[0] == "inquiry_consent_revoked"  # type: ignore[arg-type,index]
    unnamed = replace(consent, consent_id="")
    assert consent_problem(unnamed, **ok)[0] == "inquiry_consent_invalid"  # type: ignore[arg-type,index]


def test_every_inquiry_by_an_institution_needs_consent_but_post_loan_and_the_counter() -> None:
    needed = {(p, who): needs_consent(CN, p, who) for p in InquiryPurpose for who in (COUNTER, "inst_a")}
    assert needed == {
        (InquiryPurpose.LOAN_APPROVAL, COUNTER): True,
        (InquiryPurpose.LOAN_APPROVAL, "inst_a"): True,
        (InquiryPurpose.CREDIT_CARD_APPROVAL, COUNTER): True,
        (InquiryPurpose.CREDIT_CARD_APPROVAL, "inst_a"): True,
        (InquiryPurpose.POST_LOAN_MANAGEMENT, COUNTER): False,  # an account with the person instead
        (InquiryPurpose.POST_LOAN_MANAGEMENT, "inst_a"): False,
        (InquiryPurpose.SELF, COUNTER): False,  # the person stands at the bureau's counter
        (InquiryPurpose.SELF, "inst_a"): True,  # an institution fetching it on the person's behalf
    }
    assert (CN.inquiry_consent_rule, US.inquiry_consent_rule) == ("CN-14", "US-17")
    assert not any(needs_consent(replace(CN, inquiry_consent_required=False), p, "inst_a") for p in InquiryPurpose)


def test_free_self_queries_per_year_come_from_the_profile() -> None:
    assert [self_query_is_free(CN, n) for n in range(3)] == [True, True, False]
    assert [self_query_is_free(US, n) for n in range(2)] == [True, False]
