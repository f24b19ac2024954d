"""A jurisdiction profile: the numbers and switches that rules read.

Pure data. Rule ids in comments refer to RULES.md; code that enforces a cap or
window reads it from here and names the rule id carried alongside.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import time
from decimal import Decimal

from fairlend.jurisdiction.finance_section import (
    FinanceClass as FinanceClass,
)
from fairlend.jurisdiction.finance_section import (
    FinanceProfile as FinanceProfile,
)
from fairlend.jurisdiction.finance_section import (
    GradeLgd as GradeLgd,
)
from fairlend.jurisdiction.finance_section import (
    Measurement as Measurement,
)
from fairlend.jurisdiction.hardship_section import (
    DeclineReason as DeclineReason,
)
from fairlend.jurisdiction.hardship_section import (
    DiscountedSettlement as DiscountedSettlement,
)
from fairlend.jurisdiction.hardship_section import (
    HardshipProfile as HardshipProfile,
)
from fairlend.jurisdiction.hardship_section import (
    HolidayInterest as HolidayInterest,
)
from fairlend.jurisdiction.hardship_section import (
    InterestStop as InterestStop,
)
from fairlend.jurisdiction.hardship_section import (
    OperatorReschedule as OperatorReschedule,
)
from fairlend.jurisdiction.hardship_section import (
    PaymentHoliday as PaymentHoliday,
)
from fairlend.jurisdiction.hardship_section import (
    ReagePolicy as ReagePolicy,
)
from fairlend.jurisdiction.hardship_section import (
    ReducedInstallments as ReducedInstallments,
)
from fairlend.jurisdiction.hardship_section import (
    TermExtension as TermExtension,
)


class CapScope(enum.StrEnum):
    PER_DEBT = "per_debt"
    PER_DEBTOR = "per_debtor"
    PER_NUMBER = "per_number"
    PER_PERSON_PER_DEBT = "per_person_per_debt"


class CapCounting(enum.StrEnum):
    ATTEMPTS = "attempts"
    CONNECTED = "connected"


class ThirdPartyAllowance(enum.StrEnum):
    NONE = "none"
    LOCATION_ONLY = "location_only"  # US-6
    PRE_AGREED_CONTACT_WHEN_UNREACHABLE = "pre_agreed_contact_when_unreachable"  # CN-1


class CeaseScope(enum.StrEnum):
    ALL = "all"
    MEDIUM = "medium"
    NUMBER = "number"


class StatusCodeSet(enum.StrEnum):
    CN17 = "cn17"
    METRO2 = "metro2"


class NegativeNotice(enum.StrEnum):
    BEFORE = "before"  # CN-11
    AFTER = "after"  # CR-8


class RetentionStart(enum.StrEnum):
    OVERDUE_ENDED = "overdue_ended"  # CN-12
    FIRST_DELINQUENCY_PLUS_180 = "first_delinquency_plus_180"  # CR-6


class AprMethod(enum.StrEnum):
    NOMINAL = "nominal"  # periodic IRR x periods a year (US, CN)
    EFFECTIVE = "effective"  # (1 + periodic IRR) ** periods - 1 (EU APRC)


@dataclass(frozen=True, slots=True)
class ContactWindow:
    start: time
    end: time
    rule: str


@dataclass(frozen=True, slots=True)
class CallCap:
    rule: str
    count: int
    window_days: int
    scope: CapScope
    counting: CapCounting


@dataclass(frozen=True, slots=True)
class ThirdPartyPolicy:
    allowed: ThirdPartyAllowance
    rule: str
    max_contacts_per_person: int
    unreachable_days: int
    disclosure: str  # always "never": a third party is never told of the debt


@dataclass(frozen=True, slots=True)
class LadderStep:
    name: str
    from_dpd: int  # negative: days before the due date
    medium: str
    action: str


@dataclass(frozen=True, slots=True)
class Bucket:
    name: str
    min_dpd: int
    max_dpd: int | None  # None: open-ended


class TemplatePurpose(enum.StrEnum):
    """What a message template is for: the gateway's rules follow from it (P-6, P-7, P-9)."""

    REMINDER = "reminder"  # before the due date, on grace days, the first overdue notice: never threatens
    COLLECTION = "collection"  # collection proper: the debtor only, only after collection_start_dpd (P-7)
    LEGAL_NOTICE = "legal_notice"  # a statement the law requires: still goes out after a cease request (P-6)
    THIRD_PARTY = "third_party"  # to a contact person or third party: no debt content (P-9, CN-1, US-6)
    ACKNOWLEDGEMENT = "acknowledgement"  # answers the borrower's own request (P-6: goes out after a cease)
    CONSENT_REQUEST = "consent_request"  # asks a named contact person to confirm; about no loan
    # A payment of a hardship plan the borrower is keeping: the only message about the loan while it is (P-10).
    PLAN_REMINDER = "plan_reminder"


