"""`seed_market_demo`: the demo as a simulated market, plus the scenes the simulator cannot produce.

`fairlend serve --demo` and `fairlend demo` fill an empty database with a
small run of the market simulator (sim/simulate.py) under the profile
chosen: borrowers with latent traits who sign up, apply, pay, fall behind,
cure or default; under `us` investors, some investing by hand and some by
auto-invest rule, two of whom trade notes on the market days; other lenders
at the bureau, hardship plans, collectors and the careless one. What a
person clicking through needs and the agents do not make is scripted around
the run, through the services as well:

- the operators are the docs' logins (`admin`, `underwriter`, `collector`,
  `compliance`, `finance`, password `demo-<username>-password`, TOTP secret
  printed), not the simulator's `sim-…` ones; the finance officer, whom no
  agent needs, is added for the books and the analytics page;
- the first borrower settles early and the careless collector calls about
  that loan (P-2, blocked); afterwards that borrower files the complaint in
  their own words with a call-log screenshot, which the compliance officer
  views in clear (audit-logged) and acknowledges (sim/episodes.py).

The size is small enough to seed in well under a minute on SQLite
(`DEMO_SIZE`); the same seed and end date give the same book.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fairlend.bootstrap import Container
from fairlend.identity.model import Role
from fairlend.money import Money
from fairlend.sim import episodes
from fairlend.sim.demo import dev_password
from fairlend.sim.episodes import Enrolled
from fairlend.sim.market import DemoInvestor
from fairlend.sim.people import SimBorrower
from fairlend.sim.report import OperatorLogin
from fairlend.sim.simulate import Progress, SimConfig, operator_roles, simulate
from fairlend.sim.timing import Timer
from fairlend.sim.traits import draw_borrowers, draw_investors
from fairlend.sim.world import SimReport, World

# `serve --demo`'s market: two market days (30 and 60) and loans old enough to fall 30+ days behind.
DEMO_SIZE = SimConfig(borrowers=30, investors=10, days=65, seed=7)
# Operators no agent acts as, whom a person looking around still needs.
EXTRA_OPERATORS: tuple[tuple[str, Role], ...] = (("finance", Role.FINANCE),)


@dataclass(frozen=True, slots=True)
class MarketBorrower:
    """One simulated borrower as the demo prints them: how to log in and what became of their loan."""

    person_id: str
    phone: str
    name: str
    loan_id: str  # "" when no loan was booked (declined, or the listing never funded)
    state: str  # the loan's state at the end ("none" without one)
    days_past_due: int
    outstanding: Money | None


@dataclass
class MarketDemo:
    sim: SimReport
    operators: list[OperatorLogin] = field(default_factory=list)
    borrowers: list[MarketBorrower] = field(default_factory=list)
    investors: list[DemoInvestor] = field(default_factory=list)
    settled_borrower_id: str = ""  # the first borrower: repaid early, then still called (P-2)
    settled_loan_id: str = ""
    blocked_rules: tuple[str, ...] = ()  # what the gateway said to the call about the settled loan
    complaint_id: str = ""


def seed_market_demo(
    container: Container, config: SimConfig = DEMO_SIZE, *, progress: Progress | None = None
) -> MarketDemo:
    """Simulate `config` on an empty database with the docs' operator logins, then the scripted complaint."""
    logins: list[OperatorLogin] = []

    def make_operators(world: World) -> None:
        for username, role in (operator_roles() | dict(EXTRA_OPERATORS)).items():
            made = world.identity.accounts.create_operator(username, dev_password(username), role)
            world.ops[username] = made.operator.operator_id
            logins.append(OperatorLogin(username, role.value, dev_password(username), made.totp_secret))

    report = simulate(container, config, progress=progress, timer=Timer(), make_operators=make_operators)
    demo = MarketDemo(sim=report, operators=logins)
    scheme = container.profile.id_number_scheme
    # The same draws the run made: people sign up in their index order, so the ids line up with them.
    people = [a.person for a in draw_borrowers(config.borrowers, config.seed, report.start, config.days, scheme)]
    for person, person_id in zip(people, report.borrower_ids, strict=False):
        loans = container.lending.loans_of_borrower(person_id)
        facts = loans[0] if loans else None
        demo.borrowers.append(
            MarketBorrower(
                person_id=person_id,
                phone=person.phone,
                name=person.name,
                loan_id=facts.loan_id if facts else "",
                state=facts.state.value if facts else "none",
                days_past_due=facts.days_past_due if facts else 0,
                outstanding=facts.outstanding_principal if facts else None,
            )
        )
    currency = container.profile.currency
    for t, person_id in zip(draw_investors(config.investors, config.seed, scheme), report.investor_ids, strict=False):
        demo.investors.append(DemoInvestor(person_id, t.phone, t.name, Money.of(t.cash, currency), t.auto))
    if people:
        _motivating_case(container, people[0], demo)
    return demo


def _motivating_case(container: Container, first: SimBorrower, demo: MarketDemo) -> None:
    """The first borrower settled early and was still called (P-2): their complaint, in their own words."""
    if not demo.borrowers:
        return
    mine = demo.borrowers[0]
    called = [a for a in demo.sim.careless if a.kind == "settled_loan" and a.loan_id == mine.loan_id]
    if not called:
        return  # a run too short for the first borrower to settle and be called
    demo.settled_borrower_id, demo.settled_loan_id, demo.blocked_rules = mine.person_id, mine.loan_id, called[0].rules
    officer = next(o.operator_id for o in container.identity.accounts.operators() if o.username == "compliance")
    demo.complaint_id = episodes.complain(container, Enrolled(first, mine.person_id), mine.loan_id, officer)
    demo.sim.complaints["filed"] += 1
