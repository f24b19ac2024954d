"""The read-only selectables analytics is built from: the one module that names other contexts' tables.

Analytics is a read model (DESIGN.md §3): it owns no table and writes nothing.
Portfolio measures over a whole book must be set-based (issue #18: the page
over a 10,000-borrower book in under 500 ms), which rules out walking every
loan through the contexts' services. So, like lending's `exposures` that
finance embeds, each selectable here is a SELECT whose column names are this
context's contract; the measures in `queries.py` compose them and never name
a table. A change of another context's schema changes only this module (and
its tests, which compare every measure with what the services say).

Columns:
- `loans()`: `borrower_id`, `loan_id`, `grade` (the offer's letter A–G, "" when
  booked without an offer), `score` (the application's score, NULL likewise),
  `open_date`, `principal`, `settled_on`, `closed_amount` (charged or written
  off), `closed_on` (the charge-off or write-off's business date, NULL when none).
- `transitions()`: `loan_id`, `business_date`, `to_bucket`, `dpd`.
- `repayments()`: `loan_id`, `business_date`, `principal`, `amount`, `kind`.
- `attempts()`: `borrower_id`, `at`, `outcome`, `rules`, `collector_id` (contact
  attempts only; the rows that record a dispatched message's outcome are left out).
- `complaints()`: `filed_at`, `answer_due`, `answered_at`.
- `hardship_requests()`: `requested_on`, `answer_due`, `answered_on`.
- `investors()`: `investor_id`.
- `application_features()`: `borrower_id`, `loan_id`, `features` (the feature row the comprehensive
  score drew at the loan's application, scoring's `score_record.features`: JSON, null = missing).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, String, and_, func, literal, select

from fairlend.collections.tables import complaint, contact_log
from fairlend.hardship.tables import hardship_request
from fairlend.ledger.tables import ledger_entry
from fairlend.lending.tables import loan, loan_delinquency_transition, loan_repayment
from fairlend.market.tables import market_investor
from fairlend.origination.tables import loan_application, loan_offer
from fairlend.scoring.tables import score_record

CLOSING_KINDS = ("loan_charge_off", "loan_write_off")


def loans() -> Select[Any]:
    # One pass over the closing entries, grouped, rather than a look-up per loan (`reference` has no index).
    closings = (
        select(ledger_entry.c.reference.label("loan_id"), func.min(ledger_entry.c.business_date).label("on"))
        .where(ledger_entry.c.kind.in_(CLOSING_KINDS))
        .group_by(ledger_entry.c.reference)
        .subquery("closings")
    )
    return (
        select(
            loan.c.borrower_id.label("borrower_id"),
            loan.c.id.label("loan_id"),
            func.coalesce(func.substr(loan_offer.c.grade, 1, 1), literal("", String)).label("grade"),
            loan_application.c.score.label("score"),
            loan.c.open_date.label("open_date"),
            loan.c.principal.label("principal"),
            loan.c.settled_on.label("settled_on"),
            loan.c.closed_amount.label("closed_amount"),
            closings.c.on.label("closed_on"),
        )
        .select_from(loan)
        .outerjoin(closings, closings.c.loan_id == loan.c.id)
        .outerjoin(loan_offer, and_(loan_offer.c.loan_id == loan.c.id, loan_offer.c.borrower_id == loan.c.borrower_id))
        .outerjoin(
            loan_application,
            and_(
                loan_application.c.borrower_id == loan_offer.c.borrower_id,
                loan_application.c.id == loan_offer.c.application_id,
            ),
        )
    )


def transitions() -> Select[Any]:
    t = loan_delinquency_transition
    return select(
        t.c.borrower_id.label("borrower_id"),
        t.c.id.label("id"),
        t.c.loan_id.label("loan_id"),
        t.c.business_date.label("business_date"),
        t.c.to_bucket.label("to_bucket"),
        t.c.dpd.label("dpd"),
    )


def repayments() -> Select[Any]:
    r = loan_repayment
    return select(
        r.c.borrower_id.label("borrower_id"),
        r.c.loan_id.label("loan_id"),
        r.c.business_date.label("business_date"),
        r.c.principal.label("principal"),
        r.c.amount.label("amount"),
        r.c.refunded.label("refunded"),
        r.c.kind.label("kind"),
    )


def attempts() -> Select[Any]:
    c = contact_log
    return select(
        c.c.borrower_id.label("borrower_id"),
        c.c.at.label("at"),
        c.c.outcome.label("outcome"),
        c.c.rules.label("rules"),
        c.c.collector_id.label("collector_id"),
    ).where(c.c.resolves == "")


def complaints() -> Select[Any]:
    c = complaint
    return select(
        c.c.filed_at.label("filed_at"), c.c.answer_due.label("answer_due"), c.c.answered_at.label("answered_at")
    )


def hardship_requests() -> Select[Any]:
    h = hardship_request
    return select(
        h.c.requested_on.label("requested_on"),
        h.c.answer_due.label("answer_due"),
        h.c.answered_on.label("answered_on"),
    )


def investors() -> Select[Any]:
    return select(market_investor.c.investor_id.label("investor_id")).order_by(market_investor.c.investor_id)


def application_features() -> Select[Any]:
    """Each loan booked from an application, with the features its score was drawn from (loans without one: absent)."""
    return (
        select(
            loan.c.borrower_id.label("borrower_id"),
            loan.c.id.label("loan_id"),
            score_record.c.features.label("features"),
        )
        .select_from(loan)
        .join(loan_offer, and_(loan_offer.c.loan_id == loan.c.id, loan_offer.c.borrower_id == loan.c.borrower_id))
        .join(
            loan_application,
            and_(
                loan_application.c.borrower_id == loan_offer.c.borrower_id,
                loan_application.c.id == loan_offer.c.application_id,
            ),
        )
        .join(
            score_record,
            and_(
                score_record.c.borrower_id == loan_application.c.borrower_id,
                score_record.c.id == loan_application.c.score_id,
            ),
        )
    )
