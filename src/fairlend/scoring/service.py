"""Scoring use cases: assess, explain, plan, what-if (never recorded), record, history."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import insert, select

from fairlend.db.uow import UnitOfWork, UnitOfWorkFactory
from fairlend.ids import new_id
from fairlend.scoring.comprehensive import Assessment, ComprehensiveScorer, PlanItem
from fairlend.scoring.events import ScoreRecorded
from fairlend.scoring.model import ApplicantFacts, Change
from fairlend.scoring.tables import score_record


@dataclass(frozen=True, slots=True)
class WhatIf:
    before: Assessment
    after: Assessment

    @property
    def delta(self) -> int:
        return self.after.score - self.before.score


@dataclass(frozen=True, slots=True)
class RecordedScore:
    id: str
    borrower_id: str
    purpose: str
    score: int
    model_version: str
    as_of: date
    reasons: list[str]
    recorded_at: datetime


class ScoringService:
    def __init__(self, uow: UnitOfWorkFactory, scorer: ComprehensiveScorer) -> None:
        self._uow = uow
        self.scorer = scorer

    def assess(self, facts: ApplicantFacts, as_of: date) -> Assessment:
        return self.scorer.assess(facts, as_of)

    def plan(self, facts: ApplicantFacts, as_of: date) -> list[PlanItem]:
        return self.scorer.plan(facts, as_of)

    def what_if(self, facts: ApplicantFacts, as_of: date, change: Change) -> WhatIf:
        """Scores the changed profile; writes nothing."""
        return WhatIf(self.scorer.assess(facts, as_of), self.scorer.what_if(facts, as_of, change))

    def inquiry_cost(self, facts: ApplicantFacts, as_of: date) -> tuple[int, int]:
        return self.scorer.inquiry_cost(facts, as_of)

    def record(self, uow: UnitOfWork, borrower_id: str, assessment: Assessment, purpose: str) -> str:
        """Store a score inside the caller's transaction (origination's apply or self-check)."""
        score_id = new_id("score")
        uow.conn.execute(
            insert(score_record).values(
                borrower_id=borrower_id,
                id=score_id,
                purpose=purpose,
                score=assessment.score,
                model_version=assessment.model_version,
                as_of=assessment.as_of,
                reasons=[r.feature for r in assessment.reasons],
                # JSON has no NaN: a missing feature is stored as null
                features={k: (None if math.isnan(v) else v) for k, v in assessment.features.items()},
                recorded_at=uow.clock.now(),
            )
        )
        uow.publish(
            ScoreRecorded(
                score_id=score_id,
                borrower_id=borrower_id,
                purpose=purpose,
                score=assessment.score,
                model_version=assessment.model_version,
                reasons=tuple(r.feature for r in assessment.reasons),
                business_date=assessment.as_of,
            )
        )
        return score_id

    def history(self, borrower_id: str) -> list[RecordedScore]:
        with self._uow(read_only=True) as uow:
            rows = uow.conn.execute(
                select(score_record).where(score_record.c.borrower_id == borrower_id).order_by(score_record.c.id)
            ).mappings()
            return [
                RecordedScore(
                    id=r["id"],
                    borrower_id=r["borrower_id"],
                    purpose=r["purpose"],
                    score=r["score"],
                    model_version=r["model_version"],
                    as_of=r["as_of"],
                    reasons=list(r["reasons"]),
                    recorded_at=r["recorded_at"],
                )
                for r in rows
            ]
