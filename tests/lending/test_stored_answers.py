"""Each loan's stored answer equals the answer rendered from its rows, after every kind of change.

A seeded sequence of operations over a few loans (disbursement, an imported loan, repayments small and
large, a repayment file, end-of-day, a hardship modification and its release, early settlement,
charge-off, a recovery, write-off), checked after each step on SQLite and PostgreSQL: the answer
`loan_answer` gives (what `GET /loans/{id}` serves) is byte for byte the loan's detail rendered now,
and after a change, or an end-of-day that changed none of its installments, it is the stored one
filled in, not one rendered on the spot.
"""

from __future__ import annotations

import io
import random
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.errors import DomainError
from fairlend.lending import stored_answers
from fairlend.lending.answer_json import loan_json
from fairlend.lending.model import LoanState, Product
from fairlend.lending.stored_answers import stored_answer
from fairlend.lending.tables import loan, loan_answer
from fairlend.lending.views import PastRepayment
from fairlend.money import Money
from tests.lending.conftest import product
from tests.lending.helpers import cny, two_month_plan

CHANGES = ("book", "import", "repay", "repay_big", "file", "eod", "modify", "release", "settle", "charge_off",
           "recover", "write_off", "rebuild")  # fmt: skip
# How often each is drawn: mostly what a loan's life is made of, now and then its end.
STEPS = 50
WEIGHTS = (2, 1, 6, 1, 3, 2, 2, 2, 1, 1, 2, 1, 1)


def _fresh(container: Container, loan_id: str) -> bytes:
    return loan_json(container.lending.loan_detail(loan_id))


def _stored(container: Container, loan_id: str) -> bytes | None:
    """The stored answer as the read model serves it (filled in for today), None where it is not served."""
    with container.uow(read_only=True) as uow:
        answer = stored_answer(uow, loan_id)
    return None if answer is None else answer.body


def _kept(container: Container, loan_id: str) -> bool:
    with container.uow(read_only=True) as uow:
        return (
            uow.conn.execute(select(loan_answer.c.loan_id).where(loan_answer.c.loan_id == loan_id)).first() is not None
        )


