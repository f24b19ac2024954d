"""The comprehensive score (综合评分): score, reasons and an improvement plan.

Pure. Every plan item carries the `Change` that realises it, and its promised
points are computed by scoring that change, so "do this, gain N" is exactly
what the what-if says.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources
from typing import Any

from fairlend.jurisdiction.model import Profile, RetentionStart
from fairlend.money import Money
from fairlend.scoring.binning import BinningSettings
from fairlend.scoring.model import (
    ASSET_KINDS,
    FEATURE_BY_NAME,
    FEATURES,
    INQUIRY_WINDOWS_DAYS,
    NO_DELINQUENCY_MONTHS,
    ApplicantFacts,
    CertificateFact,
    CertificateKind,
    Change,
    Retention,
    add_months,
    apply_change,
    features,
    months_between,
    retained,
    verified_monthly_income,
)
from fairlend.scoring.scorecard import FeatureSpec, Scaling, Scorecard
from fairlend.scoring.synthetic import DEFAULT_ROWS, DEFAULT_SEED, generate
from fairlend.scoring.training import train

DEFAULT_MODEL_RESOURCE = "default_model.json"
MAX_DATED_ITEMS = 3


@dataclass(frozen=True, slots=True)
class ReasonItem:
    feature: str
    text: str
    points: int
    best_points: int
    missing: bool = False  # the person has no value for it (no revolving line, no verified income)


@dataclass(frozen=True, slots=True)
class Assessment:
    score: int
    as_of: date
    features: dict[str, float]
    points: dict[str, int]
    reasons: tuple[ReasonItem, ...]
    model_version: str
    low: int = 0  # the lowest and highest score the model can give: the range a person is shown
    high: int = 0

    @property
    def band(self) -> str:
        return band_of(self.score, self.low, self.high)


BANDS = ("poor", "fair", "good", "very_good", "excellent")


def band_of(score: int, low: int, high: int) -> str:
    """Five equal slices of the model's range, lowest first (docs/scoring.md)."""
    if high <= low:
        return BANDS[0]
    share = (score - low) / (high - low)
    return BANDS[min(len(BANDS) - 1, max(0, int(share * len(BANDS))))]


@dataclass(frozen=True, slots=True)
class PlanItem:
    lever: str
    action: str  # in English; pages say it in the reader's language from `lever` and `params`
    points: int
    on_date: date | None  # None: as soon as it is done
    change: Change
    params: tuple[tuple[str, str], ...] = ()  # the values `action` names, for a translated sentence


def _reason(feature: str, row: dict[str, float], points: int, best_points: int) -> ReasonItem:
    """A reason worded for what the person's data holds: a missing value says it is missing."""
    spec = FEATURE_BY_NAME[feature]
    value = row.get(feature, math.nan)
    missing = spec.describe_missing is not None and math.isnan(value)
    text = spec.describe_missing if missing and spec.describe_missing else spec.describe
    return ReasonItem(feature, text, points, best_points, missing)


def feature_specs() -> list[FeatureSpec]:
    return [FeatureSpec(f.name, direction=f.direction, missing=f.missing, is_inquiry=f.is_inquiry) for f in FEATURES]


def train_default(rows: int = DEFAULT_ROWS, seed: int = DEFAULT_SEED) -> Scorecard:
    columns, target = generate(rows, seed)
    return train(
        columns,
        target,
        feature_specs(),
        binning=BinningSettings(min_bin_share=0.03, max_bins=6),
        scaling=Scaling(base_score=600.0, base_odds=50.0, pdo=20.0),
        metadata={
            "name": "fairlend comprehensive score",
            "model_version": f"comprehensive-synthetic-{seed}-{rows}",
            "source": "fairlend.scoring.synthetic.generate",
            "seed": seed,
        },
    )


def load_default_model() -> Scorecard:
    text = resources.files("fairlend.scoring").joinpath(DEFAULT_MODEL_RESOURCE).read_text(encoding="utf-8")
    return Scorecard.from_json(text)


