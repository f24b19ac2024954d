"""Applicant facts for scoring and origination tests."""

from __future__ import annotations

from datetime import date, timedelta

from fairlend.money import Money
from fairlend.scoring.model import (
    ApplicantFacts,
    CertificateFact,
    CertificateKind,
    CreditAccount,
    CreditSummary,
    DelinquencyRecord,
    KycFacts,
)

TODAY = date(2026, 3, 2)


def yuan(amount: int | str) -> Money:
    return Money.of(amount, "CNY")


def struggling_applicant(today: date = TODAY) -> ApplicantFacts:
    """Unverified card, no income proof, a maxed card, inquiries this month, an old and a current overdue."""
    return ApplicantFacts(
        currency="CNY",
        kyc=KycFacts(phone_verified=True, identity_verified=True, bank_card_verified=False),
        certificates=(),
        credit=CreditSummary(
            accounts=(
                CreditAccount("bank_a", True, today - timedelta(days=900), yuan(9_000), yuan(10_000)),
                CreditAccount("bank_b", True, today - timedelta(days=400), yuan(4_500), yuan(5_000)),
                CreditAccount("lender_c", False, today - timedelta(days=200), yuan(30_000)),
            ),
            delinquencies=(
                DelinquencyRecord("bank_a", 2, date(2021, 1, 5), date(2021, 6, 1), yuan(0)),
                DelinquencyRecord("lender_c", 1, today - timedelta(days=20), None, yuan(800)),
            ),
            hard_inquiries=(today - timedelta(days=3), today - timedelta(days=10), today - timedelta(days=70)),
        ),
        requested_amount=yuan(20_000),
        stated_monthly_income=yuan(8_000),
    )


def solid_applicant(today: date = TODAY) -> ApplicantFacts:
    return ApplicantFacts(
        currency="CNY",
        kyc=KycFacts(True, True, True),
        certificates=(
            CertificateFact(CertificateKind.SALARY_FLOW, yuan(15_000), today - timedelta(days=30)),
            CertificateFact(CertificateKind.PROPERTY, yuan(1_500_000), today - timedelta(days=30)),
        ),
        credit=CreditSummary(
            accounts=(CreditAccount("bank_a", True, date(2016, 1, 1), yuan(500), yuan(20_000)),),
        ),
        requested_amount=yuan(30_000),
        stated_monthly_income=yuan(15_000),
    )