class World:
    def __init__(self, container: Container, clock: FixedClock, rng: random.Random) -> None:
        self.c, self.clock, self.rng = container, clock, rng
        self.loans: list[str] = []
        self.done: dict[str, int] = dict.fromkeys(CHANGES, 0)
        self.n = 0

    def state(self, loan_id: str) -> str:
        return self.c.lending.loan_facts(loan_id).state.value

    def some(self, *states: LoanState) -> str | None:
        found = [ln for ln in self.loans if self.state(ln) in {s.value for s in states}]
        return self.rng.choice(found) if found else None

    def step(self) -> tuple[str, str | None]:
        """One random change; (what, the loan it changed, or None for a change of the whole book)."""
        rng, lending = self.rng, self.c.lending
        self.n += 1
        kind = rng.choices(CHANGES, WEIGHTS)[0] if self.loans else "book"
        active = self.some(LoanState.ACTIVE)
        if kind == "book" or (active is None and kind in ("repay", "repay_big", "file", "modify", "settle")):
            amount = cny(str(rng.choice((3000, 10000, 24000))))
            loan_id = lending.book_loan(f"brw_{self.n % 3}", "cash-12", amount)
            self.loans.append(loan_id)
            self.done["book"] += 1
            return "book", loan_id
        if kind == "import":
            today = self.clock.business_date()
            opened = today - timedelta(days=rng.choice((40, 75, 100)))
            paid = [PastRepayment(opened + timedelta(days=31), cny("500"))] if rng.random() < 0.5 else []
            loan_id = lending.book_loan(f"brw_{self.n % 3}", "cash-12", cny("12000"), open_date=opened, repayments=paid)
            self.loans.append(loan_id)
            self.done["import"] += 1
            return kind, loan_id
        if kind == "eod":
            self.c.eod.run()
            self.done["eod"] += 1
            return kind, None
        if kind == "rebuild":
            lending.rebuild_answers(batch=2)
            self.done["rebuild"] += 1
            return kind, None
        if kind in ("repay", "repay_big", "file", "modify", "settle", "charge_off") and active is not None:
            return self._on_active(kind, active)
        if kind == "release":
            with self.c.uow(read_only=True) as uow:
                held = list(uow.conn.execute(select(loan.c.id).where(loan.c.delinquency_held)).scalars())
            if held:
                with self.c.uow() as uow:
                    lending.release_delinquency_in(uow, held[0], reaged=rng.random() < 0.5)
                    uow.commit()
                self.done["release"] += 1
                return kind, held[0]
        if kind == "recover":
            closed = self.some(LoanState.CHARGED_OFF)
            if closed is not None:
                lending.repay(closed, cny(str(rng.choice((100, 700)))))
                self.done["recover"] += 1
                return kind, closed
        if kind == "write_off":
            closed = self.some(LoanState.CHARGED_OFF, LoanState.ACTIVE)
            if closed is not None:
                try:
                    lending.write_off(closed)
                except DomainError as exc:
                    assert exc.code == "nothing_owed"
                    return "nothing", None
                self.done["write_off"] += 1
                return kind, closed
        return "nothing", None

    def _on_active(self, kind: str, loan_id: str) -> tuple[str, str | None]:
        lending, rng = self.c.lending, self.rng
        if kind == "repay":
            lending.repay(loan_id, cny(str(rng.choice((1, 300, 917)))))
        elif kind == "repay_big":
            lending.repay(loan_id, cny("30000"))  # settles it; the excess is refunded
        elif kind == "file":
            today = self.clock.business_date().isoformat()
            data = f"loan_reference,amount,value_date,external_reference\n{loan_id},250.00,{today},PSP-{self.n}\n"
            lending.files.import_file(io.BytesIO(data.encode()), name=f"f{self.n}.csv", imported_by="op")
        elif kind == "modify":
            position = lending.position(loan_id)
            if position.principal < 2 or position.schedule_version > 1:
                return "nothing", None
            with self.c.uow() as uow:
                lending.modify_in(uow, two_month_plan(position))
                uow.commit()
        elif kind == "settle":
            lending.settle_early(loan_id)
        elif kind == "charge_off":
            lending.charge_off(loan_id)
        self.done[kind] += 1
        return kind, loan_id


def _days_pass(world: World) -> None:
    """End-of-day through a random few days, so installments fall due and go overdue."""
    through = world.clock.business_date() + timedelta(days=world.rng.choice((0, 9, 31)))
    world.c.eod.run(through=through)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_stored_answer_is_the_loans_answer_after_every_kind_of_change(
    container: Container, clock: FixedClock, cash12: Product, seed: int
) -> None:
    world = World(container, clock, random.Random(seed))
    stored_after_change = served_after_eod = 0
    for _ in range(STEPS):
        kind, changed = world.step()
        if world.rng.random() < 0.25:
            _days_pass(world)
            kind, changed = "eod", None
        for loan_id in world.loans:
            answer = container.lending.loan_answer(loan_id)
            assert answer.body == _fresh(container, loan_id), (seed, kind, loan_id)
            assert answer.borrower_id == container.lending.loan_facts(loan_id).borrower_id
            stored = _stored(container, loan_id)
            if loan_id == changed or kind == "rebuild":
                # Served from the read model, not rendered on the spot.
                assert stored == answer.body, (seed, kind, loan_id)
                stored_after_change += 1
            elif kind == "eod" and stored is not None:
                # The date moved and end-of-day wrote the row, not the answer: served filled in, and the
                # same as the answer rendered now (asserted above).
                assert stored == answer.body, (seed, kind, loan_id)
                served_after_eod += 1
    # Not vacuous: the common changes happened, and their answers were the stored ones (every kind, over
    # the seeds: the next test).
    assert all(world.done[k] for k in ("book", "repay", "file", "eod")), world.done
    assert stored_after_change >= 30
    assert served_after_eod >= 10  # end-of-day did not just stop the read model serving
    assert container.verify() == []


