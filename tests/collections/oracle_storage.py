"""The storage driver: the same worlds, through the real ContactGateway on a database.

Each world's steps go through the collections services with in-memory ports,
as a borrower, a collector, lending and the bureau would make them happen:
InMemoryLending holds the loan facts and days past due (refreshed before each
attempt), InMemoryContactPoints the debtor's number, InMemoryDisputes the open
disputes; cease requests, window consent and contact persons (named, confirmed
with the code they received, revoked) go through CollectionsService,
complaints through ComplaintService, settlement as lending does it (facts
settled and `lending.LoanSettled` published in one transaction, or only one of
the two). A FixedClock is moved to each step's instant. Allowed attempts
resolve through recording channels that connect, talk or fail as the step
says, so a failed send is not counted. Worlds are interleaved in time on one
database, as borrowers are.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import cast
from zoneinfo import ZoneInfo

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.collections.fakes import (
    InMemoryContactPoints,
    InMemoryDisputes,
    InMemoryLending,
    InMemoryOtp,
    RecordingChannel,
)
from fairlend.collections.gateway import ContactRequest
from fairlend.collections.model import ComplaintCategory, LoanFacts, LoanState, Medium, RecipientKind
from fairlend.collections.wiring import Collections
from fairlend.errors import Conflict
from fairlend.events import DomainEvent
from fairlend.hardship.events import PlanBroken, PlanEnded, PlanStarted, RequestDeclined, RequestFiled
from fairlend.jurisdiction.model import CeaseScope, Profile
from fairlend.money import Money
from tests.collections.conftest import LoanSettled, wire_fakes
from tests.collections.oracle import Oracle
from tests.collections.oracle_steps import (
    DEBTOR,
    PERSON,
    Borrower,
    Cease,
    Complaint,
    Confirm,
    Consent,
    Dispute,
    Hardship,
    Name,
    NewNumber,
    Resend,
    Revoke,
    Settle,
    Step,
    Try,
    days_past_due,
)
from tests.collections.oracle_tally import Disagreement, Tally, describe
from tests.collections.oracle_world import WorldPlan, new_world

CONFIRM_PURPOSE = "confirm_contact"


@dataclass
class _Played:
    plan: WorldPlan
    persons: dict[str, str] = field(default_factory=dict)  # the oracle's person ref -> the service's id
    complaints: dict[tuple[str, int], str] = field(default_factory=dict)
    hardship: dict[str, int] = field(default_factory=dict)  # loan -> how many hardship steps it had
    attempts: int = 0


class StorageDriver:
    def __init__(self, container: Container, clock: FixedClock, keep: int = 20) -> None:
        self.container = container
        self.clock = clock
        self.profile: Profile = container.profile
        self.c: Collections = wire_fakes(container)
        self.lending = cast(InMemoryLending, self.c.lending)
        self.points = cast(InMemoryContactPoints, self.c.contact_points)
        self.otp = cast(InMemoryOtp, self.c.otp)
        self.disputes = cast(InMemoryDisputes, self.c.disputes)
        self.oracle = Oracle(self.profile)
        self.keep = keep
        self.logged: dict[str, int] = {}  # borrower -> attempts the log must show (P-4)

    def channel(self, medium: Medium) -> RecordingChannel:
        return cast(RecordingChannel, self.c.channels[medium])

    def run(self, seed: int | str, worlds: int, per_world: int, first_world: int = 0) -> Tally:
        tally = Tally()
        played = []
        for i in range(first_world, first_world + worlds):
            plan = new_world(self.profile, seed, i, per_world, prefix=f"s{self.profile.code}")
            self._open(plan.borrower)
            played.append(_Played(plan))
        # Interleave the worlds in time: the next step of a world is drawn only once its last one was played.
        heap: list[tuple[datetime, int, int, Step]] = []
        counters = [0] * len(played)
        for w, p in enumerate(played):
            self._push(heap, w, p, counters)
        while heap:
            _, w, i, step = heapq.heappop(heap)
            self._play(played[w], step, i, tally)
            self._push(heap, w, played[w], counters)
        return tally

    def _push(self, heap: list[tuple[datetime, int, int, Step]], w: int, p: _Played, counters: list[int]) -> None:
        step = next(p.plan.steps, None)
        if step is not None:
            heapq.heappush(heap, (step.at, w, counters[w], step))
            counters[w] += 1

    def _open(self, b: Borrower) -> None:
        for loan in b.loans.values():
            state = LoanState.CHARGED_OFF if loan.charged_off else LoanState.ACTIVE
            self.lending.add(LoanFacts(loan.id, b.id, state, self.profile.currency, Money(123_400, self.profile.currency), 0, "current"))  # fmt: skip
        self.points.add(b.id, b.number, b.tz)
        self.logged[b.id] = 0

    def _at(self, at: datetime) -> None:
        self.clock.set(at)
        self.clock.set_business_date(at.astimezone(ZoneInfo(self.profile.timezone)).date())

    def _play(self, p: _Played, step: Step, i: int, tally: Tally) -> None:
        b, svc, oracle = p.plan.borrower, self.c.service, self.oracle
        self._at(step.at)
        if isinstance(step, Try):
            self._attempt(p, step, i, tally)
            return
        if isinstance(step, Name | Resend):
            t = oracle.consent_try(b, step)
            expected = oracle.expect(b, t)
            self.channel(Medium.SMS).failing = step.fail
            rules: tuple[str, ...] = ()
            try:
                if isinstance(step, Name):
                    view = svc.name_contact_person(b.id, "李四" if b.tz.startswith("Asia") else "Sam Lee", "friend",
                                                   step.typed, timezone=step.tz)  # fmt: skip
                    p.persons[step.person] = view.id
                else:
                    svc.resend_contact_code(b.id, p.persons[step.person])
            except Conflict as err:
                if err.code == "contact_consent_blocked":
                    rules = tuple(err.extra["rules"])
                elif err.code != "contact_consent_not_sent":
                    raise
            self.logged[b.id] += 1
            self._compare(p, t, i, expected, rules, not rules, tally)
            oracle.record(b, t, not rules)
            oracle.consent_done(b, step, not rules)
            return
        if isinstance(step, Settle):
            if step.how in ("both", "lending"):
                self.lending.settle(step.loan, self.clock.business_date())
            if step.how in ("both", "event"):
                on = self.clock.business_date()
                with self.container.uow() as uow:
                    uow.publish(LoanSettled(step.loan, b.id, on, True, on))
                    uow.commit()
        elif isinstance(step, Hardship):
            self._hardship(p, b.id, step)
        elif isinstance(step, Dispute):
            if step.open:
                self.disputes.open.add((b.id, step.loan))
            else:
                self.disputes.open.discard((b.id, step.loan))
        elif isinstance(step, Complaint):
            complaints = self.c.complaints
            if step.action == "file":
                filed = complaints.file(b.id, step.loan, ComplaintCategory.HARASSMENT, "they call too often")
                p.complaints[(step.loan, step.index)] = filed.id
            elif step.action == "acknowledge":
                complaints.acknowledge(p.complaints[(step.loan, step.index)], "officer_1")
            else:
                complaints.answer(p.complaints[(step.loan, step.index)], "officer_1", "we have looked into it")
        elif isinstance(step, Cease):
            svc.request_cease(b.id, CeaseScope(step.scope), medium=step.medium, number=step.typed or None,
                              loan_id=step.loan)  # fmt: skip
        elif isinstance(step, Consent):
            svc.consent_to_window(b.id, f"{step.start:%H:%M}", f"{step.end:%H:%M}")
        elif isinstance(step, Confirm):
            number = b.persons[step.person].number
            svc.confirm_contact_person(p.persons[step.person], self.otp.sent[(number, CONFIRM_PURPOSE)])
        elif isinstance(step, Revoke):
            svc.revoke_contact_person(b.id, p.persons[step.person])
        elif isinstance(step, NewNumber):
            self.points.add(b.id, step.number, b.tz)
        oracle.apply(b, step)

    def _hardship(self, p: _Played, borrower_id: str, step: Hardship) -> None:
        """Publish the event hardship would, in a transaction of its own: collections' subscriber follows it."""
        if step.event == "filed":
            p.hardship[step.loan] = p.hardship.get(step.loan, 0) + 1
        n, on = p.hardship[step.loan], self.clock.business_date()
        request, plan = f"hrq_{step.loan}_{n}", f"hpl_{step.loan}_{n}"
        event: DomainEvent
        if step.event == "filed":
            event = RequestFiled(request, step.loan, borrower_id, "interest_stop", on, on)
        elif step.event == "declined":
            event = RequestDeclined(request, step.loan, borrower_id, ("other",), "op_1", on)
        elif step.event == "started":
            zero = Money(0, self.profile.currency)
            event = PlanStarted(plan, request, f"hpp_{plan}", step.loan, borrower_id, "interest_stop", 2, on, on, 1,
                                zero, zero, True, "v1", on)  # fmt: skip
        elif step.event == "broken":
            event = PlanBroken(plan, step.loan, borrower_id, on, 16, on)
        else:
            event = PlanEnded(plan, step.loan, borrower_id, "completed", on)
        with self.container.uow() as uow:
            uow.publish(event)
            uow.commit()

    def _attempt(self, p: _Played, t: Try, i: int, tally: Tally) -> None:
        b = p.plan.borrower
        loan = b.loans[t.loan]
        if not loan.lending_settled:
            dpd = days_past_due(self.profile, loan, t.at)
            facts = self.lending.loans[t.loan]
            self.lending.loans[t.loan] = replace(facts, days_past_due=dpd, bucket=self.profile.bucket_for(dpd).name)
        expected = self.oracle.expect(b, t)
        channel = self.channel(t.medium)
        channel.failing, channel.connected, channel.conversation = t.fail, t.connected, t.conversation
        content = {"template": t.template} if t.text is None else {"text": t.text.text}
        if t.who == DEBTOR:
            request = ContactRequest(t.loan, t.medium, collector_id=t.collector, **content)  # type: ignore[arg-type]
        elif t.who == PERSON:
            request = ContactRequest(t.loan, t.medium, RecipientKind.CONTACT_PERSON, contact_person_id=p.persons[t.person],
                                     collector_id=t.collector, **content)  # type: ignore[arg-type]  # fmt: skip
        else:
            request = ContactRequest(t.loan, t.medium, RecipientKind.THIRD_PARTY, third_party_number=t.typed,
                                     third_party_timezone=t.tp_tz, collector_id=t.collector, **content)  # type: ignore[arg-type]  # fmt: skip
        decision = self.c.gateway.attempt(request)
        self.logged[b.id] += 1
        rules = tuple(decision.rules)
        self._compare(p, t, i, expected, rules, decision.allowed, tally)
        self.oracle.record(b, t, decision.allowed)

    def _compare(self, p: _Played, t: Try, i: int, expected: dict[str, str], rules: tuple[str, ...], allowed: bool,
                 tally: Tally) -> None:  # fmt: skip
        got = set(rules)
        agrees = tally.count(self.profile.code, expected, got)
        # Allowed means no rule, and every rule is named once.
        consistent = allowed == (not rules) and len(rules) == len(got)
        if not consistent:
            tally.disagreeing += agrees
            key = f"{self.profile.code}: an inconsistent decision"
            tally.classes[key] = tally.classes.get(key, 0) + 1
        if (not agrees or not consistent) and len(tally.disagreements) < self.keep:
            why = "; ".join(f"{k}: {v}" for k, v in expected.items())
            if not consistent:
                why += f" (inconsistent decision: allowed={allowed} rules={list(rules)})"
            tally.disagreements.append(
                Disagreement(self.profile.code, p.plan.seed, i, tuple(sorted(expected)), tuple(sorted(got)),
                             describe(p.plan, self.oracle, t), why)
            )  # fmt: skip

    def unlogged(self) -> list[str]:
        """Borrowers whose contact log does not show every attempt made about them (P-4)."""
        return [
            f"{borrower}: {made} attempts, {len(self.c.service.contacts_about(borrower))} in the log"
            for borrower, made in self.logged.items()
            if len(self.c.service.contacts_about(borrower)) != made
        ]


def storage_clock() -> FixedClock:
    return FixedClock(datetime(2026, 1, 1, tzinfo=UTC))
