"""What the fuzz counts and how it tells a disagreement: enough to find the case again."""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from tests.collections.oracle import Oracle, kinds
from tests.collections.oracle_steps import PERSON, THIRD_PARTY, Try, days_past_due
from tests.collections.oracle_world import WorldPlan


@dataclass(frozen=True, slots=True)
class Disagreement:
    profile: str
    seed: str  # the world's seed: new_world(profile, *seed.split(":")[::2]) replays it
    step: int
    expected: tuple[str, ...]
    got: tuple[str, ...]
    case: str
    why: str

    def __str__(self) -> str:
        return (
            f"[{self.profile}] world {self.seed} step {self.step}: expected {list(self.expected) or 'allowed'}, "
            f"got {list(self.got) or 'allowed'}\n    {self.case}\n    oracle: {self.why}"
        )


def describe(plan: WorldPlan, oracle: Oracle, t: Try) -> str:
    b = plan.borrower
    who = oracle.target(b, t)
    local = t.at.astimezone(ZoneInfo(who.tz))
    if t.who == PERSON:
        p = b.persons[t.person]
        recipient = f"contact person {p.id} ({p.status}) {plan.numbers.get(p.number, p.number)}"
    elif t.who == THIRD_PARTY:
        recipient = f"third party {plan.numbers.get(t.number, t.number)} typed {t.typed!r}"
    else:
        recipient = "debtor"
    loan = b.loans.get(t.loan)
    state = "no loan"
    if loan is not None:
        dpd = days_past_due(plan.profile, loan, t.at)
        flags = [n for n, on in (("lending-settled", loan.lending_settled), ("event-settled", loan.event_settled),
                                 ("disputed", loan.dispute), ("complained", loan.complaints > 0),
                                 ("charged-off", loan.charged_off),
                                 (f"hardship-{loan.hardship}", loan.hardship != "none")) if on]  # fmt: skip
        state = f"{t.loan} dpd {dpd} {' '.join(flags)}".strip()
    content = (
        f"template {t.template}"
        if t.text is None
        else f"text {t.text.text!r} {sorted(t.text.labels)} ({t.text.source})"
    )
    ceases = [f"{c.scope}:{c.loan or '*'}:{c.medium or plan.numbers.get(c.number or '', '')}" for c in b.ceases]
    return (
        f"{t.medium.value} to {recipient} at {local:%Y-%m-%d %H:%M:%S} {who.tz} ({t.at:%Y-%m-%dT%H:%M:%SZ}); "
        f"debtor {plan.numbers.get(b.number, b.number)} in {b.tz}; {state}; {content}; "
        f"ceases {ceases}; consent {b.consent}; channel fail={t.fail} connected={t.connected}"
    )


@dataclass
class Tally:
    attempts: int = 0
    allowed: int = 0
    blocked_by: dict[str, int] = field(default_factory=dict)  # "profile:rule" -> attempts the gateway blocked with it
    checks: dict[str, int] = field(default_factory=dict)  # "profile:kind" -> agreed blocks (oracle_world.kinds)
    disagreements: list[Disagreement] = field(default_factory=list)  # the first few, in full
    disagreeing: int = 0  # attempts on which the gateway and the oracle disagree
    classes: dict[str, int] = field(default_factory=dict)  # "profile: the gateway missed|added rule" -> attempts

    def count(self, profile: str, expected: dict[str, str], got: set[str]) -> bool:
        """Counts one decision; true when it agrees with the oracle."""
        self.attempts += 1
        if not got:
            self.allowed += 1
        for rule in got:
            key = f"{profile}:{rule}"
            self.blocked_by[key] = self.blocked_by.get(key, 0) + 1
            if rule in expected:
                for kind in kinds(expected[rule]):
                    key = f"{profile}:{kind}"
                    self.checks[key] = self.checks.get(key, 0) + 1
        wanted = set(expected)
        for rule in wanted - got:
            key = f"{profile}: the gateway missed {rule}"
            self.classes[key] = self.classes.get(key, 0) + 1
        for rule in got - wanted:
            key = f"{profile}: the gateway added {rule}"
            self.classes[key] = self.classes.get(key, 0) + 1
        if wanted != got:
            self.disagreeing += 1
        return wanted == got

    def merge(self, other: Tally) -> None:
        self.attempts += other.attempts
        self.allowed += other.allowed
        self.disagreeing += other.disagreeing
        for mine, theirs in ((self.blocked_by, other.blocked_by), (self.checks, other.checks),
                             (self.classes, other.classes)):  # fmt: skip
            for k, v in theirs.items():
                mine[k] = mine.get(k, 0) + v
        self.disagreements.extend(other.disagreements)

    def summary(self, first: int = 5) -> str:
        lines = [
            f"{self.disagreeing:,} of {self.attempts:,} attempts disagree with the oracle ({self.allowed:,} allowed)"
        ]
        lines += [f"  {n:>7,}  {k}" for k, n in sorted(self.classes.items(), key=lambda kv: -kv[1])]
        lines += ["first disagreements:"] + [str(d) for d in self.disagreements[:first]]
        return "\n".join(lines)
