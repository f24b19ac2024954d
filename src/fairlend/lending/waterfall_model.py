"""The repayment waterfall as data: the order a payment pays (timing, component) pairs.

Pure; `model.py` re-exports these names (products carry a `Waterfall`), and
`waterfall.py` applies one to a payment.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from fairlend.errors import Invalid


class Component(enum.StrEnum):
    PENALTY = "penalty"
    FEE = "fee"
    INTEREST = "interest"
    PRINCIPAL = "principal"


class Timing(enum.StrEnum):
    PAST_DUE = "past_due"
    DUE = "due"
    NOT_YET_DUE = "not_yet_due"


@dataclass(frozen=True, slots=True)
class Waterfall:
    """The order a payment pays things, as (timing, component) steps.

    `from_orders(timings, components)` gives the common shape "every past-due
    part first, in component order, then what is due, then prepayment", but
    any order of the twelve pairs is data too. Prepayment (not yet due) comes
    last and pays accrued interest before principal, because paying principal
    early restarts the period's interest on the smaller balance.
    """

    steps: tuple[tuple[Timing, Component], ...]

    def __post_init__(self) -> None:
        expected = {(t, c) for t in Timing for c in Component}
        if len(self.steps) != len(expected) or set(self.steps) != expected:
            raise Invalid("waterfall_incomplete", "a waterfall names every (timing, component) pair exactly once")
        first_future = min(i for i, (t, _) in enumerate(self.steps) if t is Timing.NOT_YET_DUE)
        if any(t is not Timing.NOT_YET_DUE for t, _ in self.steps[first_future:]):
            raise Invalid("waterfall_prepayment_first", "not-yet-due steps come after everything past due and due")
        future = [c for t, c in self.steps if t is Timing.NOT_YET_DUE]
        if future.index(Component.INTEREST) > future.index(Component.PRINCIPAL):
            raise Invalid("waterfall_prepayment_order", "prepayment pays accrued interest before principal")

    @classmethod
    def from_orders(
        cls,
        timings: tuple[Timing, ...] = (Timing.PAST_DUE, Timing.DUE, Timing.NOT_YET_DUE),
        components: tuple[Component, ...] = (Component.PENALTY, Component.FEE, Component.INTEREST, Component.PRINCIPAL),
        *,
        component_major: bool = False,
    ) -> Waterfall:
        """Timing-major (each installment's parts together) or component-major (all penalty first)."""
        if set(timings) != set(Timing) or set(components) != set(Component):
            raise Invalid("waterfall_incomplete", "name every timing and every component once")
        if component_major:
            due = [(t, c) for c in components for t in timings if t is not Timing.NOT_YET_DUE]
        else:
            due = [(t, c) for t in timings if t is not Timing.NOT_YET_DUE for c in components]
        # Prepayment always pays accrued interest, then principal; penalty and fee have nothing not yet due.
        future_components: list[Component] = [Component.INTEREST, Component.PRINCIPAL]
        future_components += [c for c in components if c not in future_components]
        return cls(tuple(due + [(Timing.NOT_YET_DUE, c) for c in future_components]))

    def to_list(self) -> list[list[str]]:
        return [[t.value, c.value] for t, c in self.steps]

    @classmethod
    def from_list(cls, steps: list[list[str]] | list[tuple[str, str]]) -> Waterfall:
        try:
            return cls(tuple((Timing(t), Component(c)) for t, c in steps))
        except ValueError as exc:
            raise Invalid("waterfall_invalid", str(exc)) from None


DEFAULT_WATERFALL = Waterfall.from_orders()
