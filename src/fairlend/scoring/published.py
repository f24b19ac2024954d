"""Recorded assessments as a selectable for read models (as lending's `exposures.py` is for finance).

- `score_features()`: `borrower_id`, `score_id`, `features` (the feature row the
  score was drawn from: JSON, null = missing) — what retraining on a book's
  outcomes reads, joined to origination's `application_scores` by `score_id`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from fairlend.scoring.tables import score_record


def score_features() -> Select[Any]:
    return select(
        score_record.c.borrower_id.label("borrower_id"),
        score_record.c.id.label("score_id"),
        score_record.c.features.label("features"),
    )
