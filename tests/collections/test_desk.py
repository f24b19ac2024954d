"""The collector's desk: 'allowed now' agrees with the gateway, outcomes, promises kept and broken, the queue."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from fairlend.clock import FixedClock
from fairlend.collections.desk import QueueFilter
from fairlend.collections.gateway import ContactRequest
from fairlend.collections.model import CallOutcome, LoanFacts, LoanState, Medium, PromiseStatus
from fairlend.errors import Conflict, DomainError, Invalid
from fairlend.lending.events import RepaymentPosted
from fairlend.money import Money
from tests.collections.conftest import BORROWER, LOAN, World


def _repay(world: World, minor: int, on: date | None = None) -> None:
    with world.container.uow() as uow:
        # Lending's own event (the market's distribution subscribes to it too): nothing of principal or
        # interest paid, so the notes are owed nothing of it; the desk reads the amount.
        zero = Money.zero("CNY")
        day = on or uow.clock.business_date()
        uow.publish(
            RepaymentPosted(LOAN, BORROWER, "rep_t", Money(minor, "CNY"), zero, zero, zero, zero, zero, 10, day)
        )
        uow.commit()


def _agree(world: World) -> int:
    """Each debtor option of the preview, attempted right after it: the same allowed-or-not and the same rules."""
    checked = 0
    for medium in (Medium.CALL, Medium.SMS, Medium.EMAIL, Medium.LETTER):
        preview = world.c.gateway.preview(LOAN)
        (option,) = [o for o in preview.options if o.medium is medium and o.recipient_kind.value == "debtor"]
        decision = world.c.gateway.attempt(ContactRequest(LOAN, medium, collector_id="op_1"))
        assert (option.allowed, option.rules) == (decision.allowed, decision.rules), medium
        checked += 1
    return checked


def test_the_preview_and_a_real_attempt_agree_by_day_at_night_and_at_the_cap(world: World, clock: FixedClock) -> None:
    assert _agree(world) == 4  # 10:00 in Shanghai
    clock.set(datetime(2026, 3, 2, 15, 0, tzinfo=UTC))  # 23:00
    assert _agree(world) == 4
    night = world.c.gateway.preview(LOAN)
    call = next(o for o in night.options if o.medium is Medium.CALL)
    assert not call.allowed and "CN-5" in call.rules and call.until is None
    assert (
        call.opens == datetime(2026, 3, 3, 8, 0, tzinfo=call.opens.tzinfo) and str(call.opens.tzinfo) == "Asia/Shanghai"
    )
    clock.set(datetime(2026, 3, 3, 2, 0, tzinfo=UTC))
    world.channel(Medium.CALL).connected = True
    for _ in range(3):
        assert world.c.gateway.attempt(ContactRequest(LOAN, Medium.CALL)).allowed
    assert _agree(world) == 4
    capped = next(o for o in world.c.gateway.preview(LOAN).options if o.medium is Medium.CALL)
    assert not capped.allowed and capped.rules == ("CN-5",)


def test_an_allowed_medium_shows_until_the_window_closes_and_the_number_masked(world: World) -> None:
    preview = world.c.gateway.preview(LOAN)
    call = next(o for o in preview.options if o.medium is Medium.CALL)
    assert call.allowed and call.masked == "+86138****5678" and "5678" in call.masked
    assert call.until is not None and (call.until.hour, call.until.minute) == (22, 0)
    assert preview.debtor_timezone == "Asia/Shanghai" and preview.debtor_local.hour == 10
    letter = next(o for o in preview.options if o.medium is Medium.LETTER)
    assert letter.until is None and letter.opens is None
    assert world.c.service.contacts_about(BORROWER) == []  # a preview records nothing


def test_a_settled_loan_previews_blocked_everywhere_with_p2(world: World) -> None:
    world.settle()
    preview = world.c.gateway.preview(LOAN)
    assert preview.options and all(not o.allowed and "P-2" in o.rules for o in preview.options)


def test_a_call_outcome_is_recorded_once_and_never_for_a_blocked_attempt_or_a_text(
    world: World, clock: FixedClock
) -> None:
    desk = world.c.desk
    call = world.c.gateway.attempt(ContactRequest(LOAN, Medium.CALL, collector_id="op_1"))
    view = desk.record_outcome(call.log_id, CallOutcome.NO_ANSWER, "rang out", "op_1")
    assert desk.outcomes_for(LOAN)[call.log_id] == view
    with pytest.raises(Conflict) as twice:
        desk.record_outcome(call.log_id, CallOutcome.ANSWERED, "", "op_1")
    sms = world.c.gateway.attempt(ContactRequest(LOAN, Medium.SMS))
    clock.set(datetime(2026, 3, 2, 15, 0, tzinfo=UTC))
    night = world.c.gateway.attempt(ContactRequest(LOAN, Medium.CALL))
    codes = []
    for log_id in (sms.log_id, night.log_id, "ctc_nope"):
        with pytest.raises(DomainError) as refused:
            desk.record_outcome(log_id, CallOutcome.ANSWERED, "", "op_1")
        codes.append(refused.value.code)
    assert (twice.value.code, codes) == ("outcome_recorded", ["not_a_call", "attempt_blocked", "attempt_not_found"])


def test_a_promise_is_kept_when_repayments_reach_the_amount_by_the_date(world: World) -> None:
    today = world.container.clock.business_date()
    made = world.c.desk.promise(LOAN, today + timedelta(days=3), Money(30_000, "CNY"), "op_1")
    _repay(world, 10_000)
    (pending,) = world.c.desk.promises_for(LOAN)
    assert pending.status is PromiseStatus.PENDING and pending.paid == Money(10_000, "CNY")
    _repay(world, 20_000, today + timedelta(days=2))
    (kept,) = world.c.desk.promises_for(LOAN)
    assert kept.id == made.id and kept.status is PromiseStatus.KEPT and kept.resolved_on == today + timedelta(days=2)
    with world.container.uow() as uow:
        assert world.c.promises.run(uow, today + timedelta(days=3)) == 0
        uow.commit()


def test_a_broken_promise_puts_the_account_back_in_the_next_days_queue(world: World) -> None:
    today = world.container.clock.business_date()
    world.c.desk.promise(LOAN, today + timedelta(days=1), Money(30_000, "CNY"), "op_1")
    _repay(world, 29_999)
    _repay(world, 5_000, today + timedelta(days=2))  # too late: counts for nothing
    with world.container.uow() as uow:
        assert world.c.promises.run(uow, today + timedelta(days=1)) == 1
        uow.commit()
    (broken,) = world.c.desk.promises_for(LOAN)
    assert broken.status is PromiseStatus.BROKEN and broken.paid == Money(29_999, "CNY")
    queue = world.c.desk.queue(today + timedelta(days=2), QueueFilter(promise="broken"))
    assert [(i.task.loan_id, i.task.step, i.promise_broken) for i in queue] == [(LOAN, "promise_broken", True)]
    with world.container.uow() as uow:
        assert world.c.promises.run(uow, today + timedelta(days=1)) == 0  # twice: nothing more


def test_a_promise_is_refused_when_one_is_pending_out_of_range_or_not_positive(world: World) -> None:
    today = world.container.clock.business_date()
    desk = world.c.desk
    codes = []
    for due, minor in ((today - timedelta(days=1), 100), (today + timedelta(days=40), 100), (today, 0)):
        with pytest.raises(Invalid) as refused:
            desk.promise(LOAN, due, Money(minor, "CNY"), "op_1")
        codes.append(refused.value.code)
    desk.promise(LOAN, today, Money(100, "CNY"), "op_1")
    with pytest.raises(Conflict) as pending:
        desk.promise(LOAN, today, Money(100, "CNY"), "op_1")
    assert [*codes, pending.value.code] == ["promise_date", "promise_date", "amount_not_positive", "promise_pending"]
    assert len(desk.promises_for(LOAN)) == 1


def test_the_queue_is_in_the_ladders_priority_and_filters_by_bucket_days_and_last_contact(world: World) -> None:
    world.lending.add(LoanFacts("loan_2", "brw_2", LoanState.ACTIVE, "CNY", Money(9_000, "CNY"), 40, "M2"))
    world.lending.add(LoanFacts("loan_3", "brw_3", LoanState.ACTIVE, "CNY", Money(90_000, "CNY"), 10, "M1"))
    today = world.container.clock.business_date()
    with world.container.uow() as uow:
        world.c.planner.run(uow, today)
        uow.commit()
    desk = world.c.desk
    order = [i.task.loan_id for i in desk.queue(today)]
    assert order.index("loan_2") < order.index("loan_3") < order.index(LOAN)  # older, then larger
    assert {i.task.loan_id for i in desk.queue(today, QueueFilter(bucket="M2"))} == {"loan_2"}
    assert {i.bucket for i in desk.queue(today, QueueFilter(max_dpd=10))} == {"M1"}
    world.c.gateway.attempt(ContactRequest(LOAN, Medium.CALL))
    assert {i.task.loan_id for i in desk.queue(today, QueueFilter(last_contact="today"))} == {LOAN}
    assert LOAN not in {i.task.loan_id for i in desk.queue(today, QueueFilter(last_contact="never"))}
    with pytest.raises(Invalid) as unknown:
        desk.queue(today, QueueFilter(bucket="M99"))
    assert unknown.value.code == "unknown_bucket"


def test_a_blocked_attempt_is_no_contact_in_the_queues_last_contact(world: World, clock: FixedClock) -> None:
    today = world.container.clock.business_date()
    with world.container.uow() as uow:
        world.c.planner.run(uow, today)
        uow.commit()
    night = clock.now().replace(hour=15)  # 23:00 in Shanghai: outside every window
    clock.set(night)
    blocked = world.c.gateway.attempt(ContactRequest(LOAN, Medium.CALL))
    assert not blocked.allowed
    desk = world.c.desk
    assert LOAN in {i.task.loan_id for i in desk.queue(today, QueueFilter(last_contact="never"))}
    assert LOAN not in {i.task.loan_id for i in desk.queue(today, QueueFilter(last_contact="today"))}
    clock.set(night.replace(hour=2))  # 10:00: the call goes
    assert world.c.gateway.attempt(ContactRequest(LOAN, Medium.CALL)).allowed
    assert LOAN in {i.task.loan_id for i in desk.queue(today, QueueFilter(last_contact="today"))}


def test_collectors_taking_promises_on_one_loan_at_the_same_moment_leave_exactly_one_pending(world: World) -> None:
    import threading

    today = world.container.clock.business_date()
    barrier = threading.Barrier(6)
    results: list[str] = []

    def take(n: int) -> None:
        barrier.wait()
        try:
            world.c.desk.promise(LOAN, today + timedelta(days=2), Money(1_000 + n, "CNY"), f"op_{n}")
            results.append("taken")
        except Conflict as refused:
            results.append(refused.code)

    threads = [threading.Thread(target=take, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["promise_pending"] * 5 + ["taken"]
    assert [p.status for p in world.c.desk.promises_for(LOAN)] == [PromiseStatus.PENDING]


def test_the_database_itself_refuses_a_second_pending_promise_for_a_loan(world: World) -> None:
    from sqlalchemy import insert
    from sqlalchemy.exc import IntegrityError

    from fairlend.collections.tables import promise_to_pay

    today = world.container.clock.business_date()
    row = {
        "borrower_id": BORROWER, "loan_id": LOAN, "made_on": today, "due_on": today, "amount_minor": 100,
        "currency": "CNY", "status": "pending", "collector_id": "op_1", "created_at": world.container.clock.now(),
    }  # fmt: skip
    with world.container.uow() as uow:
        uow.conn.execute(insert(promise_to_pay).values(id="ptp_a", **row))
        uow.conn.execute(insert(promise_to_pay).values(id="ptp_b", **{**row, "status": "broken"}))  # others may stay
        with pytest.raises(IntegrityError):
            uow.conn.execute(insert(promise_to_pay).values(id="ptp_c", **row))


def test_a_promise_names_only_a_call_about_the_same_loan(world: World) -> None:
    world.lending.add(LoanFacts("loan_2", BORROWER, LoanState.ACTIVE, "CNY", Money(9_000, "CNY"), 10, "M1"))
    call = world.c.gateway.attempt(ContactRequest("loan_2", Medium.CALL, collector_id="op_1"))
    today = world.container.clock.business_date()
    with pytest.raises(Invalid) as refused:
        world.c.desk.promise(LOAN, today, Money(100, "CNY"), "op_1", log_id=call.log_id)
    assert refused.value.code == "attempt_not_for_loan" and world.c.desk.promises_for(LOAN) == []
    made = world.c.desk.promise("loan_2", today, Money(100, "CNY"), "op_1", log_id=call.log_id)
    assert made.status is PromiseStatus.PENDING
