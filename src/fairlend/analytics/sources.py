"""The read-only selectables analytics is built from, composed of what each context publishes.

Analytics is a read model (DESIGN.md §3): it owns no table and writes nothing,
and like every context it never reads another context's tables. Portfolio
measures over a whole book must be set-based (issue #18: the page over a
10,000-borrower book in under 500 ms), which rules out walking every loan
through the contexts' services. So each context publishes selectables whose
column names are its contract, as lending publishes `exposures` for finance:
`lending.published`, `ledger.published`, `origination.published`,
`scoring.published`, `collections.published`, `hardship.published`,
`market.published`. This module joins them into the rows the measures in
`queries.py` need (an import-linter contract keeps analytics off every
`tables` module).

Columns:
- `loans()`: `borrower_id`, `loan_id`, `grade` (the offer's letter A–G, "" when
  booked without an offer), `score` (the application's score, NULL likewise),
  `open_date`, `principal`, `currency`, `settled_on`, `closed_amount` (charged or written
  off), `closed_on` (the charge-off or write-off's business date, NULL when none). The measures
  read it through the per-loan read model (`loans.py`: stored through end-of-day, live after).
- `closings_after(day)`: `reference`, `business_date` (the closings dated after a day).
- `loan_book()`: lending's own row of each loan (`borrower_id`, `loan_id`, `open_date`, `principal`,
  `currency`, `settled_on`, `closed_amount`).
- `transitions()`: `borrower_id`, `id`, `loan_id`, `business_date`, `to_bucket`, `dpd`.
- `repayments()`: `borrower_id`, `loan_id`, `business_date`, `principal`, `amount`, `refunded`, `kind`.
- `attempts()`: `borrower_id`, `at`, `outcome`, `rules`, `collector_id` (contact
  attempts only; the rows that record a dispatched message's outcome are left out).
- `complaints()`: `filed_at`, `answer_due`, `answered_at`.
- `hardship_requests()`: `requested_on`, `answer_due`, `answered_on`.
- `investors()`: `investor_id`.
- `application_features()`: `borrower_id`, `loan_id`, `features` (the feature row the comprehensive
  score drew at the loan's application: JSON, null = missing).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Select, String, and_, func, literal, select

from fairlend.analytics.built import statement
from fairlend.collections import published as collections
from fairlend.hardship import published as hardship
from fairlend.ledger import published as ledger
from fairlend.lending import published as lending
from fairlend.market import published as market
from fairlend.origination import published as origination
from fairlend.scoring import published as scoring

CLOSING_KINDS = ("loan_charge_off", "loan_write_off")


@statement
def loans(opened_after: date | None = None) -> Select[Any]:
    """Every loan (`opened_after`: only those opened after that day, whose closings can only be dated after it)."""
    book = lending.loan_book().subquery("book")
    # One grouped pass over the closing entries, joined once, rather than a look-up per loan.
    closings = ledger.first_entry_dates(CLOSING_KINDS, after=opened_after).subquery("closings")
    offer = origination.booked_offers().subquery("offer")
    app = origination.application_scores().subquery("app")
    q = (
        select(
            book.c.borrower_id.label("borrower_id"),
            book.c.loan_id.label("loan_id"),
            func.coalesce(func.substr(offer.c.grade, 1, 1), literal("", String)).label("grade"),
            app.c.score.label("score"),
            book.c.open_date.label("open_date"),
            book.c.principal.label("principal"),
            book.c.currency.label("currency"),
            book.c.settled_on.label("settled_on"),
            book.c.closed_amount.label("closed_amount"),
            closings.c.business_date.label("closed_on"),
        )
        .select_from(book)
        .outerjoin(closings, closings.c.reference == book.c.loan_id)
        .outerjoin(offer, and_(offer.c.loan_id == book.c.loan_id, offer.c.borrower_id == book.c.borrower_id))
        .outerjoin(app, and_(app.c.borrower_id == offer.c.borrower_id, app.c.application_id == offer.c.application_id))
    )
    return q if opened_after is None else q.where(book.c.open_date > opened_after)


@statement
def closings_after(day: date) -> Select[Any]:
    """`reference` (a loan's id), `business_date`: each loan's first charge-off or write-off dated after `day`."""
    return ledger.first_entry_dates(CLOSING_KINDS, after=day)


@statement
def loan_book() -> Select[Any]:
    """Lending's own row of each loan: what moves within a day (principal by a tranche, settlement, charge-off)."""
    return lending.loan_book()


@statement
def transitions() -> Select[Any]:
    return lending.delinquency_transitions()


@statement
def repayments() -> Select[Any]:
    return lending.repayments()


@statement
def attempts() -> Select[Any]:
    return collections.contact_attempts()


@statement
def complaints() -> Select[Any]:
    return collections.complaints()


@statement
def hardship_requests() -> Select[Any]:
    return hardship.hardship_requests()


@statement
def investors() -> Select[Any]:
    return market.investors()


@statement
def application_features() -> Select[Any]:
    """Each loan booked from an application, with the features its score was drawn from (loans without one: absent)."""
    book = lending.loan_book().subquery("book")
    offer = origination.booked_offers().subquery("offer")
    app = origination.application_scores().subquery("app")
    score = scoring.score_features().subquery("score")
    return (
        select(
            book.c.borrower_id.label("borrower_id"), book.c.loan_id.label("loan_id"), score.c.features.label("features")
        )
        .select_from(book)
        .join(offer, and_(offer.c.loan_id == book.c.loan_id, offer.c.borrower_id == book.c.borrower_id))
        .join(app, and_(app.c.borrower_id == offer.c.borrower_id, app.c.application_id == offer.c.application_id))
        .join(score, and_(score.c.borrower_id == app.c.borrower_id, score.c.score_id == app.c.score_id))
    )