class ComprehensiveScorer:
    def __init__(self, model: Scorecard, retention: Retention) -> None:
        missing = set(model.feature_names) - set(FEATURE_BY_NAME)
        if missing:
            raise ValueError(f"the model uses features the platform does not draw: {sorted(missing)}")
        self.model = model
        self.retention = retention
        self.version = str(model.metadata.get("model_version", "unversioned"))
        self.low = model.base_points + sum(min(f.points) for f in model.features)
        self.high = model.base_points + sum(max(f.points) for f in model.features)

    def assess(self, facts: ApplicantFacts, as_of: date) -> Assessment:
        row = features(facts, as_of, self.retention)
        points = self.model.points_of(row)
        reasons = tuple(_reason(r.feature, row, r.points, r.best_points) for r in self.model.reasons(row))
        return Assessment(
            score=self.model.base_points + sum(points.values()),
            as_of=as_of,
            features=row,
            points=points,
            reasons=reasons,
            model_version=self.version,
            low=self.low,
            high=self.high,
        )

    def score(self, facts: ApplicantFacts, as_of: date) -> int:
        return self.model.score(features(facts, as_of, self.retention))

    def what_if(self, facts: ApplicantFacts, today: date, change: Change) -> Assessment:
        changed, as_of = apply_change(facts, change, today)
        return self.assess(changed, as_of)

    def gain(self, facts: ApplicantFacts, today: date, change: Change) -> int:
        changed, as_of = apply_change(facts, change, today)
        return self.score(changed, as_of) - self.score(facts, today)

    def inquiry_cost(self, facts: ApplicantFacts, today: date) -> tuple[int, int]:
        """Hard inquiries in the last 30 days, and the points one more would cost (>= 0)."""
        recent = sum(1 for d in facts.credit.hard_inquiries if today - timedelta(days=30) < d <= today)
        return recent, -self.gain(facts, today, Change(extra_hard_inquiries=1))

    def plan(self, facts: ApplicantFacts, today: date) -> list[PlanItem]:
        items: list[PlanItem] = []

        def offer(lever: str, action: str, change: Change, **params: str) -> None:
            points = self.gain(facts, today, change)
            if points > 0:
                items.append(PlanItem(lever, action, points, change.as_of, change, tuple(params.items())))

        kyc = facts.kyc
        if not kyc.phone_verified:
            offer("verify_phone", "Verify your mobile number with a one-time code", Change(verify_phone=True))
        if not kyc.identity_verified:
            offer("verify_identity", "Verify your identity (ID card)", Change(verify_identity=True))
        if not kyc.bank_card_verified:
            offer("verify_bank_card", "Verify your real-name bank card", Change(verify_bank_card=True))
        if verified_monthly_income(facts) is None and facts.stated_monthly_income is not None:
            cert = CertificateFact(CertificateKind.SALARY_FLOW, facts.stated_monthly_income, today)
            offer(
                "income_certificate",
                f"Upload a salary-flow certificate showing {facts.stated_monthly_income} a month and have it approved",
                Change(add_certificate=cert),
                amount=str(facts.stated_monthly_income),
            )
        held = {c.kind for c in facts.certificates}
        for kind in sorted(ASSET_KINDS - held):
            offer(
                "asset_certificate",
                f"Upload a {kind.value} certificate and have it approved",
                Change(add_certificate=CertificateFact(kind, None, today)),
                kind=kind.value,
            )
            break  # one more kind is the next step; the plan stays short
        overdue = sum(d.overdue_amount.minor for d in facts.credit.delinquencies if d.ended_on is None)
        if overdue > 0:
            offer(
                "repay_overdue",
                f"Repay the {Money(overdue, facts.currency)} now overdue",
                Change(repay_overdue=True),
                amount=str(Money(overdue, facts.currency)),
            )
        items.extend(self._revolving_items(facts, today))
        items.extend(self._dated_items(facts, today))
        return items

    def _revolving_items(self, facts: ApplicantFacts, today: date) -> list[PlanItem]:
        """The smallest payment that reaches each better utilisation bin (nearest and best)."""
        if "revolving_utilisation" not in self.model.feature_names:
            return []
        lines = [a for a in facts.credit.accounts if a.revolving and a.credit_limit and a.credit_limit.minor > 0]
        balance = sum(a.balance.minor for a in lines)
        limit = sum(a.credit_limit.minor for a in lines if a.credit_limit is not None)
        if balance == 0 or limit == 0:
            return []
        feature = self.model.feature("revolving_utilisation")
        current = feature.points[feature.binning.slot(balance / limit)]
        out: list[PlanItem] = []
        seen_points: set[int] = set()
        # edges upward bound each bin: staying below edge k puts utilisation in bin <= k
        for k in reversed(range(len(feature.binning.edges))):
            edge = feature.binning.edges[k]
            target = math.ceil(edge * limit) - 1  # strictly below the edge
            if target < 0 or target >= balance:
                continue
            if feature.points[feature.binning.slot(target / limit)] <= current:
                continue
            pay = Money(balance - target, facts.currency)
            change = Change(pay_revolving=pay)
            points = self.gain(facts, today, change)
            if points > 0 and points not in seen_points:
                seen_points.add(points)
                out.append(
                    PlanItem(
                        "pay_revolving",
                        f"Pay off {pay} of revolving debt (utilisation below {edge:.0%})",
                        points,
                        None,
                        change,
                        (("amount", str(pay)), ("utilisation", f"{edge:.0%}")),
                    )
                )
        return out[:2]

    def _dated_items(self, facts: ApplicantFacts, today: date) -> list[PlanItem]:
        """Dates on which the score rises by itself: inquiries and records leave, clean months accrue."""
        credit = facts.credit
        dated: list[tuple[date, str, str, tuple[tuple[str, str], ...]]] = []
        # inquiries grouped by the month they were made: the month's last one leaving a window frees it
        for name, days in INQUIRY_WINDOWS_DAYS.items():
            if name not in self.model.feature_names:
                continue
            months: dict[tuple[int, int], list[date]] = {}
            for d in credit.hard_inquiries:
                if d <= today < d + timedelta(days=days):
                    months.setdefault((d.year, d.month), []).append(d)
            for (year, month), days_in in sorted(months.items()):
                leaves = max(days_in) + timedelta(days=days)
                dated.append(
                    (
                        leaves,
                        "inquiries_expire",
                        f"The {len(days_in)} hard inquir{'y' if len(days_in) == 1 else 'ies'} of {year}-{month:02d} "
                        f"leave the {days}-day window on {leaves.isoformat()}",
                        (
                            ("count", str(len(days_in))),
                            ("month", f"{year}-{month:02d}"),
                            ("days", str(days)),
                            ("date", leaves.isoformat()),
                        ),
                    )
                )
        for record in credit.delinquencies:
            removed = self.retention.removal_date(record)
            if removed is not None and retained(record, today, self.retention):
                status = f"ended {record.ended_on.isoformat()}" if record.ended_on else "still open"
                dated.append(
                    (
                        removed,
                        "record_removed",
                        f"The overdue record with {record.lender} ({status}) is removed on {removed.isoformat()}",
                        (
                            ("lender", record.lender),
                            ("ended", record.ended_on.isoformat() if record.ended_on else ""),
                            ("date", removed.isoformat()),
                        ),
                    )
                )
        ended = [
            d.ended_on for d in credit.delinquencies if d.ended_on is not None and retained(d, today, self.retention)
        ]
        still_open = any(d.ended_on is None for d in credit.delinquencies)
        if "months_since_delinquency" in self.model.feature_names and ended and not still_open:
            last_end = max(ended)
            since = months_between(last_end, today)
            for edge in self.model.feature("months_since_delinquency").binning.edges:
                if since < edge < NO_DELINQUENCY_MONTHS:
                    on = add_months(last_end, math.ceil(edge))
                    dated.append(
                        (
                            on,
                            "stay_clean",
                            f"Stay clean until {on.isoformat()} ({math.ceil(edge)} months)",
                            (("date", on.isoformat()), ("months", str(math.ceil(edge)))),
                        )
                    )
        out: list[PlanItem] = []
        seen: set[tuple[date, str]] = set()
        for on, lever, action, params in sorted(dated):
            if on <= today or (on, lever) in seen:
                continue
            seen.add((on, lever))
            change = Change(as_of=on)
            points = self.gain(facts, today, change)
            if points > 0:
                out.append(PlanItem(lever, action + " (if nothing else changes)", points, on, change, params))
        # the earliest few dates of each kind
        kept: list[PlanItem] = []
        for lever in ("inquiries_expire", "record_removed", "stay_clean"):
            kept.extend([i for i in out if i.lever == lever][:MAX_DATED_ITEMS])
        return kept


def retention_of(profile: Profile) -> Retention:
    """The profile's negative-record retention (CN-12: from the end; CR-6: from first delinquency + 180 days)."""
    bureau = profile.bureau
    return Retention(
        bureau.negative_retention_years,
        from_first_delinquency=bureau.negative_retention_start is RetentionStart.FIRST_DELINQUENCY_PLUS_180,
    )


def describe_model(model: Scorecard) -> list[dict[str, Any]]:
    """Each feature's bins and points, for `fairlend score explain` and the API."""
    out = []
    for f in model.features:
        out.append(
            {
                "feature": f.name,
                "direction": f.binning.direction.value,
                "weight": f.coefficient,
                "iv": round(f.binning.iv, 4),
                "bins": [
                    {"label": b.label, "points": p, "woe": round(b.woe, 4)}
                    for b, p in zip(f.binning.bins, f.points, strict=True)
                ],
            }
        )
    return out
