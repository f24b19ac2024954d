"""The pure driver: the oracle's worlds against `policy.evaluate`, fast enough for the million.

It builds the `Attempt` and `Situation` the specification says the gateway
builds (the whole log of the borrower so far, prior contacts of the number as
anyone but the debtor, days past due at that moment, the debtor's number keys,
templates rendered in the profile's language), calls `policy.evaluate`
(looked up at call time, so a test may patch a check away) and compares its
rule ids with the oracle's.
"""

from __future__ import annotations

from fairlend.collections import policy
from fairlend.collections.model import (
    FREE_TEXT,
    Attempt,
    CeaseRequest,
    ContactPersonFacts,
    ContactPersonStatus,
    HardshipState,
    LoanState,
    Medium,
    PriorAttempt,
    RecipientKind,
    Situation,
    WindowConsent,
)
from fairlend.jurisdiction.model import Profile
from tests.collections.oracle import Oracle
from tests.collections.oracle_corpus import TEMPLATE_LABELS, language
from tests.collections.oracle_steps import DEBTOR, PERSON, Borrower, Name, Resend, Try, days_past_due
from tests.collections.oracle_tally import Disagreement, Tally, describe
from tests.collections.oracle_world import WorldPlan, new_world


def _key(number: str) -> str:
    return f"key:{number}" if number else ""


def _render(profile: Profile, template: str, dpd: int, rng_digit: int) -> str:
    text = TEMPLATE_LABELS[(template, language(profile))][0]
    amount = f"¥{1_234 + dpd * 17:,}.00" if profile.currency == "CNY" else f"${1_234 + dpd * 17:,}.00"
    name = "张*" if language(profile) == "zh" else "S***"
    due = "2026-02-05"
    return text.format(amount=amount, dpd=dpd, name=name, code=f"{rng_digit:06d}", due_amount=amount, due_date=due)


class PureDriver:
    """Plays worlds against `policy.evaluate` (looked up at call time, so a test may patch the policy)."""

    def __init__(self, profile: Profile, keep: int = 20) -> None:
        self.profile = profile
        self.oracle = Oracle(profile)
        self.keep = keep

    def run(self, seed: int | str, attempts: int, per_world: int = 60, first_world: int = 0) -> Tally:
        tally = Tally()
        index = first_world
        while tally.attempts < attempts:
            plan = new_world(self.profile, seed, index, min(per_world, attempts - tally.attempts))
            self.play(plan, tally)
            index += 1
        return tally

    def play(self, plan: WorldPlan, tally: Tally) -> None:
        oracle, b = self.oracle, plan.borrower
        history: list[PriorAttempt] = []
        for i, step in enumerate(plan.steps):
            if isinstance(step, Try):
                self._attempt(plan, step, i, history, tally)
            elif isinstance(step, Name | Resend):
                t = oracle.consent_try(b, step)
                allowed = self._attempt(plan, t, i, history, tally)
                oracle.consent_done(b, step, allowed)
            else:
                oracle.apply(b, step)

    def _attempt(self, plan: WorldPlan, t: Try, i: int, history: list[PriorAttempt], tally: Tally) -> bool:
        oracle, b, profile = self.oracle, plan.borrower, self.profile
        expected = oracle.expect(b, t)
        attempt, situation = self.build(b, t, history, i)
        got = {v.rule for v in policy.evaluate(attempt, situation, profile)}
        if not tally.count(profile.code, expected, got) and len(tally.disagreements) < self.keep:
            tally.disagreements.append(
                Disagreement(profile.code, plan.seed, i, tuple(sorted(expected)), tuple(sorted(got)),
                             describe(plan, oracle, t), "; ".join(f"{k}: {v}" for k, v in expected.items()))
            )  # fmt: skip
        rec = oracle.record(b, t, not got)
        history.append(
            PriorAttempt(rec.loan, RecipientKind(rec.who), rec.entry, rec.medium, attempt.number_key, rec.at,
                         rec.sent, rec.connected, rec.conversation)
        )  # fmt: skip
        return not got

    def build(self, b: Borrower, t: Try, history: list[PriorAttempt], i: int) -> tuple[Attempt, Situation]:
        """The attempt and situation as the specification says the gateway builds them at sending time."""
        profile = self.profile
        who = self.oracle.target(b, t)
        loan = b.loans.get(t.loan)
        dpd = days_past_due(profile, loan, t.at) if loan is not None else 0
        # E-mail, letters and visits to the debtor reach no phone number.
        number_key = "" if t.who == DEBTOR and t.medium not in (Medium.SMS, Medium.CALL) else _key(who.number)
        text = t.text.text if t.text is not None else _render(profile, t.template, dpd, i)
        attempt = Attempt(t.loan, b.id, RecipientKind(t.who), who.entry, t.medium, number_key,
                          t.template or FREE_TEXT, text, t.at, who.tz, t.collector)  # fmt: skip
        if loan is None:
            state = LoanState.ACTIVE
        elif loan.settled:
            state = LoanState.SETTLED
        else:
            state = LoanState.CHARGED_OFF if loan.charged_off else LoanState.ACTIVE
        person = None
        if t.who == PERSON:
            p = b.persons[t.person]
            person = ContactPersonFacts(p.id, ContactPersonStatus(p.status))
        situation = Situation(
            loan_state=state,
            history=tuple(history),
            cease_requests=tuple(
                CeaseRequest(c.scope, c.loan, c.medium, _key(c.number) if c.number else None) for c in b.ceases
            ),
            open_dispute=loan is not None and loan.dispute,
            open_complaint=loan is not None and loan.complaints > 0,
            hardship=HardshipState(loan.hardship) if loan is not None else HardshipState.NONE,
            window_consent=WindowConsent(*b.consent) if b.consent else None,
            contact_person=person,
            prior_sent_to_person=None if t.who == DEBTOR or i % 4 == 0 else b.reached_as_other[who.number],
            days_past_due=dpd,
            debtor_keys=frozenset({_key(b.number)}),
        )
        return attempt, situation


def replay(world_seed: str, attempts: int = 60) -> Tally:
    """Play one world again from the seed a disagreement prints ("20260:us:6745"), keeping every disagreement."""
    from fairlend.jurisdiction.loader import load_profile

    seed, code, index = world_seed.rsplit(":", 2)
    profile = load_profile(code)
    tally = Tally()
    PureDriver(profile, keep=10**9).play(new_world(profile, seed, int(index), attempts), tally)
    return tally