@dataclass(frozen=True, slots=True)
class MessageTemplate:
    """An approved message, in both languages; `{placeholders}` are filled by the gateway."""

    id: str
    purpose: TemplatePurpose
    en: str
    zh: str


@dataclass(frozen=True, slots=True)
class Phrases:
    """Phrases in each language, matched after normalisation (collections/content.py).

    A phrase of letters and spaces matches whole words; one with a Chinese
    character matches anywhere; one starting `re:` is a regular expression.
    """

    zh: tuple[str, ...]
    en: tuple[str, ...]

    def all(self) -> tuple[str, ...]:
        return self.zh + self.en


@dataclass(frozen=True, slots=True)
class ProhibitedContent:
    """One kind of content no message may carry (threats, false authority, exposure, ...)."""

    category: str
    rule: str
    phrases: Phrases


@dataclass(frozen=True, slots=True)
class OptOutPolicy:
    rule: str  # "" when the jurisdiction sets no opt-out duty
    media: tuple[str, ...]  # the media whose messages must carry one (US-9: texts and e-mails)
    phrases: Phrases
    # Wordings that name an opt-out but offer none ("you cannot opt out", "退订无效"): they cancel a phrase.
    refusals: Phrases


@dataclass(frozen=True, slots=True)
class ContentProfile:
    """What may be said, and to whom (P-9)."""

    # A message to anyone but the debtor that is free text or not a third-party template.
    third_party_rule: str
    # A message to anyone but the debtor that tells of the debt (CN-1, US-5).
    disclosure_rule: str
    debt: Phrases
    prohibited: tuple[ProhibitedContent, ...]
    opt_out: OptOutPolicy
    templates: tuple[MessageTemplate, ...]

    def template(self, template_id: str) -> MessageTemplate | None:
        for template in self.templates:
            if template.id == template_id:
                return template
        return None


@dataclass(frozen=True, slots=True)
class ComplaintClocks:
    """When a complaint must be acknowledged and answered (CN-22, US-19), in calendar days from filing."""

    rule: str
    acknowledge_days: int
    answer_days: int
    # One extension, with notice to the borrower, in complex cases: the answer is then due this much later.
    extension_days: int


@dataclass(frozen=True, slots=True)
class CollectionsProfile:
    contact_window: ContactWindow
    blocked_weekdays: tuple[int, ...]  # 0 = Monday
    block_public_holidays: bool
    consent_may_widen_window: bool
    call_caps: tuple[CallCap, ...]
    quiet_days_after_conversation: int
    quiet_days_rule: str
    third_party: ThirdPartyPolicy
    cease_scopes: tuple[CeaseScope, ...]
    cease_rule: str  # a request to stop all contact (P-6, US-7)
    cease_scoped_rule: str  # a medium or a number forbidden (P-6, US-8)
    # Template purposes that still go out after a request to stop all contact (P-6, US-7's exceptions).
    cease_exempt_purposes: tuple[TemplatePurpose, ...]
    collection_start_dpd: int  # collection proper begins once days past due exceed this
    collection_start_rule: str  # P-7, checked at the moment of sending
    escalation_dpd: int
    ladder: tuple[LadderStep, ...]
    record_retention_years: int
    record_retention_rule: str
    content: ContentProfile
    complaints: ComplaintClocks


@dataclass(frozen=True, slots=True)
class BureauProfile:
    history_months: int
    status_codes: StatusCodeSet
    negative_notice: NegativeNotice
    negative_notice_days: int  # with AFTER: the notice must follow within this many days
    negative_retention_years: int
    negative_retention_start: RetentionStart
    dispute_deadline_days: int
    dispute_deadline_extended_days: int  # when the person adds information (CR-7)
    free_reports_per_year: int
    inquiry_retention_years: int
    inquiry_consent_required: bool
    # The rule a refused inquiry names: consent and purpose (CN-14), or the US stand-in.
    inquiry_consent_rule: str
    report_lag_days: int  # T+1 (CN-16)
    modification_codes: ModificationCodes


