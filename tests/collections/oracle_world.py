"""Random worlds for the gateway's oracle, and the pure driver.

A world is one borrower with a loan or two, the people around them (contact
persons, third parties, the same number under several entries) and a few
weeks of events: attempts by several collectors at any hour in the
recipient's time zone, days overdue moving past the start of collection,
settlement, disputes, complaints, cease requests, consent to a wider window,
contact persons named, confirmed and revoked, a new phone number. Steps are
generated one at a time from the oracle's account of the world (so a step is
always one the services accept: no confirming someone who was never named),
and every run is reproducible from its seed: world `i` of seed `s` under a
profile draws from `random.Random(f"{s}:{profile}:{i}")`.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fairlend.collections.model import Medium
from fairlend.jurisdiction.model import Profile
from tests.collections.oracle_corpus import free_text
from tests.collections.oracle_steps import (
    DEBTOR,
    PERSON,
    THIRD_PARTY,
    Borrower,
    Cease,
    Complaint,
    Confirm,
    Consent,
    Dispute,
    Hardship,
    Loan,
    Name,
    NewNumber,
    Resend,
    Revoke,
    Settle,
    Step,
    Try,
)

ZONES = (
    "Asia/Shanghai",
    "Asia/Urumqi",
    "America/New_York",
    "America/Los_Angeles",
    "Europe/London",
    "Asia/Kolkata",
)
FIRST_DAY = datetime(2026, 1, 1, tzinfo=UTC)
COLLECTORS = ("op_1", "op_2", "agency_7", "agency_9")
CONSENTS = (
    (time(7), time(23)),
    (time(6), time(8)),
    (time(21), time(23, 30)),
    (time(0), time(23, 59)),
    (time(5, 30), time(7, 30)),  # apart from the window: 07:30-08:00 stays closed
    (time(22), time(23)),
    (time(7, 30), time(21, 30)),
)
MEDIA = (
    (Medium.CALL,) * 9 + (Medium.SMS,) * 5 + (Medium.EMAIL, Medium.EMAIL, Medium.LETTER, Medium.LETTER, Medium.VISIT)
)
DUE_OFFSETS = (-3, -1, 0, 0, 1, 2, 2, 3, 3, 3, 4, 5, 8, 15, 30, 45)


def phone(profile: Profile, world: int, k: int) -> str:
    """Number k of world `world`: numbers are never shared between worlds (valid for the profile's region)."""
    if profile.phone_region == "US":
        area = (646, 212, 917, 415, 310)[(world // 80_000) % 5]
        return f"+1{area}{200 + world % 800:03d}{(world // 800) % 100:02d}{k:02d}"
    prefix = (139, 138, 137, 136, 135, 159, 158, 188, 187, 186)[(world // 100_000) % 10]
    return f"+86{prefix}{world % 100_000:05d}{k:03d}"


def typed(e164: str, rng: random.Random) -> str:
    """The number as someone types it: E.164, national, with spaces or dashes."""
    if e164.startswith("+1"):
        n = e164[2:]
        forms = (e164, f"({n[:3]}) {n[3:6]}-{n[6:]}", n, f"1-{n[:3]}-{n[3:6]}-{n[6:]}", f"+1 {n[:3]} {n[3:6]} {n[6:]}")
    else:
        n = e164[3:]
        forms = (e164, n, f"{n[:3]} {n[3:7]} {n[7:]}", f"+86 {n[:3]}-{n[3:7]}-{n[7:]}", f"0086{n}")
    return rng.choice(forms)


@dataclass
class WorldPlan:
    profile: Profile
    seed: str
    index: int
    borrower: Borrower
    steps: Iterator[Step]
    numbers: dict[str, str] = field(default_factory=dict)  # E.164 -> "n<k>" (to describe a case)


def new_world(profile: Profile, seed: int | str, index: int, attempts: int, prefix: str = "") -> WorldPlan:
    """World `index` of `seed`: the borrower as it starts, and its steps (drawn as they are played)."""
    key = f"{seed}:{profile.code}:{index}"
    rng = random.Random(key)
    start = (FIRST_DAY + timedelta(days=rng.randrange(0, 330), hours=rng.randrange(0, 24))).replace(microsecond=0)
    local_start = start.astimezone(ZoneInfo(profile.timezone)).date()
    loans = {}
    for j in range(rng.choice((1, 1, 1, 2))):
        loan_id = f"{prefix}l{index}_{j}"
        loans[loan_id] = Loan(loan_id, local_start - timedelta(days=rng.choice(DUE_OFFSETS)), rng.random() < 0.05)
    b = Borrower(f"{prefix}b{index}", rng.choice(ZONES), phone(profile, index, 0), loans)
    plan = WorldPlan(profile, key, index, b, iter(()))
    plan.numbers = {phone(profile, index, k): f"n{k}" for k in range(60)}
    # Some debtors never pick up: only then may a contact person be reached (CN-1's "unreachable").
    answers = rng.choice((0.0, 0.0, 0.3, 0.5, 0.6))
    pace = rng.choice((1, 1, 4))  # some worlds move slowly: weeks instead of days
    plan.steps = _steps(profile, rng, b, start, attempts, index, answers, pace)
    return plan


def _steps(
    profile: Profile,
    rng: random.Random,
    b: Borrower,
    at: datetime,
    attempts: int,
    world: int,
    answers: float,
    pace: int,
) -> Iterator[Step]:
    r = profile.collections
    third_parties: list[str] = []
    ever_named: list[str] = []
    complaints: dict[str, list[str]] = {loan: [] for loan in b.loans}
    person_seq = 0
    made = 0

    def fresh(lo: int, hi: int) -> str:
        return phone(profile, world, rng.randrange(lo, hi))

    def name(at: datetime) -> Name | None:
        nonlocal person_seq
        live = [p for p in b.persons.values() if p.status != "revoked"]
        if len(live) >= 5:
            return None
        roll = rng.random()
        if roll < 0.55 or not (third_parties or ever_named):
            number = fresh(2, 8)
        elif roll < 0.8 and third_parties:
            number = rng.choice(third_parties)  # a contact person with a third party's number
        else:
            number = rng.choice(ever_named or third_parties)  # a second entry for one number
        if number == b.number or any(p.number == number for p in live):
            return None
        person_seq += 1
        ever_named.append(number)
        tz = b.tz if rng.random() < 0.5 else rng.choice(ZONES)
        return Name(at, f"p{person_seq}", number, typed(number, rng), tz, rng.random() < 0.04)

    # The people the borrower names first, a consent, a request to stop.
    for _ in range(rng.choice((0, 1, 1, 2, 3))):
        step = name(at)
        if step is not None:
            yield step
            if step.person in b.persons and rng.random() < 0.8:
                at += timedelta(minutes=rng.randrange(1, 120))
                yield Confirm(at, step.person)
    if rng.random() < 0.2:
        yield Consent(at, *rng.choice(CONSENTS))

    burst: Try | None = None  # a collector redialling one person: calls minutes apart
    burst_left, burst_connect, burst_talk = 0, 0.0, 0.0
    while made < attempts:
        if burst is not None and burst_left > 0 and (burst.who != PERSON or burst.person in b.persons):
            burst_left -= 1
            made += 1
            at += timedelta(seconds=rng.randrange(60, 1500))
            connected = rng.random() < (answers if burst.who == DEBTOR else burst_connect)
            burst = replace(burst, at=at, fail=rng.random() < 0.05, connected=connected,
                            conversation=connected and rng.random() < burst_talk)  # fmt: skip
            yield burst
            continue
        burst = None
        at = _advance(rng, at, b, r.contact_window.start, r.contact_window.end, pace)
        roll = rng.random()
        if roll < 0.80:
            made += 1
            attempt = _try(profile, rng, b, at, third_parties, world, answers)
            if attempt.medium is Medium.CALL and rng.random() < 0.3:
                burst, burst_left = attempt, rng.randrange(2, 9)
                burst_connect, burst_talk = rng.choice((0.0, 0.3, 0.8)), rng.choice((0.0, 0.0, 0.3))
            yield attempt
            continue
        roll = rng.random()
        loan = rng.choice(sorted(b.loans))
        if roll < 0.02:
            if not b.loans[loan].settled:
                yield Settle(at, loan, rng.choice(("both", "both", "both", "event", "event", "lending")))
        elif roll < 0.08:
            yield Dispute(at, loan, not b.loans[loan].dispute)
        elif roll < 0.16:
            states = complaints[loan]
            live = [i for i, s in enumerate(states) if s != "answered"]
            if live and rng.random() < 0.8:
                i = rng.choice(live)
                action = "answer" if states[i] == "acknowledged" or rng.random() < 0.6 else "acknowledge"
                states[i] = "answered" if action == "answer" else "acknowledged"
                yield Complaint(at, loan, action, i)
            else:
                states.append("open")
                yield Complaint(at, loan, "file", len(states) - 1)
        elif roll < 0.23:
            yield _cease(rng, b, at, loan, third_parties, fresh)
        elif roll < 0.29:
            yield Consent(at, *rng.choice(CONSENTS))
        elif roll < 0.47:
            step = name(at)
            if step is not None:
                yield step
        elif roll < 0.51:
            pending = sorted(p.id for p in b.persons.values() if p.status == "pending")
            if pending:
                yield Resend(at, rng.choice(pending), rng.random() < 0.04)
        elif roll < 0.71:
            pending = sorted(p.id for p in b.persons.values() if p.status == "pending")
            if pending:
                yield Confirm(at, rng.choice(pending))
        elif roll < 0.79:
            live = sorted(p.id for p in b.persons.values() if p.status != "revoked")
            if live:
                yield Revoke(at, rng.choice(live))
        elif roll < 0.83:
            # A new registered number: sometimes one a contact person of the same time zone carries (P-8).
            same_zone = sorted(p.number for p in b.persons.values() if p.tz == b.tz and p.number != b.number)
            if same_zone and rng.random() < 0.5:
                yield NewNumber(at, rng.choice(same_zone))
            else:
                yield NewNumber(at, fresh(1, 2) if b.number != phone(profile, world, 1) else phone(profile, world, 0))
        elif roll < 0.93 and not b.loans[loan].settled:
            # The borrower's hardship request and plan (P-10), as hardship moves them.
            state, pick = b.loans[loan].hardship, rng.random()
            if state == "none":
                yield Hardship(at, loan, "filed")
            elif state == "request":
                yield Hardship(at, loan, "started" if pick < 0.6 else "declined")
            else:
                yield Hardship(at, loan, "broken" if pick < 0.7 else "ended")


def _advance(rng: random.Random, at: datetime, b: Borrower, start: time, end: time, pace: int) -> datetime:
    roll = rng.random()
    if roll < 0.07:
        # Exactly on an edge of the window (or a second before it), in the debtor's time.
        zone = ZoneInfo(b.tz)
        local = at.astimezone(zone)
        edges = [start, end, *(b.consent or ())]
        edge = rng.choice(edges)
        candidate = datetime.combine(local.date(), edge, zone)
        if rng.random() < 0.4:
            candidate -= timedelta(seconds=1)
        if candidate.astimezone(UTC) <= at:
            candidate = datetime.combine(local.date() + timedelta(days=1), edge, zone)
        return candidate.astimezone(UTC)
    if roll < 0.60:
        step = timedelta(seconds=rng.randrange(30, 1800 * pace))
    elif roll < 0.88:
        step = timedelta(seconds=rng.randrange(3600, 6 * 3600 * pace))
    else:
        step = timedelta(seconds=rng.randrange(8 * 3600, 30 * 3600))
    return at + step


def _cease(
    rng: random.Random, b: Borrower, at: datetime, loan: str, third_parties: list[str], fresh: Callable[[int, int], str]
) -> Cease:
    scope = rng.choice(("all", "medium", "medium", "number", "number", "number"))
    on_loan = loan if rng.random() < 0.5 else None
    if scope == "all":
        return Cease(at, "all", on_loan)
    if scope == "medium":
        return Cease(at, "medium", on_loan, medium=rng.choice(MEDIA))
    roll = rng.random()
    persons = sorted(p.number for p in b.persons.values())
    if roll < 0.4 or not (persons or third_parties):
        number = b.number
    elif roll < 0.7 and persons:
        number = rng.choice(persons)
    elif third_parties:
        number = rng.choice(third_parties)
    else:
        number = fresh(8, 60)
    return Cease(at, "number", on_loan, number=number, typed=typed(number, rng))


def _try(
    profile: Profile,
    rng: random.Random,
    b: Borrower,
    at: datetime,
    third_parties: list[str],
    world: int,
    answers: float,
) -> Try:
    loan = rng.choice(sorted(b.loans))
    medium = rng.choice(MEDIA)
    roll = rng.random()
    persons = sorted(b.persons)
    person, number, tp_tz = "", "", None
    if roll < 0.55 or (roll < 0.77 and not persons):
        who = DEBTOR
    elif roll < 0.77:
        who, person = PERSON, rng.choice(persons)
    else:
        who = THIRD_PARTY
        pick = rng.random()
        if pick < 0.35 or not third_parties:
            number = phone(profile, world, rng.randrange(8, 60))
        elif pick < 0.55 and b.persons:
            number = b.persons[rng.choice(persons)].number  # a third party with a contact person's number
        elif pick < 0.70:
            number = b.number  # the debtor's own number entered as a third party (P-8)
        else:
            number = rng.choice(third_parties)
        if number not in third_parties and number != b.number:
            third_parties.append(number)
        if number == b.number:
            tp_tz = b.tz
        elif rng.random() < 0.6:
            tp_tz = rng.choice(ZONES)
    templates = [t.id for t in profile.collections.content.templates if t.id != "contact_consent"]
    third = [t.id for t in profile.collections.content.templates if t.purpose.value == "third_party"]
    template, text = "", None
    if rng.random() < 0.5:
        template = rng.choice(third) if who != DEBTOR and rng.random() < 0.6 else rng.choice(templates)
    else:
        text = free_text(rng)
    fail = rng.random() < 0.07
    connected = medium is Medium.CALL and rng.random() < (answers if who == DEBTOR else 0.5)
    conversation = connected and rng.random() < 0.5
    return Try(at, loan, medium, who, person, number, typed(number, rng) if number else "", tp_tz, template, text,
               rng.choice(COLLECTORS), fail, connected, conversation)  # fmt: skip
