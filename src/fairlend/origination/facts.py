"""What origination decides on: the applicant's facts as scoring knows them, and the outcome.

Pure functions: identity's and the bureau's answers in, scoring's `ApplicantFacts` out; the
facts and an assessment in, the credit decision with its limit out. The service calls them
between the external reads and its transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from fairlend.jurisdiction.model import Profile
from fairlend.money import Money, sum_money
from fairlend.origination.model import (
    CreditPolicy,
    ListingFacts,
    Outcome,
    decide,
    limit_for,
    limit_reason,
    p2p_headroom,
)
from fairlend.origination.ports import CreditReport, InquirySubject
from fairlend.scoring.comprehensive import Assessment
from fairlend.scoring.model import (
    ApplicantFacts,
    CertificateFact,
    CertificateKind,
    CreditAccount,
    CreditSummary,
    DelinquencyRecord,
    KycFacts,
    verified_monthly_income,
)

P2P_CAP_REASON = "p2p_borrower_cap"  # MK-3 set the limit


def applicant_facts(
    subject: InquirySubject, report: CreditReport, currency: str, requested: Money | None, stated: Money | None
) -> ApplicantFacts:
    """Map identity's and the bureau's answers onto what scoring knows; nothing else crosses."""
    kyc = subject.kyc
    certificates = []
    for c in subject.certificates:
        try:
            kind = CertificateKind(c.kind)
        except ValueError:
            continue  # a kind the score does not use
        certificates.append(CertificateFact(kind, c.amount, c.approved_at.date()))
    credit = CreditSummary(
        accounts=tuple(
            CreditAccount(a.lender, a.revolving, a.opened_on, a.balance, a.credit_limit) for a in report.accounts
        ),
        delinquencies=tuple(
            DelinquencyRecord(n.lender, n.worst_band, n.began_on, n.ended_on, n.overdue_amount)
            for n in report.negatives
        ),
        # soft inquiries never count against the person
        hard_inquiries=tuple(i.on for i in report.inquiries if i.hard),
    )
    return ApplicantFacts(
        currency=currency,
        kyc=KycFacts(kyc.phone_verified, kyc.identity_verified, kyc.bank_card_verified),
        certificates=tuple(certificates),
        credit=credit,
        requested_amount=requested,
        stated_monthly_income=stated,
    )


def total_debt(facts: ApplicantFacts) -> Money:
    return sum_money([a.balance for a in facts.credit.accounts], facts.currency)


def listing_facts_of(facts: ApplicantFacts, scored: Mapping[str, float], purpose: str) -> ListingFacts:
    """What a marketplace listing may show of the applicant: amounts, months and flags (MK-6).

    History and inquiries are the scored features themselves: investors see what the model saw."""
    income = verified_monthly_income(facts)
    return ListingFacts(
        verified_monthly_income_minor=None if income is None else income.minor,
        total_debt_minor=total_debt(facts).minor,
        credit_history_months=int(scored["history_months"]) if facts.credit.accounts else None,
        identity_verified=facts.kyc.identity_verified,
        bank_card_verified=facts.kyc.bank_card_verified,
        income_verified=income is not None,
        inquiries_6_months=int(scored["hard_inquiries_6m"]),
        purpose=purpose,
    )


def outcome_of(
    facts: ApplicantFacts,
    assessment: Assessment,
    requested: Money,
    *,
    policy: CreditPolicy,
    profile: Profile,
    institution: str,
) -> Outcome:
    """The decision, grade, rate and limit: the limit is the lower of what income and debts
    allow and what the profile's P2P cap (MK-3) leaves beside this institution's own balances."""
    debt, income = total_debt(facts), verified_monthly_income(facts)
    limit = limit_for(income, debt, policy, facts.currency)
    reason = limit_reason(income, debt, policy)
    here = sum_money([a.balance for a in facts.credit.accounts if a.lender == institution], facts.currency)
    headroom = p2p_headroom(profile.marketplace, here, debt)
    if headroom is not None and headroom < limit:
        step = policy.limit_rounding_minor
        limit, reason = Money(headroom.minor - headroom.minor % step, limit.currency), P2P_CAP_REASON
    overdue = any(d.ended_on is None and d.overdue_amount.minor > 0 for d in facts.credit.delinquencies)
    decided = decide(
        assessment.score,
        requested,
        limit,
        overdue_now=overdue,
        apr_cap=profile.pricing.apr_cap,
        policy=policy,
    )
    return replace(decided, limit_reason=reason)
