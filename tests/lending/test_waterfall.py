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


def test_the_default_waterfall_pays_the_fee_before_the_interest_when_the_payment_runs_out_between_them() -> None:
    # 1,000 penalty, then 3,000 of installment 1's 5,000 fee; its 15,000 interest gets nothing.
    paid = pay(PENALTY + 3_000)
    assert paid.penalty == PENALTY
    assert (paid.installments[1].fee, paid.installments[1].interest, paid.installments[1].principal) == (3_000, 0, 0)
    assert paid.excess == 0 and paid.amount == PENALTY + 3_000
    # The same payment under an interest-before-fee order pays interest instead: the order is what decides.
    interest_first = Waterfall.from_orders(
        components=(Component.PENALTY, Component.INTEREST, Component.FEE, Component.PRINCIPAL)
    )
    other = pay(PENALTY + 3_000, interest_first)
    assert (other.installments[1].fee, other.installments[1].interest) == (0, 3_000)


def test_the_penalty_is_paid_before_anything_else_and_never_more_than_is_owed() -> None:
    assert (pay(600).penalty, pay(600).installments) == (600, {})
    assert pay(PENALTY).penalty == PENALTY and pay(PENALTY).excess == 0


def test_a_prepayment_fee_of_half_the_principal_never_lets_the_payment_pay_more_than_it_has() -> None:
    # After everything due, 1 fen is left: 1 fen of principal would cost 1 fen of fee (0.5 rounds up), so none is prepaid.
    paid = pay(EVERYTHING_DUE + 1, prepayment_fee_rate=Decimal("0.5"))
    assert (paid.prepaid_principal, paid.prepayment_fee, paid.excess) == (0, 0, 1)
    more = pay(EVERYTHING_DUE + 5, prepayment_fee_rate=Decimal("0.5"))
    assert (more.prepaid_principal, more.prepayment_fee, more.excess) == (3, 2, 0)


def _fee(principal: int, rate: Decimal) -> int:
    """The prepayment fee, computed here from its definition: principal x rate, half up, in whole minor units."""
    return int((principal * rate).quantize(Decimal(1), rounding="ROUND_HALF_UP"))


def _buckets(
    owed: list[OpenInstallment], penalty: int, accrued: int, waterfall: Waterfall, allowed: bool
) -> list[tuple[str, int, int]]:
    """What the waterfall pays, in its order: (name, seq or 0, amount owed). Independent of allocate_payment."""
    ordered = sorted(owed, key=lambda i: (i.due_date, i.seq))
    out: list[tuple[str, int, int]] = []
    ahead_done = False
    for timing, component in waterfall.steps:
        if timing is Timing.NOT_YET_DUE:
            if not ahead_done:
                # Billed but due later (a modified loan's carried arrears): whole installments, in due order.
                for inst in ordered:
                    if inst.due_date > ON:
                        out += [(part, inst.seq, getattr(inst, part)) for part in ("fee", "interest", "principal")]
                ahead_done = True
            if allowed and component is Component.INTEREST:
                out.append(("accrued", 0, accrued))
            continue
        if component is Component.PENALTY:
            if timing is Timing.PAST_DUE:
                out.append(("penalty", 0, penalty))
            continue
        for inst in ordered:
            if inst.due_date < ON if timing is Timing.PAST_DUE else inst.due_date == ON:
                out.append((component.value, inst.seq, getattr(inst, component.value)))
    return out


small_installments = st.lists(
    st.builds(
        OpenInstallment,
        seq=st.integers(1, 9),
        due_date=st.sampled_from([date(2026, 4, 2), ON, date(2026, 6, 2)]),
        principal=st.integers(0, 40),
        interest=st.integers(0, 10),
        fee=st.integers(0, 5),
    ),
    max_size=4,
    unique_by=lambda i: i.seq,
)


