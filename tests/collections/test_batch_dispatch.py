"""The day's automated texts decided set-based (collections/automated.py) as the gateway decides them one at a time."""

from __future__ import annotations

import sqlalchemy as sa

from fairlend.clock import FixedClock
from fairlend.collections import log
from fairlend.collections.automated import BATCH, Task, rounds
from fairlend.collections.judge import ContactRequest
from fairlend.collections.model import ComplaintCategory, LoanFacts, LoanState, Medium, Situation
from fairlend.collections.situation_many import Pending, read_situations
from fairlend.collections.tables import loan_hardship
from fairlend.jurisdiction.model import CeaseScope
from fairlend.money import Money
from tests.collections.conftest import World


def _borrower(world: World, n: int, dpd: int = 5) -> tuple[str, str]:
    borrower, loan = f"brw_b{n}", f"loan_b{n}"
    world.lending.add(LoanFacts(loan, borrower, LoanState.ACTIVE, "CNY", Money(10_000, "CNY"), dpd, "M1"))
    world.points.add(borrower, f"+86137000000{n:02d}")
    return borrower, loan


def _comparable(s: Situation) -> Situation:
    # The cease requests' order is the table's: neither read sorts them, and the policy does not care.
    return Situation(
        **{**{f: getattr(s, f) for f in s.__slots__}, "cease_requests": tuple(sorted(s.cease_requests, key=repr))}
    )  # type: ignore[attr-defined]


def test_a_batch_reads_every_attempts_situation_as_the_gateway_reads_it_alone(world: World) -> None:
    people = [_borrower(world, n) for n in range(7)]
    service, gateway = world.c.service, world.c.gateway
    # Each borrower stands somewhere else: contacted (sent, failed, blocked), settled, complaining,
    # asking for hardship, with a window consent, with cease requests; one is as new as can be.
    gateway.attempt(ContactRequest(people[0][1], Medium.SMS, template="reminder", collector_id="c1"))
    gateway.attempt(ContactRequest(people[0][1], Medium.CALL, collector_id="c1"))
    world.channel(Medium.SMS).failing = True
    gateway.attempt(ContactRequest(people[1][1], Medium.SMS, template="reminder", collector_id="c1"))
    world.channel(Medium.SMS).failing = False
    world.settle(people[2][1], people[2][0])
    world.c.complaints.file(people[3][0], people[3][1], ComplaintCategory.HARASSMENT, "They call all day.")
    service.consent_to_window(people[4][0], "09:00", "12:00")
    service.request_cease(people[5][0], CeaseScope.MEDIUM, medium=Medium.CALL)
    service.request_cease(people[5][0], CeaseScope.ALL, loan_id=people[5][1])
    now = world.container.clock.now()
    with world.container.engine.begin() as conn:
        conn.execute(
            sa.insert(loan_hardship).values(
                borrower_id=people[6][0],
                loan_id=people[6][1],
                state="request",
                reference="hr_1",
                since=now.date(),
                recorded_at=now,
            )
        )
    judge = gateway.judge
    with world.container.engine.connect() as conn:
        singles, framed, pending = [], [], []
        for medium, template in ((Medium.SMS, "reminder"), (Medium.CALL, None)):
            for _borrower_id, loan in people:
                request = ContactRequest(loan, medium, template=template, collector_id="c1")
                asked = judge.ask(request)
                singles.append(judge.judge(conn, request, asked, *judge.what(request), now))
                framed.append(judge.frame(conn, request, asked, *judge.what(request), now))
                assert asked.facts is not None
                pending.append(Pending(asked.facts, framed[-1].attempt, asked.open_dispute, framed[-1].debtor_keys))
        together = read_situations(conn, world.container.profile, pending)
    assert [_comparable(s) for s in together] == [_comparable(j.situation) for j in singles]
    assert together[0].history and together[2].loan_state is LoanState.SETTLED and together[3].open_complaint
    assert together[4].window_consent is not None and len(together[5].cease_requests) == 2
    assert together[6].hardship.value == "request" and together[1].history[0].sent is False  # the failed text
    # ... and the policy, given either, says the same.
    decided = [judge.decide(f, s).violations for f, s in zip(framed, together, strict=True)]
    assert decided == [j.violations for j in singles]
    assert {v.rule for j in singles for v in j.violations} >= {"P-2", "P-3", "P-6", "P-10"}


def _task(borrower: str, n: int) -> Task:
    return Task(borrower, ContactRequest(f"loan_{borrower}_{n}", Medium.SMS, task_id=f"t_{borrower}_{n}"))


def test_a_batch_holds_one_task_per_borrower_and_a_borrowers_tasks_keep_their_order() -> None:
    tasks = [_task("a", 1), _task("b", 1), _task("a", 2), _task("a", 3), _task("c", 1), _task("b", 2)]
    batches = rounds(tasks)
    assert [[t.request.task_id for t in b] for b in batches] == [
        ["t_a_1", "t_b_1", "t_c_1"],
        ["t_a_2", "t_b_2"],
        ["t_a_3"],
    ]
    many = rounds([_task(f"p{n}", 1) for n in range(BATCH + 1)])
    assert [len(b) for b in many] == [BATCH, 1]


def test_a_borrowers_second_text_of_the_day_is_decided_after_the_firsts_outcome_is_recorded(
    world: World, clock: FixedClock
) -> None:
    today = clock.business_date()
    for loan in ("two_a", "two_b"):
        world.lending.add(LoanFacts(loan, "brw_two", LoanState.ACTIVE, "CNY", Money(10_000, "CNY"), 2, "M1"))
    world.points.add("brw_two", "+8613700000077")
    _borrower(world, 1, dpd=2)
    with world.container.uow() as uow:
        world.c.planner.run(uow, today)
        uow.commit()
    counts = world.c.service.dispatch_automated(today)
    assert sum(counts.values()) == 3 and counts.get("sent", 0) >= 2
    with world.container.engine.connect() as conn:
        chain = log.chain_of(conn, world.c.sealer, "brw_two")
        assert log.verify_all(conn, world.c.sealer) == []
    # attempt, its outcome, then the second attempt (judged with the first one's outcome on record)
    assert [r.outcome.value for r in chain][:3] == ["dispatching", "sent", chain[2].outcome.value]
    assert chain[1].resolves == chain[0].id and chain[2].resolves == ""
    assert {r.loan_id for r in chain} == {"two_a", "two_b"}
