"""Offers and applications as selectables for read models (as lending's `exposures.py` is for finance).

- `booked_offers()`: `borrower_id`, `loan_id`, `application_id`, `grade` (the
  offer's grade, e.g. `B3`) — offers that became a loan.
- `application_scores()`: `borrower_id`, `application_id`, `score`, `score_id`
  (scoring's record of the assessment; join scoring's `score_features`).

Single-table selects, so a reader's outer join of them flattens into its query.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from fairlend.origination.tables import loan_application, loan_offer


def booked_offers() -> Select[Any]:
    o = loan_offer
    return select(
        o.c.borrower_id.label("borrower_id"),
        o.c.loan_id.label("loan_id"),
        o.c.application_id.label("application_id"),
        o.c.grade.label("grade"),
    ).where(o.c.loan_id.is_not(None))


def application_scores() -> Select[Any]:
    a = loan_application
    return select(
        a.c.borrower_id.label("borrower_id"),
        a.c.id.label("application_id"),
        a.c.score.label("score"),
        a.c.score_id.label("score_id"),
    )
