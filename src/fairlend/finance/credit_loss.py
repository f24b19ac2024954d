"""Finance's pure rules for credit risk: classification (FN-1, FN-3, FN-4) and expected credit loss.

Classification and ECL here are the one-loan reference of what the
month-end's set-based SQL computes for the whole book (`provisions.py`); the
tests hold the two equal at every threshold. PD, LGD and rates are integers
in fixed scales so that SQL and Python round alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from fairlend.jurisdiction.model import FinanceProfile, Measurement

# -- classification ------------------------------------------------------------------------------


def class_by_days(days_past_due: int, finance: FinanceProfile) -> int:
    """The index of the worst class whose threshold the days past due reach."""
    found = 0
    for i, cls in enumerate(finance.classes):
        if days_past_due >= cls.from_dpd:
            found = i
    return found


def classify(days_past_due: int, modified_on: date | None, as_of: date, finance: FinanceProfile) -> str:
    """A loan's class on `as_of`: by days past due, and no better than the restructured floor while observed."""
    index = class_by_days(days_past_due, finance)
    if modified_on is not None and (as_of - modified_on).days < finance.restructured_observation_days:
        index = max(index, finance.class_codes().index(finance.restructured_floor))
    return finance.classes[index].code


# -- expected credit loss -------------------------------------------------------------------------

PD_SCALE = 1_000_000  # probabilities in millionths
RATE_SCALE = 100_000_000  # a loan's loss rate (PD x LGD, or a category's rate) in hundred-millionths
LGD_SCALE = 10_000


@dataclass(frozen=True, slots=True)
class GradeRisk:
    """A grade's 12-month probability of default, from the comprehensive score's calibration."""

    grade: str
    pd_12m: Decimal

    @property
    def pd_e6(self) -> int:
        return int((self.pd_12m * PD_SCALE).to_integral_value(ROUND_HALF_UP))


def risk_of(grade: str, grades: Sequence[GradeRisk]) -> GradeRisk:
    """The risk of the grade stored on the loan; a loan with no known grade carries the worst (prudence)."""
    return next((g for g in grades if g.grade == grade), grades[-1])


def lgd_e4(grade: str, finance: FinanceProfile) -> int:
    """The profile's default LGD for the grade's letter (the first letter's for an unknown one)."""
    chosen = next((g.lgd for g in finance.lgd if grade.startswith(g.letter)), finance.lgd[0].lgd)
    return int((chosen * LGD_SCALE).to_integral_value(ROUND_HALF_UP))


# Loans of a grade letter charged or written off before its own recoveries are trusted over the default.
OBSERVED_LGD_MIN_DEFAULTS = 30


@dataclass(frozen=True, slots=True)
class LossHistory:
    """A grade letter's loans closed with a loss so far: how many, what was charged off, what came back."""

    letter: str
    defaults: int
    charged_off: int
    recovered: int


def observed_lgd_e4(default_e4: int, history: LossHistory | None, min_defaults: int = OBSERVED_LGD_MIN_DEFAULTS) -> int:
    """LGD = 1 - recovered / charged off, from the letter's own history once it has `min_defaults` loans;
    the profile's default until then. Rounded half up to 1e-4, within [0, 1]."""
    if history is None or history.defaults < min_defaults or history.charged_off <= 0:
        return default_e4
    lost = max(0, history.charged_off - history.recovered)
    return min(LGD_SCALE, (lost * LGD_SCALE * 2 + history.charged_off) // (2 * history.charged_off))


def pd_effective_e6(pd_e6: int, class_code: str, remaining_months: int, finance: FinanceProfile) -> int:
    """12-month PD before the lifetime class (IFRS 9 stage 1), lifetime after (and always under CECL);
    1 from the default class. Lifetime PD over the loan's remaining months is the 12-month PD pro rata,
    capped at 1: a documented simplification (docs/finance.md), no term structure yet."""
    codes = finance.class_codes()
    index = codes.index(class_code)
    if index >= codes.index(finance.default_from):
        return PD_SCALE
    months = max(1, remaining_months)
    if finance.measurement is Measurement.IFRS9 and index < codes.index(finance.lifetime_from):
        months = min(months, 12)
    return min(PD_SCALE, pd_e6 * months // 12)


def loss_rate_e8(pd_e6: int, lgd: int, class_code: str, remaining_months: int, finance: FinanceProfile) -> int:
    """A loan's ECL as a share of its exposure, in hundred-millionths (truncated)."""
    if finance.measurement is Measurement.CATEGORY_RATES:
        rate = next(c.rate for c in finance.classes if c.code == class_code)
        return int(rate * RATE_SCALE)
    return pd_effective_e6(pd_e6, class_code, remaining_months, finance) * lgd // 100


def ecl_minor(ead: int, rate_e8: int) -> int:
    """Exposure x loss rate, rounded half up to the minor unit (exposures are never negative)."""
    return (ead * rate_e8 + RATE_SCALE // 2) // RATE_SCALE


@dataclass(frozen=True, slots=True)
class RollForward:
    """A segment's allowance over a month (credit balances as positive amounts)."""

    opening: int
    charge: int  # provision charged (negative: released)
    write_offs: int
    recoveries: int
    closing: int

    @property
    def holds(self) -> bool:
        return self.opening + self.charge - self.write_offs + self.recoveries == self.closing


def roll_forward(opening: int, write_offs: int, recoveries: int, required: int) -> RollForward:
    """The charge that brings the allowance from what it holds to what the month's ECL requires."""
    charge = required - (opening - write_offs + recoveries)
    return RollForward(opening, charge, write_offs, recoveries, required)
