"""A random world of loans, people, clocks and requests, driven through the policy in memory.

`simulate` makes attempts in time order, decides each with the real policy
functions (as the gateway does, from the log so far and the world's state at
that instant) and appends a log row. `oracle_violations` then reads only the
log and the world's ground truth and reports every allowed row that broke a
rule. The oracle is written from RULES.md and the profile, not from
policy.py: it imports nothing from the policy or content modules, looks at
local calendar dates instead of UTC bounds, and knows what each text says
from the generator's labels instead of word lists.
"""

from __future__ import annotations

import bisect
import random
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fairlend.collections.model import (
    Attempt,
    CeaseRequest,
    ContactPersonFacts,
    ContactPersonStatus,
    LoanState,
    Medium,
    PriorAttempt,
    RecipientKind,
    Situation,
    WindowConsent,
)
from fairlend.collections.policy import evaluate
from fairlend.jurisdiction.model import CapCounting, CapScope, Profile, ThirdPartyAllowance

ZONES = ("Asia/Shanghai", "Asia/Urumqi", "America/New_York", "America/Los_Angeles", "Europe/London")
START = datetime(2026, 3, 1, tzinfo=UTC)

# Every text the generator uses, with what it says (the oracle's only view of content).
TEXTS: dict[str, frozenset[str]] = {
    "fairlend来电：您的借款有逾期金额¥100.00，请协商还款。回复TD退订": frozenset({"debt", "optout"}),
    "fairlend：您有¥100.00已逾期，请尽快处理。": frozenset({"debt"}),
    "您好，这里是fairlend，请转告张三回电。回复TD退订": frozenset({"optout"}),
    "再不还钱就爆通讯录，让你坐牢": frozenset({"debt", "threat"}),
    "我们是法院的，请配合": frozenset({"authority"}),
    "老赖，快回电": frozenset({"abuse"}),
    "Your payment of $100.00 is overdue. Reply STOP to opt out.": frozenset({"debt", "optout"}),
    "Your payment of $100.00 is overdue.": frozenset({"debt"}),
    "Hello, we are trying to confirm contact details for Sam. Reply STOP to opt out.": frozenset({"optout"}),
    "Please ask Sam to call us back. Reply STOP to opt out.": frozenset({"optout"}),
    "Pay now or you will go to jail. Reply STOP to opt out.": frozenset({"debt", "threat"}),
    "This is the sheriff. Reply STOP to opt out.": frozenset({"authority", "optout"}),
    "We will stop contacting you. Reply STOP to opt out.": frozenset({"optout"}),
}
TEXT_LIST = tuple(TEXTS)
TEMPLATES = ("collection", "gentle_reminder", "restore_contact", "location_inquiry", "cease_confirmation")


@dataclass
class Person:
    id: str
    confirmed_at: datetime | None
    number: str


@dataclass
class Borrower:
    id: str
    tz: str
    numbers: tuple[str, str]
    loans: list[str]
    persons: list[Person]
    consent: tuple[datetime, time, time] | None
    cease: list[tuple[datetime, CeaseRequest]] = field(default_factory=list)


@dataclass
class World:
    profile: Profile
    borrowers: list[Borrower]
    settled_at: dict[str, datetime]
    disputes: dict[str, tuple[datetime, datetime]]
    complaints: dict[str, tuple[datetime, datetime]]


@dataclass(frozen=True, slots=True)
class Row:
    """One log row, as the contact log holds it."""

    borrower_id: str
    loan_id: str
    at: datetime
    medium: Medium
    recipient_kind: RecipientKind
    recipient_id: str
    recipient_tz: str
    number_key: str
    template: str
    text: str
    sent: bool
    rules: tuple[str, ...]
    connected: bool
    conversation: bool


def make_world(profile: Profile, borrowers: int, span: timedelta, rng: random.Random) -> World:
    people: list[Borrower] = []
    settled: dict[str, datetime] = {}
    disputes: dict[str, tuple[datetime, datetime]] = {}
    complaints: dict[str, tuple[datetime, datetime]] = {}

    def moment() -> datetime:
        return START + timedelta(seconds=rng.randrange(int(span.total_seconds())))

    def interval() -> tuple[datetime, datetime]:
        a = moment()
        return a, a + timedelta(hours=rng.randrange(1, 96))

    for b in range(borrowers):
        loans = [f"loan_{b}_{i}" for i in range(rng.choice((1, 1, 2)))]
        for loan in loans:
            if rng.random() < 0.15:
                settled[loan] = moment()
            if rng.random() < 0.08:
                disputes[loan] = interval()
            if rng.random() < 0.08:
                complaints[loan] = interval()
        persons = [
            Person(f"cp_{b}_{i}", moment() if rng.random() < 0.7 else None, f"n_cp_{b}_{i}")
            for i in range(rng.choice((0, 1, 2)))
        ]
        consent = (moment(), time(7), time(23)) if rng.random() < 0.2 else None
        person = Borrower(f"brw_{b}", rng.choice(ZONES), (f"n_{b}_0", f"n_{b}_1"), loans, persons, consent)
        if rng.random() < 0.15:
            scope = rng.choice(("all", "medium", "number"))
            request = CeaseRequest(
                scope,
                loan_id=rng.choice([None, *loans]),
                medium=rng.choice(list(Medium)) if scope == "medium" else None,
                number_key=person.numbers[0] if scope == "number" else None,
            )
            person.cease.append((moment(), request))
        people.append(person)
    return World(profile, people, settled, disputes, complaints)


