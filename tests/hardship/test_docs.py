"""docs/hardship.md's worked examples are the model's own output: a change to either shows here."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from fairlend.hardship.model import Kind
from fairlend.lending.schedule import Period, interest_for
from tests.hardship.doc_examples import loan, outcome, position_table, section, yuan
from tests.hardship.support import conservation_errors

DOC = Path(__file__).resolve().parents[2] / "docs" / "hardship.md"


def test_the_docs_loan_is_the_one_the_examples_are_computed_on() -> None:
    assert position_table(loan()) in DOC.read_text("utf-8")


@pytest.mark.parametrize("kind", list(Kind))
def test_each_kinds_worked_example_in_the_docs_is_what_the_model_computes(kind: Kind) -> None:
    text = DOC.read_text("utf-8")
    marker = f"<!-- example: {kind.value} -->\n"
    assert marker in text, f"docs/hardship.md has no example for {kind.value}"
    assert marker + section(kind) in text, (
        f"the {kind.value} example drifted: run python -m tests.hardship.doc_examples"
    )
    assert conservation_errors(loan(), outcome(kind)) == []


def test_the_numbers_the_prose_quotes_are_the_models() -> None:
    text = DOC.read_text("utf-8")
    p = loan()
    holiday = interest_for(p.principal, p.rate, Period(p.as_of, date(2026, 5, 5)), p.day_count, p.rounding)
    assert f"(¥{yuan(holiday)}) runs through the holiday" in text
    carried = p.interest_billed + p.accrued_interest + p.penalty + p.fees
    assert f"the late fee: ¥{yuan(carried)})" in text
    assert f"already billed and accrued (¥{yuan(p.interest_billed + p.accrued_interest)})" in text
    stop = outcome(Kind.INTEREST_STOP).concessions
    assert f"still have charged (¥{yuan(stop.interest_forgone)}) is forgone" in text
    settled = outcome(Kind.DISCOUNTED_SETTLEMENT).concessions
    assert f"What is forgiven (¥{yuan(settled.owed)}" in text
    assert f"¥{yuan(settled.principal)} of principal is written off" in text
