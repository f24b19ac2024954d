"""The repayment waterfall: which part of what a payment pays, as a pure function.

The order comes from the product's `Waterfall` data. Installments that fell
due before the payment date are past due, billed ones due on it are due
(billed ones due later exist only on a modified loan, and are paid next), and
what is not billed yet (accrued interest and unbilled principal) is
not yet due: paying it is a prepayment, allowed only if the product says so.
Penalty interest belongs to the overdue installments, so it is past due.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from fairlend.lending.model import Component, Timing, Waterfall
from fairlend.lending.schedule import round_minor
from fairlend.money import Rounding


@dataclass(frozen=True, slots=True)
class OpenInstallment:
    """What is still owed on one billed installment (minor units)."""

    seq: int
    due_date: date
    principal: int
    interest: int
    fee: int


@dataclass(slots=True)
class Paid:
    principal: int = 0
    interest: int = 0
    fee: int = 0

    @property
    def total(self) -> int:
        return self.principal + self.interest + self.fee


@dataclass(slots=True)
class Allocation:
    amount: int
    installments: dict[int, Paid] = field(default_factory=dict)  # seq -> paid parts
    penalty: int = 0
    accrued_interest: int = 0  # not-yet-due interest paid
    prepaid_principal: int = 0  # not-yet-due principal paid
    prepayment_fee: int = 0
    excess: int = 0  # left after everything the waterfall could pay

    @property
    def principal(self) -> int:
        return sum(p.principal for p in self.installments.values()) + self.prepaid_principal

    @property
    def interest(self) -> int:
        return sum(p.interest for p in self.installments.values()) + self.accrued_interest

    @property
    def fees(self) -> int:
        return sum(p.fee for p in self.installments.values()) + self.prepayment_fee

    @property
    def billed_fees(self) -> int:
        return sum(p.fee for p in self.installments.values())


def prepayment_fee(principal: int, rate: Decimal, rounding: Rounding) -> int:
    return round_minor(Decimal(principal) * rate, rounding)


def allocate_payment(
    amount: int,
    on: date,
    installments: Sequence[OpenInstallment],
    *,
    penalty: int,
    accrued_interest: int,
    unbilled_principal: int,
    waterfall: Waterfall,
    prepayment_allowed: bool,
    prepayment_fee_rate: Decimal,
    rounding: Rounding,
) -> Allocation:
    """Split `amount` over what is owed, in the waterfall's order.

    A waterfall names each (timing, component) step once and each installment
    falls in one timing, so every part owed is met by exactly one step: what is
    owed is read from the inputs, never tracked as it is paid.
    """
    result = Allocation(amount)
    left = amount
    ordered = sorted(installments, key=lambda i: (i.due_date, i.seq))
    groups = {
        Timing.PAST_DUE: [i for i in ordered if i.due_date < on],
        Timing.DUE: [i for i in ordered if i.due_date == on],
    }
    # Billed but falling due later: only a modified loan has them (a plan's carried arrears,
    # lending/modifying.py). Paid after everything due, a whole installment at a time, before any
    # prepayment: paying them early is paying what was owed already, never a prepayment.
    ahead = [i for i in ordered if i.due_date > on]
    ahead_paid = False
    for timing, component in waterfall.steps:
        if left == 0:
            break
        if timing is Timing.NOT_YET_DUE and not ahead_paid:
            left = _pay_ahead(result, ahead, left)
            ahead_paid = True
            if left == 0:
                break
        if timing is Timing.NOT_YET_DUE:
            if not prepayment_allowed:
                continue
            if component is Component.INTEREST:
                result.accrued_interest = min(left, accrued_interest)
                left -= result.accrued_interest
            elif component is Component.PRINCIPAL:
                principal, fee = _prepay(left, unbilled_principal, prepayment_fee_rate, rounding)
                result.prepaid_principal, result.prepayment_fee = principal, fee
                left -= principal + fee
            continue
        if component is Component.PENALTY:
            # Penalty accrues only while something is overdue, so it is past due.
            if timing is Timing.PAST_DUE:
                result.penalty = min(left, penalty)
                left -= result.penalty
            continue
        part = _PARTS[component]
        for inst in groups[timing]:
            if left == 0:
                break
            pay = min(left, getattr(inst, part))
            if pay:
                paid = result.installments.setdefault(inst.seq, Paid())
                setattr(paid, part, pay)
                left -= pay
    result.excess = left
    return result


_PARTS = {Component.PRINCIPAL: "principal", Component.INTEREST: "interest", Component.FEE: "fee"}


def _pay_ahead(result: Allocation, ahead: Sequence[OpenInstallment], left: int) -> int:
    for inst in ahead:
        for part in ("fee", "interest", "principal"):
            pay = min(left, getattr(inst, part))
            if pay:
                paid = result.installments.setdefault(inst.seq, Paid())
                setattr(paid, part, getattr(paid, part) + pay)
                left -= pay
            if left == 0:
                return 0
    return left


def _prepay(available: int, unbilled: int, fee_rate: Decimal, rounding: Rounding) -> tuple[int, int]:
    """The most principal (and its fee) that `available` pays; never more than `unbilled`.

    Principal p = available / (1 + rate), rounded down, always fits: its fee is
    p x rate rounded to a whole unit, so at most p x rate + 1/2 under every
    named rounding, and p + fee <= available + 1/2 with both sides whole. The
    fee's rounding can leave room for one more unit of principal: take it
    while it fits.
    """
    principal = min(unbilled, int(Decimal(available) / (1 + fee_rate)))
    while principal < unbilled and principal + 1 + prepayment_fee(principal + 1, fee_rate, rounding) <= available:
        principal += 1
    return principal, prepayment_fee(principal, fee_rate, rounding)
