"""Inquiries at the bureau (pure): kinds and purposes, the person's consent (CN-14), free self-queries (CN-13).

`inquiries.py` writes an inquiry's row; this module only decides.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime

from fairlend.bureau.model import add_years, same_id_number
from fairlend.jurisdiction.model import BureauProfile


class InquiryKind(enum.StrEnum):
    HARD = "hard"
    SELF = "self"
    POST_LOAN = "post_loan"


class InquiryPurpose(enum.StrEnum):
    LOAN_APPROVAL = "loan_approval"
    CREDIT_CARD_APPROVAL = "credit_card_approval"
    POST_LOAN_MANAGEMENT = "post_loan_management"
    SELF = "self"

    @property
    def kind(self) -> InquiryKind:
        if self is InquiryPurpose.SELF:
            return InquiryKind.SELF
        if self is InquiryPurpose.POST_LOAN_MANAGEMENT:
            return InquiryKind.POST_LOAN
        return InquiryKind.HARD


# The bureau's own counter: a person asking for their own report in person, identified there.
COUNTER = ""


@dataclass(frozen=True, slots=True)
class ConsentAttestation:
    """The person's consent, as the inquiring institution holds it (CN-14).

    `person_id_number` names whose consent it is: the bureau refuses it for an
    inquiry about anyone else.
    """

    consent_id: str
    purpose: InquiryPurpose
    institution_id: str
    text_version: str
    granted_at: datetime
    revoked_at: datetime | None = None
    person_id_number: str = field(kw_only=True)


def needs_consent(profile: BureauProfile, purpose: InquiryPurpose, institution_id: str) -> bool:
    """Does an inquiry need the person's consent attested (CN-14)?

    Every inquiry an institution makes does (hard ones, and self-queries made
    on the person's behalf), except post-loan management, which is limited to
    the institution's own borrowers instead. Only the bureau's own counter
    answers a self-query without one: the person stands there in person.
    """
    if not profile.inquiry_consent_required:
        return False
    if purpose.kind is InquiryKind.POST_LOAN:
        return False
    return not (purpose.kind is InquiryKind.SELF and institution_id == COUNTER)


def consent_problem(
    consent: ConsentAttestation | None,
    *,
    institution_id: str,
    id_number: str,
    purpose: InquiryPurpose,
    now: datetime,
) -> tuple[str, str] | None:
    """Why a consent does not cover an inquiry (stable code, detail), or None.

    The caller names the rule (the profile's `inquiry_consent_rule`).
    """
    if consent is None:
        return "inquiry_consent_required", "an institution's inquiry needs the person's consent"
    if not consent.consent_id.strip() or not consent.text_version.strip():
        return "inquiry_consent_invalid", "the consent names no consent id or no version of the consent text"
    if consent.institution_id != institution_id:
        return "inquiry_consent_mismatch", "the consent was given to another institution"
    if not same_id_number(consent.person_id_number, id_number):
        return "inquiry_consent_mismatch", "the consent was given by another person"
    if consent.purpose is not purpose:
        return "inquiry_consent_mismatch", f"the consent covers {consent.purpose}, not {purpose}"
    if consent.granted_at > now:
        return "inquiry_consent_invalid", "the consent is dated in the future"
    if consent.revoked_at is not None and consent.revoked_at <= now:
        return "inquiry_consent_revoked", "the person revoked this consent"
    return None


def self_query_is_free(profile: BureauProfile, earlier_self_queries_this_year: int) -> bool:
    """CN-13: the first `free_reports_per_year` self-queries of a calendar year are free."""
    return earlier_self_queries_this_year < profile.free_reports_per_year


def inquiry_visible_since(profile: BureauProfile, today: date) -> date:
    return add_years(today, -profile.inquiry_retention_years)