@dataclass(frozen=True, slots=True)
class ModificationCodes:
    """What an account shows while a hardship plan governs it, by the plan's kind, and once settled for less.

    `us`: Metro 2 special comment codes (CO loan modified, CP account in forbearance, AC paying under a
    partial payment agreement, AU paid in full for less than the full balance). `cn`: the PBOC report's
    special-transaction wording (展期, 个性化分期, 减免结清 ...); the second-generation report's numeric
    codes are not public in a form we could confirm, so the words stand for them.
    """

    payment_holiday: str
    term_extension: str
    reduced_installments: str
    interest_stop: str
    discounted_settlement: str
    operator_reschedule: str
    settled_for_less: str

    def for_kind(self, kind: str) -> str | None:
        """The code for a plan's kind (hardship's `Kind` values); None for a kind the profile does not know."""
        return getattr(self, kind, None) if kind in MODIFICATION_KINDS else None


MODIFICATION_KINDS = frozenset(
    {
        "payment_holiday",
        "term_extension",
        "reduced_installments",
        "interest_stop",
        "discounted_settlement",
        "operator_reschedule",
    }
)


@dataclass(frozen=True, slots=True)
class PricingProfile:
    apr_cap: Decimal
    apr_cap_rule: str
    overdue_interest_cap: Decimal
    overdue_interest_cap_rule: str
    apr_method: AprMethod


@dataclass(frozen=True, slots=True)
class LocalText:
    """One text a person reads, in each language the portals speak."""

    en: str
    zh: str


@dataclass(frozen=True, slots=True)
class FundingPartner:
    """A licensed lender (bank, consumer-finance company) that co-funds every loan through notes (MK-1, MK-2)."""

    id: str  # the note holder's id, e.g. "inv_partner_bank"
    name: LocalText
    share: Decimal  # the part of each loan this partner funds


@dataclass(frozen=True, slots=True)
class InvestorRules:
    """Who may invest and the warnings and limits they meet (MK-4, MK-5)."""

    kyc_level: str  # the identity level an investor needs before moving money ("verified")
    verified_required: bool  # MK-5: only verified investors
    suitability_share: Decimal  # MK-5: at most this share of declared net worth in notes; 0 = no limit
    suitability_rule: str
    ecsp: bool  # MK-4's safeguards for non-sophisticated investors switched on
    ecsp_rule: str
    large_investment_minor: int  # MK-4: warn before more than this in one project (minor units)
    large_investment_share: Decimal  # MK-4: ... or more than this share of net worth
    reflection_days: int  # MK-4: an offer may be revoked for this many calendar days
    risk_warning: LocalText


@dataclass(frozen=True, slots=True)
class MarketplaceProfile:
    """Who funds a loan and how notes behave (RULES.md "Marketplace")."""

    retail: bool  # MK-1: retail investors may fund listings
    retail_rule: str
    note_minimum_minor: int  # the smallest note and the step of every investment (minor units)
    platform_min_share: Decimal  # MK-2: the platform's own share of each loan, at least
    platform_min_share_rule: str
    funding_partners: tuple[FundingPartner, ...]
    listing_days: int  # a listing's funding deadline, in days from listing
    partial_funding_threshold: Decimal  # at the deadline: originate if funded at least this share
    platform_takes_remainder: bool  # at the deadline the platform may fund what is left
    servicing_fee_rate: Decimal  # of what investors receive
    servicing_fee_within_days: int  # only on payments received within this many days of the due date
    borrower_cap_minor: int  # MK-3: one borrower's outstanding on this platform, at most; 0 = none
    borrower_cap_all_minor: int  # MK-3: across platforms (from the bureau), at most; 0 = none
    borrower_cap_rule: str
    no_guarantee_rule: str  # MK-3, MK-6: never a promise of principal or return
    investors: InvestorRules


@dataclass(frozen=True, slots=True)
class Profile:
    code: str
    name: str
    currency: str
    locale: str
    timezone: str
    holiday_calendar: str
    phone_region: str
    id_number_scheme: str
    collections: CollectionsProfile
    delinquency_buckets: tuple[Bucket, ...]
    bureau: BureauProfile
    pricing: PricingProfile
    marketplace: MarketplaceProfile
    hardship: HardshipProfile
    finance: FinanceProfile

    def bucket_for(self, days_past_due: int) -> Bucket:
        for bucket in self.delinquency_buckets:
            if days_past_due >= bucket.min_dpd and (bucket.max_dpd is None or days_past_due <= bucket.max_dpd):
                return bucket
        raise ValueError(f"no delinquency bucket covers {days_past_due} days past due")
