"""A jurisdiction profile's finance section: classification, provisioning and non-accrual (RULES.md "Finance").

Pure data; `jurisdiction.model` re-exports every name.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal


class Measurement(enum.StrEnum):
    """How the allowance for credit losses is measured (RULES.md FN-2, FN-3, FN-4)."""

    CATEGORY_RATES = "category_rates"  # FN-2: a reference rate per classification category
    IFRS9 = "ifrs9"  # FN-3: 12-month ECL before the lifetime class, lifetime from it
    CECL = "cecl"  # FN-4: lifetime ECL from origination


@dataclass(frozen=True, slots=True)
class FinanceClass:
    """A classification class (a five-category grade, an IFRS 9 stage) and where it starts."""

    code: str  # normal, special_mention, ... / stage_1, ...
    from_dpd: int  # a loan this many days past due or more is at least this class
    rule: str
    rate: Decimal  # the provision rate under category_rates (FN-2); unused by ECL measurement


@dataclass(frozen=True, slots=True)
class GradeLgd:
    """Loss given default for a grade letter until fairlend has its own recovery history."""

    letter: str
    lgd: Decimal


@dataclass(frozen=True, slots=True)
class FinanceProfile:
    """Classification, provisioning and non-accrual (RULES.md "Finance"; docs/finance.md)."""

    scheme: str  # five_category | stages: only a label for pages; the classes carry the thresholds
    classes: tuple[FinanceClass, ...]  # best first, the first from 0 days past due
    # A restructured loan (its schedule replaced by a modification) is at least this class for the
    # observation period after the modification, however current it is.
    restructured_floor: str
    restructured_observation_days: int
    restructured_rule: str
    measurement: Measurement
    measurement_rule: str
    lifetime_from: str  # IFRS 9: the first class measured with lifetime ECL (stage_2)
    default_from: str  # the first class whose probability of default is 1 (credit-impaired)
    lgd: tuple[GradeLgd, ...]  # by grade letter; the first is used for an unknown letter
    non_accrual_dpd: int  # FN-5: interest stops accruing to income at this many days past due
    non_accrual_rule: str

    def class_codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.classes)
