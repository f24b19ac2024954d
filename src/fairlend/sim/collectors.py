"""Collectors in the simulated market: they work their queues through the contact gateway, one careless.

Each business day the collection tasks end-of-day planned are shared among
the collectors in the queue's priority (ties in booking order, so a run
repeats); each works up to `TASKS_PER_COLLECTOR` of them, every one an
attempt through `collections.gateway`, which allows or blocks it and logs it
in the borrower's hash-chained contact log. A borrower reached becomes more
likely to pay (sim/borrowers.py). A borrower contacted often, or whose loan
was called after it was settled, may complain; the compliance officer
acknowledges at once and answers within `ANSWER_AFTER` days.

The careless collector, every `CARELESS_EVERY` days, tries what the rules
forbid: a call about a loan settled early (P-2), a text in their own words
to a delinquent borrower's contact person (the profile's third-party content
rule, P-9), and a call to a delinquent borrower at 23:30 local time (the
profile's contact-window rule). The gateway must block each: every attempt
is kept in `SimReport.careless` with the rule expected and the rules given.
"""

from __future__ import annotations

from datetime import date, timedelta

from fairlend.collections.gateway import ContactDecision, ContactRequest
from fairlend.collections.model import ComplaintCategory, Medium, RecipientKind
from fairlend.collections.service import ACTION_TEMPLATES
from fairlend.errors import DomainError
from fairlend.sim.world import NIGHT_HOUR, CarelessAttempt, World

COLLECTORS = ("collector", "collector2", "collector3")
CARELESS = "careless"
TASKS_PER_COLLECTOR = 60
CARELESS_EVERY = 7
ANSWER_AFTER = 5
OFTEN = 3  # contacts about one loan within a week that feel like pressure


