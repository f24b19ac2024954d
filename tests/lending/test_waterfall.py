"""The waterfall, worked by hand: partial, exact and over-payments on a loan with penalty, fees and interest due."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fairlend.errors import Invalid
from fairlend.lending.model import DEFAULT_WATERFALL, Component, Timing, Waterfall
from fairlend.lending.waterfall import Allocation, OpenInstallment, allocate_payment
from fairlend.money import Rounding

ON = date(2026, 5, 2)
# Installment 1 fell due a month ago with a late fee; installment 2 is due today.
PAST = OpenInstallment(1, date(2026, 4, 2), principal=76_680, interest=15_000, fee=5_000)
TODAY = OpenInstallment(2, date(2026, 5, 2), principal=77_830, interest=13_850, fee=0)
PENALTY = 1_000
EVERYTHING_DUE = PENALTY + 5_000 + 15_000 + 76_680 + 13_850 + 77_830


def pay(amount: int, waterfall: Waterfall = DEFAULT_WATERFALL, **kw: object) -> Allocation:
    args: dict[str, object] = {
        "penalty": PENALTY,
        "accrued_interest": 0,
        "unbilled_principal": 845_490,
        "waterfall": waterfall,
        "prepayment_allowed": True,
        "prepayment_fee_rate": Decimal("0"),
        "rounding": Rounding.HALF_UP,
    }
    args.update(kw)
    return allocate_payment(amount, ON, [TODAY, PAST], **args)  # type: ignore[arg-type]


def test_a_partial_payment_clears_the_past_due_penalty_fee_and_interest_before_its_principal() -> None:
    paid = pay(30_000)
    assert paid.penalty == 1_000
    assert (paid.installments[1].fee, paid.installments[1].interest, paid.installments[1].principal) == (
        5_000,
        15_000,
        9_000,
    )
    assert 2 not in paid.installments
    assert paid.excess == 0 and paid.prepaid_principal == 0


def test_an_exact_payment_clears_everything_past_due_and_due_and_prepays_nothing() -> None:
    paid = pay(EVERYTHING_DUE)
    assert paid.installments[1].total == 96_680
    assert paid.installments[2].total == 91_680
    assert paid.penalty == PENALTY
    assert paid.prepaid_principal == 0 and paid.excess == 0


def test_an_over_payment_prepays_accrued_interest_then_principal_with_its_fee() -> None:
    paid = pay(EVERYTHING_DUE + 60_640 + 2_000, accrued_interest=2_000, prepayment_fee_rate=Decimal("0.01"))
    assert paid.accrued_interest == 2_000
    # 60,040 of principal and its 1 % fee (600.40, rounded to 600) use the 60,640 exactly.
    assert (paid.prepaid_principal, paid.prepayment_fee) == (60_040, 600)
    assert paid.excess == 0
    assert paid.principal == 76_680 + 77_830 + 60_040


def test_paying_more_than_the_payoff_leaves_the_rest_as_excess() -> None:
    paid = pay(EVERYTHING_DUE + 845_490 + 10)
    assert paid.prepaid_principal == 845_490
    assert paid.excess == 10


def test_without_prepayment_the_over_payment_stays_unapplied() -> None:
    paid = pay(EVERYTHING_DUE + 5_000, prepayment_allowed=False)
    assert paid.prepaid_principal == 0
    assert paid.excess == 5_000


def test_a_component_major_waterfall_pays_all_interest_before_any_principal() -> None:
    waterfall = Waterfall.from_orders(component_major=True)
    paid = pay(40_000, waterfall)
    assert paid.installments[1].interest == 15_000 and paid.installments[2].interest == 13_850
    assert paid.installments[1].principal == 40_000 - 1_000 - 5_000 - 15_000 - 13_850
    assert paid.installments[2].principal == 0


def test_a_principal_first_waterfall_pays_the_oldest_principal_first() -> None:
    waterfall = Waterfall.from_orders(
        components=(Component.PRINCIPAL, Component.INTEREST, Component.PENALTY, Component.FEE)
    )
    paid = pay(30_000, waterfall)
    assert paid.installments[1].principal == 30_000
    assert paid.penalty == 0


def test_a_waterfall_must_name_every_step_once_and_keep_prepayment_last() -> None:
    with pytest.raises(Invalid):
        Waterfall(DEFAULT_WATERFALL.steps[:-1])
    steps = list(DEFAULT_WATERFALL.steps)
    steps.insert(0, steps.pop(steps.index((Timing.NOT_YET_DUE, Component.PRINCIPAL))))
    with pytest.raises(Invalid):
        Waterfall(tuple(steps))
    assert Waterfall.from_list(DEFAULT_WATERFALL.to_list()) == DEFAULT_WATERFALL


installments = st.lists(
    st.builds(
        OpenInstallment,
        seq=st.integers(1, 60),
        due_date=st.dates(date(2026, 1, 1), date(2026, 8, 1)),
        principal=st.integers(0, 200_000),
        interest=st.integers(0, 20_000),
        fee=st.integers(0, 5_000),
    ),
    max_size=6,
    unique_by=lambda i: i.seq,
)


@settings(max_examples=300, deadline=None)
@given(
    amount=st.integers(1, 2_000_000),
    owed=installments,
    penalty=st.integers(0, 10_000),
    accrued=st.integers(0, 20_000),
    unbilled=st.integers(0, 1_000_000),
    fee_rate=st.decimals(Decimal("0"), Decimal("0.05"), places=3),
    allowed=st.booleans(),
    component_major=st.booleans(),
)
def test_a_payment_is_split_exactly_and_never_pays_more_than_is_owed(
    amount: int,
    owed: list[OpenInstallment],
    penalty: int,
    accrued: int,
    unbilled: int,
    fee_rate: Decimal,
    allowed: bool,
    component_major: bool,
) -> None:
    paid = allocate_payment(
        amount,
        ON,
        owed,
        penalty=penalty,
        accrued_interest=accrued,
        unbilled_principal=unbilled,
        waterfall=Waterfall.from_orders(component_major=component_major),
        prepayment_allowed=allowed,
        prepayment_fee_rate=fee_rate,
        rounding=Rounding.HALF_UP,
    )
    assert paid.principal + paid.interest + paid.fees + paid.penalty + paid.excess == amount
    assert min(paid.penalty, paid.accrued_interest, paid.prepaid_principal, paid.prepayment_fee, paid.excess) >= 0
    assert paid.penalty <= penalty
    assert paid.accrued_interest <= accrued and paid.prepaid_principal <= unbilled
    for inst in owed:
        part = paid.installments.get(inst.seq)
        if part is not None:
            assert (
                0 <= part.principal <= inst.principal
                and 0 <= part.interest <= inst.interest
                and 0 <= part.fee <= inst.fee
            )
    billed_total = sum(i.principal + i.interest + i.fee for i in owed)
    if paid.prepaid_principal or paid.accrued_interest:
        # Nothing is prepaid while anything billed is unpaid.
        assert sum(p.total for p in paid.installments.values()) == billed_total
    if not allowed:
        assert paid.prepaid_principal == paid.accrued_interest == 0