@pytest.mark.backends("sqlite")  # which changes a seed draws does not depend on the database
def test_every_kind_of_change_is_covered_over_the_seeds(
    container: Container, clock: FixedClock, cash12: Product
) -> None:
    """The three seeds above between them make every kind of change (the property's reach, not luck)."""
    total = dict.fromkeys(CHANGES, 0)
    for seed in (1, 2, 3):
        world = World(container, clock, random.Random(seed))
        for _ in range(STEPS):
            world.step()
            if world.rng.random() < 0.25:
                _days_pass(world)
        for k, n in world.done.items():
            total[k] += n
    assert all(total.values()), total


def test_after_end_of_day_the_stored_answer_shows_the_new_days_overdue_and_status(
    container: Container, clock: FixedClock
) -> None:
    # Without a late fee: one changes the installment's fee, and the answer is then rendered on the spot
    # (the test after next).
    cash12 = container.lending.products.define(product(code="cash-12-nofee", late_fee=0, grace_days=2))
    today = clock.business_date()
    loan_id = container.lending.book_loan(
        "brw_1", cash12.code, cny("10000"), open_date=today - timedelta(days=30), first_due_date=today
    )
    before = _stored(container, loan_id)
    assert before is not None and b'"status":"due"' in before and b'"days_past_due":0' in before
    # End-of-day through the grace days and past them: no write to the loan by any use case, so the
    # stored answer is the one its booking stored; the served one is filled in from the row and the date.
    container.eod.run(through=today + timedelta(days=cash12.grace_days + 3))
    served = container.lending.loan_answer(loan_id).body
    assert served == _fresh(container, loan_id) == _stored(container, loan_id)
    assert b'"status":"overdue"' in served and b'"days_past_due":0' not in served and served != before
    assert container.lending.loan_facts(loan_id).days_past_due > 0


def test_an_answer_is_filled_in_for_a_date_moved_without_end_of_day(
    container: Container, clock: FixedClock, cash12: Product
) -> None:
    today = clock.business_date()
    loan_id = container.lending.book_loan(
        "brw_1", "cash-12", cny("10000"), open_date=today - timedelta(days=30), first_due_date=today
    )
    before = _stored(container, loan_id)
    assert before is not None and b'"status":"due"' in before
    # A server's clock re-reading the stored date: the installment due yesterday is overdue today.
    clock.set_business_date(today + timedelta(days=cash12.grace_days + 1))
    served = container.lending.loan_answer(loan_id).body
    assert served == _fresh(container, loan_id) == _stored(container, loan_id)
    assert b'"status":"overdue"' in served


def test_an_answer_whose_installment_end_of_day_changed_is_rendered_on_the_spot(
    container: Container, clock: FixedClock, cash12: Product
) -> None:
    loan_id = container.lending.book_loan("brw_1", "cash-12", cny("10000"))
    assert _stored(container, loan_id) is not None
    first_due = container.lending.loan_detail(loan_id).schedule[0].due_date
    container.eod.run(through=first_due)  # bills the first installment: its interest, the loan's next due day
    assert _kept(container, loan_id) and _stored(container, loan_id) is None
    assert container.lending.loan_answer(loan_id).body == _fresh(container, loan_id)
    assert container.lending.rebuild_answers() >= 1
    assert _stored(container, loan_id) == _fresh(container, loan_id)


def test_a_change_that_rolls_back_leaves_the_stored_answer_as_it_was(
    container: Container, clock: FixedClock, cash12: Product
) -> None:
    loan_id = container.lending.book_loan("brw_1", "cash-12", cny("10000"))
    before = _stored(container, loan_id)
    with pytest.raises(DomainError) as refused:
        container.lending.repay(loan_id, Money(100, "USD"))
    assert refused.value.code == "currency_mismatch"
    assert _stored(container, loan_id) == before == _fresh(container, loan_id)


