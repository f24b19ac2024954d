"""`simulate`: a lending market run one business day at a time, through the contexts' services only.

Operators are created (an underwriter, compliance, three collectors and a
careless one), other lenders register at the bureau, investors sign up and
deposit (under `us`); then for each business day from `start` (the
container's business date minus `days`): borrowers whose day it is sign up
and apply, jobs are lost and found, what falls due is paid or not, late
payers catch up, the lender charges off, hardship requests are answered,
investors trade on market days, other lenders report at month's end,
collectors work the queue — and then the platform's end-of-day
(`eod.run_day`) closes the date. The agents are in borrowers.py,
investors.py, lenders.py, collectors.py and plans.py; their traits in
traits.py. At the end the summary (summary.py) reads the book back through
the services.

Needs an empty database, the development message sender (people sign up with
its codes) and a clock that can be set (each day is 10:00 local; the careless
collector's night call at 23:30).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from fairlend.bootstrap import Container
from fairlend.errors import Conflict
from fairlend.identity.model import Role
from fairlend.identity.ports import DevMessageSender
from fairlend.sim.borrowers import Borrowers
from fairlend.sim.collectors import CARELESS, COLLECTORS, Collectors
from fairlend.sim.investors import Investors
from fairlend.sim.lenders import OtherLenders
from fairlend.sim.plans import PlanDesk
from fairlend.sim.summary import summarise
from fairlend.sim.timing import Timer
from fairlend.sim.traits import MAX_PEOPLE, draw_borrowers, draw_investors
from fairlend.sim.world import SimReport, World

Progress = Callable[[str, int, int], None]
# Who creates the operators the agents act as (world.ops, by the usernames below): the simulator's own
# `sim-<username>` logins by default; the demo passes its own so that its printed logins are the docs'.
MakeOperators = Callable[[World], None]


@dataclass(frozen=True, slots=True)
class SimConfig:
    borrowers: int = 200
    investors: int = 20
    days: int = 90
    seed: int = 7


def operator_roles() -> dict[str, Role]:
    """The operators every run needs, by the username the agents find them under in `world.ops`."""
    roles = {"admin": Role.ADMIN, "underwriter": Role.UNDERWRITER, "compliance": Role.COMPLIANCE}
    return roles | dict.fromkeys((*COLLECTORS, CARELESS), Role.COLLECTOR)


def operators(world: World) -> None:
    for username, role in operator_roles().items():
        made = world.identity.accounts.create_operator(f"sim-{username}", f"sim-{username}-password", role)
        world.ops[username] = made.operator.operator_id


def simulate(
    container: Container,
    config: SimConfig,
    *,
    progress: Progress | None = None,
    timer: Timer | None = None,
    make_operators: MakeOperators = operators,
) -> SimReport:
    if not 1 <= config.borrowers <= MAX_PEOPLE or not 0 <= config.investors <= MAX_PEOPLE or config.days < 1:
        raise Conflict("sim_size_invalid", f"1 to {MAX_PEOPLE} borrowers, 0 to {MAX_PEOPLE} investors, 1 day or more")
    if container.identity.accounts.has_people():
        raise Conflict("demo_database_not_empty", "the database already holds people; the simulator needs an empty one")
    sender = container.identity.sender
    if not isinstance(sender, DevMessageSender):
        raise Conflict("demo_needs_dev_sender", "the simulator signs people up with the development message sender")
    end = container.eod.business_date()
    start = end - timedelta(days=config.days)
    report = SimReport(start=start, end=end, seed=config.seed, borrowers=config.borrowers)
    world = World(container, report, timer or Timer())
    tick = progress or (lambda _stage, _done, _total: None)
    world.move_to(start)

    make_operators(world)
    lenders = OtherLenders(world)
    lenders.register()
    investors = Investors(world, draw_investors(config.investors, config.seed, world.scheme), config.seed)
    investors.enrol(sender)
    plans = PlanDesk(world)
    agents = draw_borrowers(config.borrowers, config.seed, start, config.days, world.scheme)
    people = Borrowers(world, sender, agents, config.seed, lenders=lenders, investors=investors, plans=plans)
    collectors = Collectors(world)

    for offset in range(config.days):
        today = start + timedelta(days=offset)
        world.move_to(today)
        people.sign_ups(offset, today)
        people.shocks()
        people.repay(today)
        people.catch_up(today)
        people.charge_offs()
        plans.day(today)
        investors.trade(offset, world.order)
        lenders.month_end(today)
        open_loans = {
            loan: (a.person_id, a.contact_person_id, a.sim.traits.complains) for loan, a in people.by_loan.items()
        }
        collectors.day(offset, today, open_loans, people.settled)
        world.eod.run_day(today)
        report.eod_days += 1
        tick("days", offset + 1, config.days)
    summarise(world, investors, report.loans)
    return report