@settings(max_examples=400, deadline=None)
@given(
    amount=st.integers(1, 250),
    owed=small_installments,
    penalty=st.integers(0, 10),
    accrued=st.integers(0, 10),
    unbilled=st.integers(0, 120),
    fee_rate=st.sampled_from(
        [Decimal(0), Decimal("0.01"), Decimal("0.015"), Decimal("0.3"), Decimal("0.5"), Decimal(2)]
    ),
    allowed=st.booleans(),
    component_major=st.booleans(),
)
def test_each_step_is_paid_in_full_before_the_next_gets_anything_and_prepayment_takes_all_it_can(
    amount: int,
    owed: list[OpenInstallment],
    penalty: int,
    accrued: int,
    unbilled: int,
    fee_rate: Decimal,
    allowed: bool,
    component_major: bool,
) -> None:
    """Small amounts, so that a payment often runs out exactly at a step's edge (one minor unit either side)."""
    waterfall = Waterfall.from_orders(component_major=component_major)
    paid = allocate_payment(
        amount,
        ON,
        owed,
        penalty=penalty,
        accrued_interest=accrued,
        unbilled_principal=unbilled,
        waterfall=waterfall,
        prepayment_allowed=allowed,
        prepayment_fee_rate=fee_rate,
        rounding=Rounding.HALF_UP,
    )
    assert paid.amount == amount
    got = {
        (name, seq): (paid.penalty if name == "penalty" else paid.accrued_interest if name == "accrued" else 0)
        for name, seq, _ in _buckets(owed, penalty, accrued, waterfall, allowed)
    }
    for seq, part in paid.installments.items():
        for name in ("principal", "interest", "fee"):
            got[(name, seq)] = getattr(part, name)
    short = False  # an earlier step was left unpaid: nothing after it may be paid
    for name, seq, due in _buckets(owed, penalty, accrued, waterfall, allowed):
        assert got[(name, seq)] == (0 if short else min(due, got[(name, seq)])), (name, seq)
        if not short:
            assert got[(name, seq)] <= due
        short = short or got[(name, seq)] < due
    if short or not allowed:
        assert (paid.prepaid_principal, paid.prepayment_fee) == (0, 0)
    # What reached the prepayment step: the prepaid principal, its fee, and what was left.
    reached = paid.prepaid_principal + paid.prepayment_fee + paid.excess
    assert paid.prepayment_fee == _fee(paid.prepaid_principal, fee_rate)
    assert paid.prepaid_principal <= unbilled
    if allowed and not short:
        # The most principal the money reaching this step pays: one more unit (and its fee) would not fit.
        assert (
            paid.prepaid_principal == unbilled
            or paid.prepaid_principal + 1 + _fee(paid.prepaid_principal + 1, fee_rate) > reached
        )
    else:
        assert paid.excess == reached
    assert paid.excess == 0 or not short
    assert paid.excess >= 0 and paid.prepaid_principal + paid.prepayment_fee <= reached


@pytest.mark.parametrize("rounding", list(Rounding))
@pytest.mark.parametrize("rate", ["0", "0.01", "0.015", "0.3", "0.5", "0.999", "2"])
def test_prepayment_takes_the_most_principal_the_money_pays_with_its_fee(rate: str, rounding: Rounding) -> None:
    """Every amount from 1 to 160 against a few balances, checked against the largest p with p + fee(p) <= amount."""
    fee_rate = Decimal(rate)

    def fee(principal: int) -> int:
        return int((principal * fee_rate).quantize(Decimal(1), rounding=rounding.decimal_mode))

    wrong = []
    for unbilled in (0, 1, 37, 150):
        for amount in range(1, 161):
            paid = allocate_payment(
                amount,
                ON,
                [],
                penalty=0,
                accrued_interest=0,
                unbilled_principal=unbilled,
                waterfall=DEFAULT_WATERFALL,
                prepayment_allowed=True,
                prepayment_fee_rate=fee_rate,
                rounding=rounding,
            )
            best = max(p for p in range(unbilled + 1) if p + fee(p) <= amount)
            got = (paid.prepaid_principal, paid.prepayment_fee, paid.excess)
            if got != (best, fee(best), amount - best - fee(best)):
                wrong.append((unbilled, amount, got, best))
    assert wrong == []