def _inside(interval: tuple[datetime, datetime] | None, at: datetime) -> bool:
    return interval is not None and interval[0] <= at < interval[1]


def simulate(profile: Profile, attempts: int, seed: int, talk: float = 0.7) -> tuple[World, list[Row]]:
    rng = random.Random(seed)
    span = timedelta(days=20)
    world = make_world(profile, max(attempts // 150, 4), span, rng)
    rules = profile.collections
    lookback = timedelta(
        days=max([c.window_days for c in rules.call_caps] + [rules.quiet_days_after_conversation, rules.third_party.unreachable_days, 1]) + 1
    )  # fmt: skip
    recent: dict[str, deque[PriorAttempt]] = defaultdict(deque)
    sent_to: dict[tuple[str, str], int] = defaultdict(int)
    step = span / attempts
    at = START
    log: list[Row] = []
    for _ in range(attempts):
        at += step * rng.random() * 2
        b = rng.choice(world.borrowers)
        loan = rng.choice(b.loans)
        roll = rng.random()
        person: Person | None = None
        number = b.numbers[rng.random() < 0.3]
        if roll < 0.7 or (not b.persons and roll < 0.85):
            kind, recipient = RecipientKind.DEBTOR, b.id
        elif roll < 0.9 and b.persons:
            person = rng.choice(b.persons)
            kind, recipient, number = RecipientKind.CONTACT_PERSON, person.id, person.number
        else:
            number = f"n_tp_{rng.randrange(1000)}"
            kind, recipient = RecipientKind.THIRD_PARTY, f"tp:{number}"
        medium = rng.choice(
            (Medium.CALL, Medium.CALL, Medium.CALL, Medium.SMS, Medium.EMAIL, Medium.LETTER, Medium.VISIT)
        )
        template = rng.choice(TEMPLATES)
        text = rng.choice(TEXT_LIST)
        number_key = number if medium in (Medium.CALL, Medium.SMS) else ""
        attempt = Attempt(loan, b.id, kind, recipient, medium, number_key, template, text, at, b.tz, "op_1")
        history = recent[b.id]
        while history and history[0].at < at - lookback:
            history.popleft()
        consent = WindowConsent(b.consent[1], b.consent[2]) if b.consent and b.consent[0] <= at else None
        situation = Situation(
            loan_state=LoanState.SETTLED
            if loan in world.settled_at and world.settled_at[loan] <= at
            else LoanState.ACTIVE,
            history=tuple(history),
            cease_requests=tuple(r for when, r in b.cease if when <= at),
            open_dispute=_inside(world.disputes.get(loan), at),
            open_complaint=_inside(world.complaints.get(loan), at),
            window_consent=consent,
            contact_person=None
            if person is None
            else ContactPersonFacts(
                person.id,
                ContactPersonStatus.CONFIRMED
                if person.confirmed_at and person.confirmed_at <= at
                else ContactPersonStatus.PENDING,
            ),
            prior_sent_to_person=None if kind is RecipientKind.DEBTOR else sent_to[(b.id, recipient)],
        )
        found = evaluate(attempt, situation, profile)
        sent = not found
        connected = sent and medium is Medium.CALL and rng.random() < 0.5
        conversation = connected and rng.random() < talk
        if sent:
            sent_to[(b.id, recipient)] += 1
        history.append(PriorAttempt(loan, kind, recipient, medium, number_key, at, sent, connected, conversation))
        log.append(
            Row(b.id, loan, at, medium, kind, recipient, b.tz, number_key, template, text, sent,
                tuple(v.rule for v in found), connected, conversation)
        )  # fmt: skip
    return world, log


# -- the oracle: reads the log and the world, not the policy ---------------------------------


def oracle_violations(world: World, log: list[Row]) -> list[tuple[Row, str]]:
    rules = world.profile.collections
    third = rules.third_party
    by_borrower: dict[str, list[Row]] = defaultdict(list)
    for row in log:
        by_borrower[row.borrower_id].append(row)
    borrowers = {b.id: b for b in world.borrowers}
    persons = {p.id: p for b in world.borrowers for p in b.persons}
    bad: list[tuple[Row, str]] = []
    for borrower_id, rows in by_borrower.items():
        b = borrowers[borrower_id]
        times = [r.at for r in rows]
        sent_count: dict[str, int] = defaultdict(int)
        for i, row in enumerate(rows):
            if not row.sent:
                continue
            for reason in _row_problems(world, b, rows, times, i, row, sent_count, persons, rules, third):
                bad.append((row, reason))
            sent_count[row.recipient_id] += 1
    return bad


def _local(at: datetime, tz: str) -> datetime:
    return at.astimezone(ZoneInfo(tz))


def _row_problems(world, b, rows, times, i, row, sent_count, persons, rules, third):  # type: ignore[no-untyped-def]
    says = TEXTS[row.text]
    settled = world.settled_at.get(row.loan_id)
    if settled is not None and settled <= row.at:
        yield "contact about a settled loan"
    if _inside(world.disputes.get(row.loan_id), row.at) or _inside(world.complaints.get(row.loan_id), row.at):
        yield "contact during an open dispute or complaint"
    for when, req in b.cease:
        if when > row.at or (req.loan_id is not None and req.loan_id != row.loan_id):
            continue
        if req.scope == "all" and row.template != "cease_confirmation":
            yield "contact after a request to stop everything"
        if req.scope == "all" and row.template == "cease_confirmation" and world.profile.code != "us":
            yield "contact after a request to stop everything (no exemption here)"
        if req.scope == "medium" and req.medium is row.medium:
            yield "contact by a forbidden medium"
        if req.scope == "number" and row.number_key and req.number_key == row.number_key:
            yield "contact on a forbidden number"
    if "threat" in says or "authority" in says or "abuse" in says:
        yield "threatening, abusive or false-authority message"
    if world.profile.code == "us" and row.medium in (Medium.SMS, Medium.EMAIL) and "optout" not in says:
        yield "text or email without an opt-out"
    local = _local(row.at, row.recipient_tz)
    if row.medium is not Medium.LETTER:
        start, end = rules.contact_window.start, rules.contact_window.end
        if (
            row.recipient_kind is RecipientKind.DEBTOR
            and b.consent
            and b.consent[0] <= row.at
            and rules.consent_may_widen_window
        ):
            start, end = min(start, b.consent[1]), max(end, b.consent[2])
        minutes = local.hour * 60 + local.minute
        if not (start.hour * 60 + start.minute <= minutes < end.hour * 60 + end.minute):
            yield f"outside the contact window at {local:%H:%M} local"
        if local.weekday() in rules.blocked_weekdays:
            yield "on a blocked weekday"
    if row.recipient_kind is not RecipientKind.DEBTOR:
        if "debt" in says:
            yield "a third person was told of the debt"
        if sent_count[row.recipient_id] >= third.max_contacts_per_person:
            yield "a third person contacted too often"
        if third.allowed is ThirdPartyAllowance.NONE:
            yield "a third person contacted at all"
        elif third.allowed is ThirdPartyAllowance.PRE_AGREED_CONTACT_WHEN_UNREACHABLE:
            if row.template != "restore_contact":
                yield "a contact person got something other than the restore-contact message"
            person = persons.get(row.recipient_id)
            if row.recipient_kind is not RecipientKind.CONTACT_PERSON or person is None:
                yield "someone the debtor never named"
            elif person.confirmed_at is None or person.confirmed_at > row.at:
                yield "a contact person who had not confirmed"
            if third.unreachable_days > 0:
                first_silence = None
                for earlier in rows[:i]:
                    if (
                        earlier.sent
                        and earlier.medium is Medium.CALL
                        and earlier.recipient_kind is RecipientKind.DEBTOR
                    ):
                        if earlier.connected:
                            first_silence = None  # answered: the silence starts again after this
                        elif first_silence is None:
                            first_silence = earlier.at
                if first_silence is None or row.at - first_silence < timedelta(days=third.unreachable_days):
                    yield "a contact person while the debtor was reachable"
        elif row.template != "location_inquiry":
            yield "a third person asked for more than a location"
    if row.medium is Medium.CALL:
        today = local.date()
        window_start = bisect.bisect_left(
            times, row.at - timedelta(days=max(8, rules.quiet_days_after_conversation + 1))
        )
        earlier_calls = [e for e in rows[window_start:i] if e.sent and e.medium is Medium.CALL]
        for cap in rules.call_caps:
            first_day = today - timedelta(days=cap.window_days - 1)
            n = 0
            for e in earlier_calls:
                if not (first_day <= _local(e.at, row.recipient_tz).date() <= today):
                    continue
                if cap.counting is CapCounting.CONNECTED and not e.connected:
                    continue
                same = {
                    CapScope.PER_DEBTOR: e.recipient_kind is RecipientKind.DEBTOR
                    and row.recipient_kind is RecipientKind.DEBTOR,
                    CapScope.PER_NUMBER: bool(row.number_key) and e.number_key == row.number_key,
                    CapScope.PER_DEBT: e.loan_id == row.loan_id,
                    CapScope.PER_PERSON_PER_DEBT: e.loan_id == row.loan_id and e.recipient_id == row.recipient_id,
                }[cap.scope]
                n += same
            if n >= cap.count:
                yield f"call cap {cap.rule} ({n} earlier calls)"
        quiet = rules.quiet_days_after_conversation
        for e in earlier_calls:
            if (
                quiet
                and e.conversation
                and e.loan_id == row.loan_id
                and e.recipient_id == row.recipient_id
                and (today - _local(e.at, row.recipient_tz).date()).days < quiet
            ):
                yield "a call within the quiet days after a conversation"