class Collectors:
    def __init__(self, world: World) -> None:
        self.w = world
        self.seen: dict[str, list[date]] = {}  # loan -> days a collector reached its borrower
        self.complained: set[str] = set()
        self.to_answer: dict[date, list[str]] = {}

    def day(self, offset: int, today: date, borrowers: dict[str, tuple[str, str, float]], settled: list[str]) -> None:
        """`borrowers`: open loan -> (borrower, contact person id, complaint propensity); `settled`: loans paid off."""
        self._answer(today)
        self._work_queue(today, borrowers)
        if offset % CARELESS_EVERY == CARELESS_EVERY - 1:
            self._careless(today, borrowers, settled)

    # -- the queue ----------------------------------------------------------------------------

    def _work_queue(self, today: date, borrowers: dict[str, tuple[str, str, float]]) -> None:
        """The platform sends the day's automated texts first (`fairlend collections dispatch`); then the calls."""
        service, order = self.w.collections.service, self.w.order
        for outcome, n in service.dispatch_automated(today).items():
            self.w.report.contacts[f"automated:{outcome}"] += n
        tasks = [t for t in service.queue(today, limit=100_000) if t.loan_id in order and t.medium == Medium.CALL]
        tasks.sort(key=lambda t: (-t.priority, order[t.loan_id], t.step))
        done: set[str] = set()
        for n, task in enumerate(tasks[: TASKS_PER_COLLECTOR * len(COLLECTORS)]):
            if task.loan_id in done:
                continue  # one contact about a loan a day
            done.add(task.loan_id)
            collector = self.w.ops[COLLECTORS[n % len(COLLECTORS)]]
            template = ACTION_TEMPLATES.get(task.action, "reminder")
            decision = self._attempt(
                ContactRequest(task.loan_id, Medium.CALL, template=template, collector_id=collector, task_id=task.id)
            )
            if decision.allowed:
                self.w.contacted[task.loan_id] = today
                week = [d for d in self.seen.get(task.loan_id, []) if (today - d).days < 7] + [today]
                self.seen[task.loan_id] = week
                if len(week) >= OFTEN and task.loan_id in borrowers:
                    borrower, _, propensity = borrowers[task.loan_id]
                    self._maybe_complain(borrower, task.loan_id, propensity, ComplaintCategory.HARASSMENT, today)
            self.w.advance(1)

    def _attempt(self, request: ContactRequest) -> ContactDecision:
        decision = self.w.collections.gateway.attempt(request)
        report = self.w.report
        report.contacts[decision.outcome.value] += 1
        for rule in decision.rules:
            report.blocked_by_rule[rule] += 1
        return decision

    # -- the careless collector ----------------------------------------------------------------

    def _careless(self, today: date, borrowers: dict[str, tuple[str, str, float]], settled: list[str]) -> None:
        rules = self.w.profile.collections
        who = self.w.ops[CARELESS]
        delinquent = sorted(
            (d for d in self.w.lending.delinquent_loans(rules.collection_start_dpd + 1) if d.loan_id in borrowers),
            key=lambda d: self.w.order[d.loan_id],
        )
        k = len(self.w.report.careless)
        if settled:
            loan_id = settled[k % len(settled)]
            self._try("settled_loan", ContactRequest(loan_id, Medium.CALL, collector_id=who), "P-2")
            owner = self.w.collections.service.loan_owner(loan_id)
            self._maybe_complain(owner, loan_id, 0.5, ComplaintCategory.CONTACT_AFTER_REPAYMENT, today)
        named = [d for d in delinquent if borrowers[d.loan_id][1]]
        if named:
            d = named[k % len(named)]
            request = ContactRequest(
                d.loan_id,
                Medium.SMS,
                recipient_kind=RecipientKind.CONTACT_PERSON,
                contact_person_id=borrowers[d.loan_id][1],
                text="Your relative owes us money. Tell them to pay today.",
                collector_id=who,
            )
            self._try("contact_person", request, rules.content.third_party_rule)
        if delinquent and self.w.can_set_time():
            d = delinquent[k % len(delinquent)]
            self.w.set_time(today, NIGHT_HOUR)
            try:
                self._try(
                    "night_call", ContactRequest(d.loan_id, Medium.CALL, collector_id=who), rules.contact_window.rule
                )
            finally:
                self.w.move_to(today)

    def _try(self, kind: str, request: ContactRequest, expected: str) -> None:
        decision = self._attempt(request)
        self.w.report.careless.append(
            CarelessAttempt(kind, request.loan_id, decision.outcome.value, decision.rules, expected)
        )
        self.w.advance(1)

    # -- complaints ---------------------------------------------------------------------------

    def _maybe_complain(
        self, borrower: str, loan_id: str, propensity: float, category: ComplaintCategory, today: date
    ) -> None:
        if loan_id in self.complained:
            return
        draw = (self.w.order.get(loan_id, 0) * 7919 + today.toordinal()) % 1000 / 1000  # no shared generator
        if draw >= propensity:
            return
        self.complained.add(loan_id)
        text = (
            "A collector keeps contacting me about this loan. Please stop."
            if category is ComplaintCategory.HARASSMENT
            else "I paid this loan off and a collector still called me."
        )
        complaints, officer = self.w.collections.complaints, self.w.ops["compliance"]
        try:
            filed = complaints.file(borrower, loan_id, category, text)
            complaints.acknowledge(filed.id, officer)
        except DomainError as refused:
            self.w.report.complaints[f"refused:{refused.code}"] += 1
            return
        self.w.report.complaints["filed"] += 1
        self.to_answer.setdefault(today + timedelta(days=ANSWER_AFTER), []).append(filed.id)

    def _answer(self, today: date) -> None:
        complaints, officer = self.w.collections.complaints, self.w.ops["compliance"]
        for complaint_id in self.to_answer.pop(today, []):
            try:
                complaints.answer(
                    complaint_id, officer, "We reviewed the contacts and paused collection while we looked."
                )
            except DomainError as refused:
                self.w.report.complaints[f"refused:{refused.code}"] += 1
                continue
            self.w.report.complaints["answered"] += 1
