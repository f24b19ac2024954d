"""Origination use cases: self-check, prequalify, apply, underwrite, accept.

External calls (identity, the bureau, the lending quote) happen before the
transaction opens; what origination stores commits in one unit of work with
its events. No inquiry runs without the person's live consent for it (CN-14):
a hard inquiry needs their credit-inquiry consent, a self-check or rate check
(a self-query at the bureau on their behalf) their self-check consent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, insert, select

from fairlend.clock import Clock
from fairlend.db.uow import UnitOfWorkFactory
from fairlend.errors import Conflict, Forbidden, Invalid
from fairlend.ids import new_id
from fairlend.jurisdiction.model import Profile
from fairlend.money import Money
from fairlend.origination.acceptance import Acceptance
from fairlend.origination.facts import applicant_facts, listing_facts_of, outcome_of
from fairlend.origination.model import (
    PURPOSES,
    ApplicationStatus,
    CreditPolicy,
    Decision,
    Outcome,
    Quote,
)
from fairlend.origination.ports import (
    BureauClient,
    ConsentAttestation,
    ConsentRecord,
    CreditReport,
    FundingPort,
    IdentityService,
    KycLevels,
    LendingService,
    PlatformFunding,
)
from fairlend.origination.tables import loan_application, self_check
from fairlend.origination.views import (
    ApplicationView,
    InquiryDisclosure,
    Prequalification,
    SelfCheck,
    plan_json,
    reasons_json,
    score_view,
    self_check_from_json,
    self_check_json,
)
from fairlend.scoring.comprehensive import Assessment
from fairlend.scoring.model import (
    ApplicantFacts,
    Change,
)
from fairlend.scoring.service import ScoringService, WhatIf

INQUIRY_PURPOSE = "loan_application"  # what the bureau records the hard inquiry for
CONSENT_PURPOSE = "credit_inquiry"  # identity's consent purpose (CN-14), naming this institution
SELF_CHECK_CONSENT_PURPOSE = "credit_self_check"  # the same for self-queries made on the person's behalf
SELF_CHECK_PURPOSE = "self_check"
PREQUALIFY_PURPOSE = "prequalification"


SELF_CHECK_CONSENT_DETAIL = "fetching your own credit report from the bureau needs your consent to this institution"
SELF_CHECK_SEAL = "self_check"  # the vault binds the kept self-check to this purpose


@dataclass(frozen=True, slots=True)
class _Pulled:
    kyc: KycLevels
    report: CreditReport
    facts: ApplicantFacts


class OriginationService(Acceptance):
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        profile: Profile,
        scoring: ScoringService,
        identity: IdentityService,
        bureau: BureauClient,
        lending: LendingService,
        *,
        policy: CreditPolicy | None = None,
        institution: str = "fairlend",
        funding: FundingPort | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self.profile = profile
        self.scoring = scoring
        self.identity = identity
        self.bureau = bureau
        self.lending = lending
        # The market's funding in a deployment (bootstrap); alone, the platform books the loan.
        self.funding: FundingPort = funding or PlatformFunding(lending)
        self.policy = policy or CreditPolicy()
        self.institution = institution

    def _consent(self, borrower_id: str, purpose: str, code: str, detail: str) -> ConsentAttestation:
        """The person's live consent naming this institution, as the bureau must see it (CN-14)."""
        return self._attested(self.identity.live_consent(borrower_id, purpose, self.institution), code, detail)

    def _attested(self, consent: ConsentRecord | None, code: str, detail: str) -> ConsentAttestation:
        if consent is None:
            rule = self.profile.bureau.inquiry_consent_rule
            raise Forbidden(code, f"{detail} ({rule})", rule=rule)
        return ConsentAttestation(
            consent.consent_id, consent.purpose, consent.institution, consent.granted_at, consent.text_version
        )

    def _soft(self, borrower_id: str, purpose: str, requested: Money | None, stated: Money | None) -> _Pulled:
        # One call to identity: the identity comes back in clear only with a live consent, so
        # without consent nothing is read in clear and nothing reaches the bureau.
        subject = self.identity.inquiry_subject(borrower_id, SELF_CHECK_CONSENT_PURPOSE, self.institution)
        consent = self._attested(subject.consent, "self_check_consent_required", SELF_CHECK_CONSENT_DETAIL)
        if subject.identity is None:
            raise Conflict("identity_not_verified", f"{borrower_id} has not verified an identity")
        report = self.bureau.soft_inquiry(
            subject.identity, institution=self.institution, purpose=purpose, consent=consent
        )
        return _Pulled(subject.kyc, report, applicant_facts(subject, report, self.profile.currency, requested, stated))

    def _outcome(self, facts: ApplicantFacts, assessment: Assessment, requested: Money) -> Outcome:
        return outcome_of(
            facts, assessment, requested, policy=self.policy, profile=self.profile, institution=self.institution
        )

    def _check_money(self, amount: Money, term_months: int) -> None:
        if amount.currency != self.profile.currency:
            raise Invalid("wrong_currency", f"amounts are in {self.profile.currency}")
        if amount.minor < self.policy.min_amount_minor or amount.minor > self.policy.max_limit_minor:
            raise Invalid("amount_out_of_range", "the amount is outside what the platform lends")
        if not self.policy.min_term_months <= term_months <= self.policy.max_term_months:
            raise Invalid(
                "term_out_of_range", f"terms run {self.policy.min_term_months}-{self.policy.max_term_months} months"
            )

    # -- self-check, prequalify, disclosure, what-if --------------------------------------
    def self_check(self, borrower_id: str) -> SelfCheck:
        """The person's own report and score through a soft inquiry: free, never counted against them.

        Like every soft pull here (prequalify, the inquiry disclosure, what-if) it needs the person's
        live self-check consent naming this institution, else Forbidden `self_check_consent_required`.
        """
        today = self._clock.business_date()
        # Consent first: once revoked, not even the day's kept report is shown.
        self._consent(borrower_id, SELF_CHECK_CONSENT_PURPOSE, "self_check_consent_required", SELF_CHECK_CONSENT_DETAIL)
        with self._uow(read_only=True) as uow:
            kept = uow.conn.execute(
                select(self_check.c.sealed).where(
                    self_check.c.borrower_id == borrower_id, self_check.c.business_date == today
                )
            ).scalar()
        if kept is not None:  # looked already today: the bureau is not asked again (one soft inquiry a day)
            try:
                return self_check_from_json(self.identity.unseal(kept, SELF_CHECK_SEAL))
            except ValueError:  # sealed under a key since retired: ask the bureau again
                pass
        pulled = self._soft(borrower_id, SELF_CHECK_PURPOSE, None, None)
        assessment = self.scoring.assess(pulled.facts, today)
        plan = self.scoring.plan(pulled.facts, today)
        with self._uow() as uow:
            score_id = self.scoring.record(uow, borrower_id, assessment, SELF_CHECK_PURPOSE)
            check = SelfCheck(pulled.report, score_view(assessment, plan), score_id, uow.clock.now())
            uow.conn.execute(delete(self_check).where(self_check.c.borrower_id == borrower_id))
            uow.conn.execute(
                insert(self_check).values(
                    borrower_id=borrower_id,
                    business_date=today,
                    fetched_at=check.fetched_at,
                    score_id=score_id,
                    sealed=self.identity.seal(self_check_json(check), SELF_CHECK_SEAL),
                )
            )
            uow.commit()
        return check

    def prune_self_checks(self, business_date: date) -> int:
        """End-of-day: forget every kept self-check older than the next day; only a day's copy is ever read."""
        with self._uow() as uow:
            removed = uow.conn.execute(delete(self_check).where(self_check.c.business_date <= business_date)).rowcount
            uow.commit()
        return int(removed or 0)

    def prequalify(
        self, borrower_id: str, amount: Money, term_months: int, stated_monthly_income: Money | None = None
    ) -> Prequalification:
        """Check your rate: indicative grade, rate and limit from a soft inquiry; nothing recorded."""
        self._check_money(amount, term_months)
        pulled = self._soft(borrower_id, PREQUALIFY_PURPOSE, amount, stated_monthly_income)
        # Scored as the application will be: with the hard inquiry applying adds. Without it the
        # check quoted a better grade and rate than the offer that followed, for no reason given.
        today = self._clock.business_date()
        assessment = self.scoring.what_if(pulled.facts, today, Change(extra_hard_inquiries=1)).after
        outcome = self._outcome(pulled.facts, assessment, amount)
        return Prequalification(
            score=assessment.score,
            indicative_decision=outcome.decision.value,
            grade=outcome.grade,
            nominal_rate=outcome.nominal_rate,
            limit=outcome.limit,
            amount=outcome.amount,
            codes=outcome.codes,
            limit_reason=outcome.limit_reason,
        )

    def inquiry_disclosure(self, borrower_id: str) -> InquiryDisclosure:
        """Before a hard inquiry: how many the person had in 30 days and what one more costs."""
        pulled = self._soft(borrower_id, PREQUALIFY_PURPOSE, None, None)
        count, cost = self.scoring.inquiry_cost(pulled.facts, self._clock.business_date())
        return InquiryDisclosure(count, cost)

    def what_if(
        self,
        borrower_id: str,
        change: Change,
        stated_monthly_income: Money | None = None,
        requested_amount: Money | None = None,
    ) -> WhatIf:
        """The person's profile (optionally with an amount asked) with a change applied, scored; nothing is recorded."""
        if change.as_of is not None and change.as_of < self._clock.business_date():
            raise Invalid("as_of_in_past", "a what-if looks forward: the date must not be before today")
        pulled = self._soft(borrower_id, SELF_CHECK_PURPOSE, requested_amount, stated_monthly_income)
        return self.scoring.what_if(pulled.facts, self._clock.business_date(), change)

    # -- apply ------------------------------------------------------------------------
    def apply(
        self,
        borrower_id: str,
        amount: Money,
        term_months: int,
        *,
        inquiry_disclosure_acknowledged: bool,
        stated_monthly_income: Money | None = None,
        purpose: str = "personal",
    ) -> ApplicationView:
        self._check_money(amount, term_months)
        if purpose not in PURPOSES:
            raise Invalid("invalid_purpose", "a loan's purpose is one of: " + ", ".join(PURPOSES))
        if not inquiry_disclosure_acknowledged:
            raise Conflict(
                "inquiry_disclosure_not_acknowledged",
                "read what a hard inquiry costs (GET the inquiry disclosure) and acknowledge it first",
            )
        subject = self.identity.inquiry_subject(borrower_id, CONSENT_PURPOSE, self.institution)
        if not subject.kyc.identity_verified:
            raise Conflict("identity_not_verified", "verify your identity before applying")
        consent = self._attested(
            subject.consent, "consent_required", "a hard inquiry needs your consent to this institution"
        )
        if subject.identity is None:
            raise Conflict("identity_not_verified", f"{borrower_id} has not verified an identity")
        report = self.bureau.hard_inquiry(
            subject.identity, institution=self.institution, purpose=INQUIRY_PURPOSE, consent=consent
        )
        facts = applicant_facts(subject, report, self.profile.currency, amount, stated_monthly_income)
        today = self._clock.business_date()
        assessment = self.scoring.assess(facts, today)
        outcome = self._outcome(facts, assessment, amount)
        quote: Quote | None = None
        if outcome.decision is Decision.APPROVE:
            try:
                quote = self._quote(outcome, term_months)
            except Invalid as exc:
                if exc.code != "apr_above_cap":
                    raise
                outcome = Outcome(
                    Decision.DECLINE, None, None, outcome.limit, Money.zero(amount.currency), ("apr_above_cap",)
                )
        plan = self.scoring.plan(facts, today) if outcome.decision is not Decision.APPROVE else []
        application_id = new_id("app")
        with self._uow() as uow:
            score_id = self.scoring.record(uow, borrower_id, assessment, "application")
            status = {
                Decision.APPROVE: ApplicationStatus.OFFERED,
                Decision.DECLINE: ApplicationStatus.DECLINED,
                Decision.REFER: ApplicationStatus.REFERRED,
            }[outcome.decision]
            now = uow.clock.now()
            uow.conn.execute(
                insert(loan_application).values(
                    borrower_id=borrower_id,
                    id=application_id,
                    status=status.value,
                    currency=amount.currency,
                    amount_minor=amount.minor,
                    term_months=term_months,
                    score=assessment.score,
                    score_id=score_id,
                    model_version=assessment.model_version,
                    grade=outcome.grade,
                    nominal_rate=outcome.nominal_rate,
                    limit_minor=outcome.limit.minor,
                    decision=outcome.decision.value,
                    codes=list(outcome.codes),
                    reasons=reasons_json(assessment),
                    plan=plan_json(plan),
                    report_id=report.report_id,
                    consent_id=consent.consent_id,
                    created_at=now,
                    decided_at=None if outcome.decision is Decision.REFER else now,
                    decided_by="model",
                    note="",
                    listing_facts=listing_facts_of(facts, assessment.features, purpose).to_json(),
                    limit_reason=outcome.limit_reason,
                )
            )
            self._publish_decided(
                uow,
                application_id,
                borrower_id,
                outcome.decision,
                assessment.score,
                outcome.grade,
                outcome.codes,
                [r.feature for r in assessment.reasons],
                "model",
            )
            if quote is not None and outcome.grade is not None:
                self._insert_offer(uow, borrower_id, application_id, outcome.grade, quote)
            uow.commit()
        return self.application(borrower_id, application_id)
