"""Underwriting and acceptance: an underwriter's decision, the person's acceptance, and funding.

Accepting hands the offer to the `FundingPort` in the same transaction: it
books the loan at once (the platform and its funding partners hold the notes)
or lists it for investors; a listed offer becomes accepted when its listing
funds, or `not_funded` when the listing is cancelled.
"""

from __future__ import annotations

from datetime import UTC, timedelta

from sqlalchemy import insert, select, update

from fairlend.clock import Clock
from fairlend.db.uow import UnitOfWork
from fairlend.errors import Conflict, Invalid, NotFound
from fairlend.ids import new_id
from fairlend.money import Money, Rounding
from fairlend.origination.contract import CONTRACT_VERSION, fingerprint
from fairlend.origination.model import (
    ApplicationDecided,
    ApplicationStatus,
    CreditPolicy,
    Decision,
    ListingFacts,
    OfferAccepted,
    OfferMade,
    OfferStatus,
    Outcome,
    Quote,
)
from fairlend.origination.ports import FundingPort, FundingRequest, LendingService, QuoteRequest
from fairlend.origination.reads import OriginationReads
from fairlend.origination.tables import loan_application, loan_offer
from fairlend.origination.views import ApplicationView, OfferView, schedule_json


class Acceptance(OriginationReads):
    _clock: Clock
    lending: LendingService
    funding: FundingPort
    policy: CreditPolicy

    def _quote(self, outcome: Outcome, term_months: int) -> Quote:
        assert outcome.nominal_rate is not None
        fee = outcome.amount.times(self.policy.fee_rate, Rounding.HALF_UP)
        request = QuoteRequest(outcome.amount, term_months, outcome.nominal_rate, fee, self._clock.business_date())
        quote = self.lending.quote(request, self.profile.pricing.apr_cap)
        if quote.apr > self.profile.pricing.apr_cap:  # the port promised; the platform checks anyway
            raise Invalid("apr_above_cap", f"APR {quote.apr} is above the cap {self.profile.pricing.apr_cap}")
        return quote

    def _publish_decided(
        self,
        uow: UnitOfWork,
        application_id: str,
        borrower_id: str,
        decision: Decision,
        score: int,
        grade: str | None,
        codes: tuple[str, ...],
        reasons: list[str],
        by: str,
    ) -> None:
        uow.publish(
            ApplicationDecided(
                application_id=application_id,
                borrower_id=borrower_id,
                decision=decision.value,
                score=score,
                grade=grade,
                codes=codes,
                reasons=tuple(reasons),
                decided_by=by,
                business_date=uow.clock.business_date(),
            )
        )

    def _insert_offer(self, uow: UnitOfWork, borrower_id: str, application_id: str, grade: str, quote: Quote) -> str:
        offer_id = new_id("offer")
        now = uow.clock.now()
        expires = now + timedelta(days=self.policy.offer_valid_days)
        uow.conn.execute(
            insert(loan_offer).values(
                borrower_id=borrower_id,
                id=offer_id,
                application_id=application_id,
                status=OfferStatus.OPEN.value,
                currency=quote.amount.currency,
                amount_minor=quote.amount.minor,
                term_months=quote.term_months,
                grade=grade,
                nominal_rate=quote.nominal_rate,
                apr=quote.apr,
                fee_minor=quote.fee.minor,
                schedule=schedule_json(quote.installments),
                created_at=now,
                expires_at=expires,
            )
        )
        uow.publish(
            OfferMade(
                offer_id=offer_id,
                application_id=application_id,
                borrower_id=borrower_id,
                amount=quote.amount,
                term_months=quote.term_months,
                nominal_rate=quote.nominal_rate,
                apr=quote.apr,
                expires_at=expires,
                business_date=uow.clock.business_date(),
            )
        )
        return offer_id

    # -- underwriting and acceptance -----------------------------------------------------
    def underwrite(self, application_id: str, underwriter_id: str, *, approve: bool, note: str = "") -> ApplicationView:
        with self._uow(read_only=True) as uow:
            row = (
                uow.conn.execute(select(loan_application).where(loan_application.c.id == application_id))
                .mappings()
                .first()
            )
        if row is None:
            raise NotFound("application_not_found", f"no application {application_id}")
        if row["status"] != ApplicationStatus.REFERRED.value:
            raise Conflict("not_referred", "only a referred application is decided by an underwriter")
        borrower_id = row["borrower_id"]
        quote: Quote | None = None
        if approve:
            amount = min(Money(row["amount_minor"], row["currency"]), Money(row["limit_minor"], row["currency"]))
            outcome = Outcome(
                Decision.APPROVE,
                row["grade"],
                row["nominal_rate"],
                Money(row["limit_minor"], row["currency"]),
                amount,
                (),
            )
            quote = self._quote(outcome, row["term_months"])  # refuses above the cap, whoever approves
        decision = Decision.APPROVE if approve else Decision.DECLINE
        status = ApplicationStatus.OFFERED if approve else ApplicationStatus.DECLINED
        with self._uow() as uow:
            changed = uow.conn.execute(
                update(loan_application)
                .where(
                    loan_application.c.borrower_id == borrower_id,
                    loan_application.c.id == application_id,
                    loan_application.c.status == ApplicationStatus.REFERRED.value,
                )
                .values(
                    status=status.value,
                    decision=decision.value,
                    decided_at=uow.clock.now(),
                    decided_by=underwriter_id,
                    note=note,
                )
            ).rowcount
            if changed != 1:
                raise Conflict("not_referred", "the application was decided meanwhile")
            self._publish_decided(
                uow,
                application_id,
                borrower_id,
                decision,
                row["score"],
                row["grade"],
                tuple(row["codes"]),
                [r["feature"] for r in row["reasons"]],
                underwriter_id,
            )
            if quote is not None:
                self._insert_offer(uow, borrower_id, application_id, row["grade"], quote)
            uow.commit()
        return self.application(borrower_id, application_id)

    def accept(self, borrower_id: str, offer_id: str, *, agreed: bool, partial_ok: bool = False) -> OfferView:
        """Accept the contract: records the person's consent and hands the offer to funding.

        Funding books the loan now (accepted) or lists it for investors (listed);
        `partial_ok` is the person's agreement to a loan for what investors funded,
        if the listing reaches the profile's threshold by its deadline.
        """
        if not agreed:
            raise Invalid("contract_not_agreed", "accepting needs your explicit agreement to the contract")
        with self._uow() as uow:
            row = self._offer_row(uow, borrower_id, offer_id)
            if row["status"] != OfferStatus.OPEN.value:
                raise Conflict("offer_not_open", "this offer was already accepted")
            now = uow.clock.now()
            if now >= row["expires_at"].astimezone(UTC):
                raise Conflict("offer_expired", "this offer has expired; apply again")
            view = self._offer_view(row)
            contract_id = new_id("contract")
            # what the person agreed to, fingerprinted so the record proves the terms and the text version
            consent_hash = fingerprint(self.contract_terms(view, contract_id))
            facts = uow.conn.execute(
                select(loan_application.c.listing_facts).where(
                    loan_application.c.borrower_id == borrower_id,
                    loan_application.c.id == row["application_id"],
                )
            ).scalar()
            # Claimed first, under the offer's row lock: a second accept at once waits, then finds it taken,
            # before funding lists or books anything twice.
            claimed = uow.conn.execute(
                update(loan_offer)
                .where(
                    loan_offer.c.borrower_id == borrower_id,
                    loan_offer.c.id == offer_id,
                    loan_offer.c.status == OfferStatus.OPEN.value,
                )
                .values(
                    status=OfferStatus.ACCEPTED.value,
                    accepted_at=now,
                    contract_id=contract_id,
                    consent_sha256=consent_hash,
                    contract_version=CONTRACT_VERSION,
                )
            ).rowcount
            if claimed != 1:
                raise Conflict("offer_not_open", "this offer was already accepted")
            outcome = self.funding.fund(
                uow,
                FundingRequest(
                    borrower_id,
                    offer_id,
                    contract_id,
                    view.quote,
                    row["grade"],
                    ListingFacts.from_json(facts) if facts else None,
                    partial_ok,
                ),
            )
            status = OfferStatus.ACCEPTED if outcome.loan_id else OfferStatus.LISTED
            uow.conn.execute(
                update(loan_offer)
                .where(loan_offer.c.borrower_id == borrower_id, loan_offer.c.id == offer_id)
                .values(status=status.value, loan_id=outcome.loan_id, listing_id=outcome.listing_id)
            )
            uow.conn.execute(
                update(loan_application)
                .where(
                    loan_application.c.borrower_id == borrower_id,
                    loan_application.c.id == row["application_id"],
                )
                .values(status=ApplicationStatus.ACCEPTED.value)
            )
            if outcome.loan_id:
                self._publish_accepted(uow, view, contract_id, outcome.loan_id, view.quote.amount, view.quote.fee)
            uow.commit()
        return self.offer(borrower_id, offer_id)

    def _publish_accepted(
        self, uow: UnitOfWork, view: OfferView, contract_id: str, loan_id: str, amount: Money, fee: Money
    ) -> None:
        uow.publish(
            OfferAccepted(
                offer_id=view.id,
                contract_id=contract_id,
                loan_id=loan_id,
                borrower_id=view.borrower_id,
                amount=amount,
                term_months=view.quote.term_months,
                nominal_rate=view.quote.nominal_rate,
                apr=view.quote.apr,
                fee=fee,
                business_date=uow.clock.business_date(),
            )
        )

    def listing_funded(
        self, uow: UnitOfWork, borrower_id: str, offer_id: str, loan_id: str, principal: Money, fee: Money
    ) -> None:
        """The market funded a listed offer and booked its loan, in this transaction.

        `principal` and `fee` are the loan's: a partly funded listing lends less than the offer said,
        and OfferAccepted tells consumers what was lent."""
        row = self._offer_row(uow, borrower_id, offer_id)
        changed = uow.conn.execute(
            update(loan_offer)
            .where(
                loan_offer.c.borrower_id == borrower_id,
                loan_offer.c.id == offer_id,
                loan_offer.c.status == OfferStatus.LISTED.value,
            )
            .values(status=OfferStatus.ACCEPTED.value, loan_id=loan_id)
        ).rowcount
        if changed != 1:
            raise Conflict("offer_not_listed", f"offer {offer_id} is {row['status']}, not waiting on a listing")
        self._publish_accepted(uow, self._offer_view(row), row["contract_id"], loan_id, principal, fee)

    def listing_not_funded(self, uow: UnitOfWork, borrower_id: str, offer_id: str) -> None:
        """The listing was cancelled (deadline missed, or closed by an operator): no loan."""
        changed = uow.conn.execute(
            update(loan_offer)
            .where(
                loan_offer.c.borrower_id == borrower_id,
                loan_offer.c.id == offer_id,
                loan_offer.c.status == OfferStatus.LISTED.value,
            )
            .values(status=OfferStatus.NOT_FUNDED.value)
        ).rowcount
        if changed != 1:
            raise Conflict("offer_not_listed", f"offer {offer_id} is not waiting on a listing")
