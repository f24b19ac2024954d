"""A repayment's change written into the stored answer (lending/answer_patch.py) instead of a new render."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.lending import stored_answers
from fairlend.lending.answer_json import loan_json
from fairlend.lending.model import Product
from fairlend.lending.tables import loan_answer
from fairlend.money import Money
from tests.lending.helpers import cny


def _body(container: Container, loan_id: str) -> bytes:
    with container.uow(read_only=True) as uow:
        return bytes(uow.conn.execute(select(loan_answer.c.body).where(loan_answer.c.loan_id == loan_id)).scalar_one())


def _rendered(container: Container, loan_id: str) -> bytes:
    """What a full render of the loan's rows stores (the rebuild), without changing what is stored."""
    with container.uow() as uow:
        stored_answers.write_answers(uow, [(container.lending.loan_facts(loan_id).borrower_id, loan_id)])
        body = uow.conn.execute(select(loan_answer.c.body).where(loan_answer.c.loan_id == loan_id)).scalar_one()
        uow.rollback()
    return bytes(body)


@pytest.fixture
def patched(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Each stored answer a repayment rewrote from its patch (True) or found unlike what it expected (False)."""
    seen: list[bool] = []
    original = stored_answers.repaid

    def counted(stored: bytes, patch: Any) -> bytes | None:
        body = original(stored, patch)
        seen.append(body is not None)
        return body

    monkeypatch.setattr(stored_answers, "repaid", counted)
    return seen


def test_repayments_rewrite_the_stored_answer_byte_for_byte_as_a_full_render_would(
    container: Container, clock: FixedClock, cash12: Product, patched: list[bool]
) -> None:
    today = clock.business_date()
    loan_id = container.lending.book_loan(
        "brw_1", "cash-12", cny("10000"), open_date=today - timedelta(days=30), first_due_date=today
    )
    due = container.lending.loan_facts(loan_id).next_due_amount
    for amount in (cny("100"), Money(due.minor - 10_000, "CNY")):  # a part of the payment, then the rest of it
        container.lending.repay(loan_id, amount)
        assert _body(container, loan_id) == _rendered(container, loan_id)
        assert container.lending.loan_answer(loan_id).body == loan_json(container.lending.loan_detail(loan_id))
    assert patched == [True, True]
    assert container.lending.loan_facts(loan_id).next_due_date != today  # the first payment was paid off


def test_an_overdue_loans_repayment_is_patched_too_and_its_status_moves_on_read(
    container: Container, clock: FixedClock, cash12: Product, patched: list[bool]
) -> None:
    today = clock.business_date()
    loan_id = container.lending.book_loan(
        "brw_1", "cash-12", cny("10000"), open_date=today - timedelta(days=30), first_due_date=today
    )
    clock.set_business_date(today + timedelta(days=cash12.grace_days + 2))  # overdue, no end-of-day write
    container.lending.repay(loan_id, cny("50"))
    assert patched == [True]
    assert _body(container, loan_id) == _rendered(container, loan_id)
    served = container.lending.loan_answer(loan_id).body
    assert served == loan_json(container.lending.loan_detail(loan_id)) and b'"status":"overdue"' in served


def test_a_prepayment_that_reschedules_or_settles_is_rendered_in_full(
    container: Container, clock: FixedClock, cash12: Product, patched: list[bool]
) -> None:
    today = clock.business_date()
    loan_id = container.lending.book_loan(
        "brw_1", "cash-12", cny("10000"), open_date=today - timedelta(days=30), first_due_date=today
    )
    container.lending.repay(loan_id, cny("3000"))  # beyond what is due: prepays and rebuilds the schedule
    assert _body(container, loan_id) == _rendered(container, loan_id)
    container.lending.settle_early(loan_id)
    assert _body(container, loan_id) == _rendered(container, loan_id)
    assert patched == []  # neither took the patch


def test_a_stored_answer_end_of_day_made_stale_is_rendered_in_full(
    container: Container, clock: FixedClock, cash12: Product, patched: list[bool]
) -> None:
    loan_id = container.lending.book_loan("brw_1", "cash-12", cny("10000"))
    first_due = container.lending.loan_detail(loan_id).schedule[0].due_date
    container.eod.run(through=first_due)  # bills the first installment: the stored pieces are out of date
    container.lending.repay(loan_id, cny("10"))
    assert patched == [False]  # the patch saw the stored fingerprint differ and left it to a full render
    assert _body(container, loan_id) == _rendered(container, loan_id)
    assert container.lending.loan_answer(loan_id).body == loan_json(container.lending.loan_detail(loan_id))