def test_the_rebuild_stores_every_loans_answer_and_counts_its_rewrites(
    container: Container, clock: FixedClock, cash12: Product
) -> None:
    made = [container.lending.book_loan(f"brw_{k}", "cash-12", cny("10000")) for k in range(5)]
    with container.uow() as uow:
        uow.conn.execute(loan_answer.delete())
        uow.commit()
    container.eod.run()
    assert container.lending.rebuild_answers(batch=2) == 5
    assert [_stored(container, ln) for ln in made] == [_fresh(container, ln) for ln in made]
    container.lending.rebuild_answers(batch=10)
    with container.uow(read_only=True) as uow:
        versions = uow.conn.execute(select(func.min(loan_answer.c.version), func.max(loan_answer.c.version))).one()
    assert tuple(versions) == (2, 2)


def test_answers_are_written_a_chunk_at_a_time_with_none_lost_or_repeated_at_the_chunk_edges(
    container: Container, clock: FixedClock, cash12: Product, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A file touching 100,000 loans bound 200,000 parameters in one read, past PostgreSQL's 65,535.
    monkeypatch.setattr(stored_answers, "ANSWER_CHUNK", 3)
    made = [container.lending.book_loan(f"brw_{k}", "cash-12", cny("10000")) for k in range(7)]
    with container.uow() as uow:
        uow.conn.execute(loan_answer.delete())
        keys = [(f"brw_{k}", loan_id) for k, loan_id in enumerate(made)]
        assert stored_answers.write_answers(uow, keys + keys[:1]) == 7  # a key given twice is written once
        uow.commit()
    assert [_stored(container, ln) for ln in made] == [_fresh(container, ln) for ln in made]


def test_a_file_touching_more_loans_than_are_rendered_at_commit_leaves_none_stale(
    container: Container, clock: FixedClock, cash12: Product, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Rendering 100,000 answers at a file's commit cost more than the file itself: past the limit
    # they are removed, and each loan is rendered on the spot until its next change or a rebuild.
    monkeypatch.setattr(stored_answers, "RENDER_AT_COMMIT", 2)
    made = [container.lending.book_loan(f"brw_{k}", "cash-12", cny("10000")) for k in range(4)]
    before = [_stored(container, ln) for ln in made]
    assert all(before)
    today = clock.business_date().isoformat()
    lines = "".join(f"{ln},250.00,{today},PSP-{k}\n" for k, ln in enumerate(made[:3]))
    data = "loan_reference,amount,value_date,external_reference\n" + lines
    container.lending.files.import_file(io.BytesIO(data.encode()), name="big.csv", imported_by="op")
    assert [_kept(container, ln) for ln in made] == [False, False, False, True]
    answers = [container.lending.loan_answer(ln).body for ln in made]
    assert answers == [_fresh(container, ln) for ln in made]
    assert answers[:3] != before[:3] and answers[3] == before[3]
    assert container.lending.rebuild_answers() == 4
    assert [_stored(container, ln) for ln in made] == answers


def test_a_file_within_the_limit_stores_each_loans_new_answer_at_commit(
    container: Container, clock: FixedClock, cash12: Product
) -> None:
    made = [container.lending.book_loan(f"brw_{k}", "cash-12", cny("10000")) for k in range(3)]
    today = clock.business_date().isoformat()
    lines = "".join(f"{ln},250.00,{today},PSP-{k}\n" for k, ln in enumerate(made))
    data = "loan_reference,amount,value_date,external_reference\n" + lines
    container.lending.files.import_file(io.BytesIO(data.encode()), name="small.csv", imported_by="op")
    assert [_stored(container, ln) for ln in made] == [_fresh(container, ln) for ln in made]
