"""Origination's reads: applications, the underwriters' queue, offers, and `fairlend verify`'s checks."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from fairlend.db.uow import UnitOfWork, UnitOfWorkFactory
from fairlend.errors import NotFound
from fairlend.jurisdiction.model import Profile
from fairlend.ledger.service import Discrepancy
from fairlend.money import Money
from fairlend.origination.contract import CONTRACT_VERSION, ContractTerms, fingerprint
from fairlend.origination.model import ApplicationStatus, OfferStatus, Quote
from fairlend.origination.tables import loan_application, loan_offer
from fairlend.origination.views import (
    AdverseActionNotice,
    ApplicationView,
    ContractView,
    OfferView,
    schedule_from_json,
)


class OriginationReads:
    """What origination shows; `OriginationService` adds the use cases that change it."""

    _uow: UnitOfWorkFactory
    profile: Profile
    institution: str

    def _rights(self) -> str:
        b = self.profile.bureau
        return (
            f"You may see your own credit report free of charge ({b.free_reports_per_year} times a year) "
            f"and dispute anything wrong in it; a dispute is answered within {b.dispute_deadline_days} days."
        )

    def _application_view(self, row: Any, offer_id: str | None) -> ApplicationView:
        currency = row["currency"]
        declined = row["status"] == ApplicationStatus.DECLINED.value
        reasons = tuple(row["reasons"])
        plan = tuple(row["plan"])
        codes = tuple(row["codes"])
        return ApplicationView(
            id=row["id"],
            borrower_id=row["borrower_id"],
            status=row["status"],
            decision=row["decision"],
            amount=Money(row["amount_minor"], currency),
            term_months=row["term_months"],
            score=row["score"],
            grade=row["grade"],
            nominal_rate=row["nominal_rate"],
            limit=Money(row["limit_minor"], currency),
            codes=codes,
            reasons=reasons,
            plan=plan,
            created_at=row["created_at"],
            decided_by=row["decided_by"],
            offer_id=offer_id,
            adverse_action=AdverseActionNotice(reasons, plan, codes, self._rights()) if declined else None,
            limit_reason=row["limit_reason"],
        )

    def application(self, borrower_id: str, application_id: str) -> ApplicationView:
        with self._uow(read_only=True) as uow:
            row = (
                uow.conn.execute(
                    select(loan_application).where(
                        loan_application.c.borrower_id == borrower_id, loan_application.c.id == application_id
                    )
                )
                .mappings()
                .first()
            )
            if row is None:
                raise NotFound("application_not_found", f"no application {application_id}")
            offer_id = uow.conn.execute(
                select(loan_offer.c.id).where(
                    loan_offer.c.borrower_id == borrower_id, loan_offer.c.application_id == application_id
                )
            ).scalar()
            return self._application_view(row, offer_id)

    def queue(self) -> list[ApplicationView]:
        """Referred applications, oldest first, for underwriters."""
        with self._uow(read_only=True) as uow:
            rows = (
                uow.conn.execute(
                    select(loan_application)
                    .where(loan_application.c.status == ApplicationStatus.REFERRED.value)
                    .order_by(loan_application.c.created_at, loan_application.c.id)
                )
                .mappings()
                .all()
            )
            return [self._application_view(r, None) for r in rows]

    def offer(self, borrower_id: str, offer_id: str) -> OfferView:
        with self._uow(read_only=True) as uow:
            return self._offer_view(self._offer_row(uow, borrower_id, offer_id))

    def _offer_row(self, uow: UnitOfWork, borrower_id: str, offer_id: str) -> Any:
        row = (
            uow.conn.execute(
                select(loan_offer).where(loan_offer.c.borrower_id == borrower_id, loan_offer.c.id == offer_id)
            )
            .mappings()
            .first()
        )
        if row is None:
            raise NotFound("offer_not_found", f"no offer {offer_id}")
        return row

    def _offer_view(self, row: Any) -> OfferView:
        currency = row["currency"]
        quote = Quote(
            amount=Money(row["amount_minor"], currency),
            term_months=row["term_months"],
            nominal_rate=row["nominal_rate"],
            apr=row["apr"],
            fee=Money(row["fee_minor"], currency),
            installments=schedule_from_json(row["schedule"], currency),
        )
        return OfferView(
            id=row["id"],
            application_id=row["application_id"],
            borrower_id=row["borrower_id"],
            status=row["status"],
            grade=row["grade"],
            quote=quote,
            expires_at=row["expires_at"],
            contract_id=row["contract_id"],
            loan_id=row["loan_id"],
            listing_id=row["listing_id"],
            accepted_at=row["accepted_at"],
        )

    def contract_terms(
        self, offer: OfferView, contract_id: str | None, version: str = CONTRACT_VERSION
    ) -> ContractTerms:
        return ContractTerms(
            lender=self.institution,
            borrower_id=offer.borrower_id,
            quote=offer.quote,
            collection_start_dpd=self.profile.collections.collection_start_dpd,
            contract_id=contract_id,
            accepted_at=offer.accepted_at,
            version=version,
        )

    def contract(self, borrower_id: str, offer_id: str) -> ContractView:
        """The contract of an offer: the draft before acceptance, the agreed text after it.

        After acceptance the fingerprint recorded then is recomputed from the stored terms:
        `intact` is False if a term or the text version no longer matches what was agreed.
        """
        with self._uow(read_only=True) as uow:
            row = self._offer_row(uow, borrower_id, offer_id)
        offer = self._offer_view(row)
        terms = self.contract_terms(offer, row["contract_id"], row["contract_version"] or CONTRACT_VERSION)
        recorded = row["consent_sha256"]
        if row["contract_version"] is None:
            # Agreed before the text was versioned: its fingerprint hashed other terms; nothing to check it by.
            return ContractView(offer, terms, recorded, None)
        return ContractView(offer, terms, recorded, recorded is None or recorded == fingerprint(terms))

    def offer_for_loan(self, borrower_id: str, loan_id: str) -> str:
        """The offer a loan was booked from (the loan page links its contract)."""
        with self._uow(read_only=True) as uow:
            found = uow.conn.execute(
                select(loan_offer.c.id).where(loan_offer.c.borrower_id == borrower_id, loan_offer.c.loan_id == loan_id)
            ).scalar()
        if found is None:
            raise NotFound("contract_not_found", f"no contract for loan {loan_id}")
        return str(found)

    def verify(self) -> list[Discrepancy]:
        """`fairlend verify`: no offer above the APR cap; every accepted offer has its contract and loan."""
        cap = self.profile.pricing.apr_cap
        found: list[Discrepancy] = []
        with self._uow(read_only=True) as uow:
            rows = uow.conn.execute(
                select(
                    loan_offer.c.id,
                    loan_offer.c.apr,
                    loan_offer.c.status,
                    loan_offer.c.loan_id,
                    loan_offer.c.contract_id,
                    loan_offer.c.listing_id,
                )
            ).mappings()
            for r in rows:
                if r["apr"] > cap:
                    found.append(Discrepancy("origination.apr_cap", r["id"], f"APR {r['apr']} above the cap {cap}"))
                if r["status"] == OfferStatus.ACCEPTED.value and not (r["loan_id"] and r["contract_id"]):
                    found.append(Discrepancy("origination.accepted", r["id"], "accepted without a contract and loan"))
                if r["status"] == OfferStatus.LISTED.value and not (r["listing_id"] and r["contract_id"]):
                    found.append(Discrepancy("origination.listed", r["id"], "listed without a contract and listing"))
        return found
