"""The strategy ladder as data: which step a loan is on, by days past due.

Pure. The steps come from `profile.collections.ladder`; the thresholds from
the profile too (`collection_start_dpd`, `escalation_dpd`, and referral and
charge-off decision points at the starts of delinquency buckets unless a
product says otherwise). Escalation is a formal letter and a supervisor's
review: never a third party.
"""

from __future__ import annotations

from dataclasses import dataclass

from fairlend.jurisdiction.model import LadderStep, Profile

ONGOING_ACTIONS = frozenset({"gentle_reminder", "collect"})


@dataclass(frozen=True, slots=True)
class PlannedStep:
    step: str
    action: str
    medium: str


@dataclass(frozen=True, slots=True)
class Ladder:
    before_due: dict[int, LadderStep]  # days before the due date (3, 1, 0) -> step
    ongoing: tuple[LadderStep, ...]  # sorted by from_dpd, descending
    one_off: dict[int, tuple[PlannedStep, ...]]  # exact days past due -> steps
    collection_start_dpd: int
    escalation_dpd: int

    @classmethod
    def from_profile(
        cls, profile: Profile, referral_dpd: int | None = None, charge_off_dpd: int | None = None
    ) -> Ladder:
        rules = profile.collections
        before = {-s.from_dpd: s for s in rules.ladder if s.from_dpd <= 0}
        ongoing = tuple(
            sorted(
                (s for s in rules.ladder if s.from_dpd > 0 and s.action in ONGOING_ACTIONS), key=lambda s: -s.from_dpd
            )
        )
        one_off: dict[int, list[PlannedStep]] = {}
        for s in rules.ladder:
            if s.from_dpd > 0 and s.action not in ONGOING_ACTIONS:
                one_off.setdefault(s.from_dpd, []).append(PlannedStep(s.name, s.action, s.medium))
        escalation_day = rules.escalation_dpd + 1
        one_off.setdefault(escalation_day, []).append(PlannedStep("supervisor_review", "review", "none"))
        overdue_buckets = sorted(b.min_dpd for b in profile.delinquency_buckets if b.min_dpd > 0)
        # Without a product's thresholds: refer at the fourth overdue bucket, decide charge-off at the last.
        referral = referral_dpd or (overdue_buckets[3] if len(overdue_buckets) > 3 else None)
        charge_off = charge_off_dpd or (overdue_buckets[-1] if overdue_buckets else None)
        if referral:
            one_off.setdefault(referral, []).append(PlannedStep("referral_decision", "decide_referral", "none"))
        if charge_off:
            one_off.setdefault(charge_off, []).append(PlannedStep("charge_off_decision", "decide_charge_off", "none"))
        return cls(
            before,
            ongoing,
            {k: tuple(v) for k, v in one_off.items()},
            rules.collection_start_dpd,
            rules.escalation_dpd,
        )

    def steps_for_overdue(self, days_past_due: int) -> list[PlannedStep]:
        """The day's steps for a loan this many days past due (at most one ongoing step)."""
        planned: list[PlannedStep] = []
        for step in self.ongoing:
            if days_past_due >= step.from_dpd:
                planned.append(PlannedStep(step.name, step.action, step.medium))
                break
        planned.extend(self.one_off.get(days_past_due, ()))
        return planned

    def step_before_due(self, days_until_due: int) -> PlannedStep | None:
        step = self.before_due.get(days_until_due)
        return PlannedStep(step.name, step.action, step.medium) if step else None

    @property
    def max_days_before(self) -> int:
        return max(self.before_due, default=0)


def priority(days_past_due: int, overdue_minor: int) -> int:
    """Older debts first, then larger ones."""
    return min(max(days_past_due, 0), 9_999) * 10**12 + min(max(overdue_minor, 0), 10**12 - 1)
