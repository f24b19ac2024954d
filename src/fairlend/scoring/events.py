"""Scoring's domain events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar


@dataclass(frozen=True, slots=True)
class ScoreRecorded:
    event_type: ClassVar[str] = "scoring.ScoreRecorded"
    score_id: str
    borrower_id: str
    purpose: str
    score: int
    model_version: str
    reasons: tuple[str, ...]
    business_date: date

    @property
    def aggregate_id(self) -> str:
        return self.borrower_id
