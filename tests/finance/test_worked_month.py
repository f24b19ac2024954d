"""docs/finance.md's worked month, to the fen: the code still gives the figures the guide shows."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.finance.model import parse_month
from fairlend.money import Money
from tests.lending.conftest import BASE

pytestmark = pytest.mark.backends("sqlite")

# profile -> the November figures of docs/finance.md's table, in minor units.
NOVEMBER = {
    "cn": {
        "income": {"interest_income": 25_364, "fee_income": 5_000, "penalty_income": 2_271, "provision_expense": -391},
        "net": 33_026,
        "allowance": -29_681,
        "loans": {"B": ("special_mention", 2_000_000, 1_054_943, 21_099), "A": ("normal", 1_000_000, 858_172, 8_582)},
    },
    "us": {
        "income": {
            "interest_income": 25_364,
            "fee_income": 5_000,
            "penalty_income": 2_271,
            "provision_expense": -53_878,
        },
        "net": 86_513,
        "allowance": -370_546,
        "loans": {"B": ("stage_2", 19_368_720, 1_054_943, 204_329), "A": ("stage_1", 19_368_720, 858_172, 166_217)},
    },
}


def test_the_worked_month_in_the_guide_is_what_the_code_computes(profiled: Container, clock: FixedClock) -> None:
    c = profiled
    clock.set(datetime(2026, 9, 1, 2, tzinfo=UTC))
    clock.set_business_date(date(2026, 9, 1))
    cur = c.profile.currency
    c.lending.products.define(replace(BASE, currency=cur))
    loans = {
        "A": c.lending.book_loan("brw_a", BASE.code, Money.of("10000", cur), grade="E5"),  # pays on time
        "B": c.lending.book_loan("brw_b", BASE.code, Money.of("10000", cur), grade="E5"),  # never pays
    }
    day = date(2026, 9, 1)
    while day <= date(2026, 11, 30):
        facts = c.lending.loan_facts(loans["A"])
        assert facts is not None
        if facts.next_due_date == day:
            c.lending.repay(loans["A"], facts.next_due_amount)
        c.eod.run_day(day)
        day += timedelta(days=1)
    for month in ("2026-09", "2026-10", "2026-11"):
        c.finance.closing.close(month, "op_x")
    want = NOVEMBER[c.profile.code]
    (november,) = c.finance.statements.for_period(parse_month("2026-11"), cur)
    income = {f.code: f.amount for f in (*november.income.income, *november.income.expenses) if f.amount}
    assert income == want["income"] and november.income.net_income == want["net"]
    assert [f.amount for f in november.balance_sheet.assets if f.code == "allowance"] == [want["allowance"]]
    by_loan = {p.loan_id: p for p in c.finance.loan_provisions(date(2026, 11, 30))}
    for name, (class_code, rate_e8, ead, ecl) in want["loans"].items():
        p = by_loan[loans[name]]
        assert (p.class_code, p.rate_e8, p.ead, p.ecl) == (class_code, rate_e8, ead, ecl), name
