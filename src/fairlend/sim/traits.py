"""Pure: the market simulator's agents and their latent traits, drawn from seeded generators only.

Every agent gets its own `random.Random` seeded with a string naming the run's
seed, its kind and its index (`agent_rng`), so what one borrower does never
depends on how many draws another made, nor on the order a service returned
rows in: the same seed gives the same people, the same shocks and the same
choices. No global randomness, nothing touches storage.

The numbers are chosen so a year shows every state a book goes through
(current, late, cured, defaulted, settled, restructured), not fitted to any
real portfolio.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date, timedelta

from fairlend.sim.people import (
    AMOUNTS_USD,
    AMOUNTS_YUAN,
    REGIONS,
    Behaviour,
    SimBorrower,
    card_number,
    id_number,
    person_name,
    ssn_number,
)

# US numbers in the fictional 555 exchange: an area code per 10,000 people of one kind, so 10,000s of
# borrowers, investors and contact persons never share a number.
US_AREAS = (
    "201", "202", "203", "205", "206", "207", "208", "209", "210", "212", "213", "214", "215", "216",
    "217", "218", "219", "224", "225", "228", "229", "231", "234", "239", "240", "248", "251", "252",
)  # fmt: skip
ROLE_BASE = {"borrower": 0, "investor": 10, "contact": 20}  # cn: 139/138/137; us: the area code block
CN_PREFIX = {"borrower": "139", "investor": "138", "contact": "137"}
MAX_PEOPLE = 100_000  # of one kind, per the numbering above


def agent_rng(seed: int, kind: str, index: int) -> random.Random:
    """The generator of one agent: a string seed is hashed with SHA-512, the same in every process."""
    return random.Random(f"fairlend-sim:{seed}:{kind}:{index}")


def sim_phone(seed: int, role: str, index: int, scheme: str) -> str:
    if not 0 <= index < MAX_PEOPLE:
        raise ValueError(f"the simulator numbers at most {MAX_PEOPLE} people of a kind")
    if scheme == "us.ssn":
        area = US_AREAS[(ROLE_BASE[role] + index // 10_000) % len(US_AREAS)]
        return f"{area}555{index % 10_000:04d}"
    return f"{CN_PREFIX[role]}{seed % 100:02d}{index:06d}"


@dataclass(frozen=True, slots=True)
class BorrowerTraits:
    monthly_income: int  # in the profile's major unit
    stability: float  # 0..1: how secure the income is (drives the job-loss hazard)
    discipline: float  # 0..1: the chance an installment is paid on its due date when money is there
    job_loss_hazard: float  # per business day
    rehire_hazard: float  # per business day, once out of work
    answers_reminders: float  # 0..1: the chance a contact makes a late payer pay within days
    complains: float  # 0..1: the chance a blocked or repeated contact ends in a complaint
    disputes: float  # 0..1: the chance they dispute another lender's overdue record
    asks_hardship: float  # 0..1: the chance, once behind and out of work, they ask for a plan
    shops_around: int  # other lenders applied at on the same day (each leaves a hard inquiry)
    self_checks: bool  # fetches their own report before applying (a soft inquiry)
    uploads_certificate: bool  # proves income with a salary certificate
    names_contact: bool  # names a contact person
    prepays: bool  # settles the loan early once some installments are paid


@dataclass(frozen=True, slots=True)
class SimAgent:
    """A simulated borrower: who they are (`person`, reused from people.py), their traits and their day."""

    person: SimBorrower
    traits: BorrowerTraits
    signup_offset: int  # the business day they sign up, pass KYC and apply


@dataclass(frozen=True, slots=True)
class InvestorTraits:
    index: int
    name: str
    phone: str
    birth_date: date
    id_number: str
    card_number: str
    cash: int  # first deposit, in the profile's major unit
    auto: bool  # keeps an auto-invest rule
    trader: bool  # sells and buys notes on the secondary market


def _traits(rng: random.Random, amount: int) -> BorrowerTraits:
    stability = rng.betavariate(5, 2)
    return BorrowerTraits(
        monthly_income=max(2_000, int(rng.lognormvariate(8.9, 0.45))),
        stability=stability,
        discipline=min(0.995, rng.betavariate(12, 1.2)),
        job_loss_hazard=(1 - stability) * 0.002,  # about one in six of the least stable loses a job in a year
        rehire_hazard=0.01 + 0.03 * stability,
        answers_reminders=rng.betavariate(2, 3),
        complains=rng.betavariate(1, 12),
        disputes=rng.betavariate(1, 6),
        asks_hardship=rng.betavariate(2, 4),
        shops_around=rng.choices((0, 1, 2), weights=(70, 22, 8))[0],
        self_checks=rng.random() < 0.3,
        uploads_certificate=rng.random() < 0.25 and amount > 0,
        names_contact=rng.random() < 0.15,
        prepays=rng.random() < 0.06,
    )


def _story(index: int, traits: BorrowerTraits) -> BorrowerTraits:
    """The first two borrowers are the careless collector's cases in any run, however small: the first
    settles early (its loan is then called, P-2), the second names a contact person and falls behind."""
    if index == 0:
        return replace(traits, prepays=True, discipline=0.995, job_loss_hazard=0.0)
    if index == 1:
        return replace(traits, names_contact=True, discipline=0.0, answers_reminders=0.0, asks_hardship=0.0)
    return traits


def draw_borrowers(count: int, seed: int, start: date, days: int, scheme: str) -> list[SimAgent]:
    """`count` borrowers who sign up over the first two thirds of the run (at least one a day early on)."""
    us = scheme == "us.ssn"
    window = max(1, days * 2 // 3)
    seen: set[str] = set()
    agents: list[SimAgent] = []
    for i in range(count):
        rng = agent_rng(seed, "borrower", i)
        born = start - timedelta(days=365 * 22 + rng.randrange(0, 365 * 35))
        number = ""
        while not number or number in seen:  # one person, one ID number
            number = (
                ssn_number(rng) if us else id_number(rng.choice(REGIONS), born, rng.randrange(500))
            )  # investors: 500+
            born = born - timedelta(days=1) if number in seen else born
        seen.add(number)
        amount = rng.choice(AMOUNTS_USD if us else AMOUNTS_YUAN)
        person = SimBorrower(
            index=i,
            name=person_name(rng, scheme),
            phone=sim_phone(seed, "borrower", i, scheme),
            birth_date=born,
            id_number=number,
            card_number=card_number(seed % 1000 * 1_000_000 + i + 1),
            amount_yuan=amount,
            term=rng.choice((3, 6, 12, 12)),
            open_offset=0,
            behaviour=Behaviour.ON_TIME,  # unused: the agent decides each day from its traits
        )
        agents.append(SimAgent(person, _story(i, _traits(rng, amount)), i * window // max(1, count)))
    return agents


def draw_investors(count: int, seed: int, scheme: str) -> list[InvestorTraits]:
    """Investors: most keep an auto-invest rule, the rest pick by hand; one in five also trades notes."""
    us = scheme == "us.ssn"
    made: list[InvestorTraits] = []
    for n in range(count):
        rng = agent_rng(seed, "investor", n)
        born = date(1955 + rng.randrange(35), 1 + rng.randrange(12), 1 + rng.randrange(28))
        made.append(
            InvestorTraits(
                index=n,
                name=person_name(rng, scheme),
                phone=sim_phone(seed, "investor", n, scheme),
                birth_date=born,
                id_number=ssn_number(rng) if us else id_number("110105", born, 500 + n % 500),
                card_number=card_number(seed % 1000 * 1_000_000 + 900_000 + n),
                cash=int(rng.choice((20, 40, 60, 100, 150, 250))) * 1_000,
                # The first two trade in any run, however small, so the market has sellers and buyers: the
                # first picks by hand, the second keeps a rule (the demo shows both kinds).
                auto=n == 1 or (n > 1 and rng.random() < 0.7),
                trader=n < 2 or rng.random() < 0.2,
            )
        )
    return made
