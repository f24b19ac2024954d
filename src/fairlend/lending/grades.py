"""A loan's risk grade, stored on the loan at origination.

Origination grades the applicant (A1 best … G5) and prices the grade; the
loan keeps the grade it was offered at, so finance provisions by the grade
the lender decided on and not by a rate that a later repricing (or a rate
the operator agreed by hand) no longer maps to one band. A loan booked
without one (an operator's loan, an imported portfolio) is graded by its
price: the worst grade priced at or below its rate, as finance did before
the grade was stored. The ladder comes from origination's credit policy
through bootstrap; lending does not know how grades are priced.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from fairlend.errors import Invalid

GRADE_LENGTH = 2  # "A1" … "G5": the column's width


@dataclass(frozen=True, slots=True)
class PricedGrade:
    grade: str
    rate: Decimal  # the grade's nominal rate


def grade_by_price(rate: Decimal, ladder: Sequence[PricedGrade]) -> str:
    """The worst grade priced at or below `rate` (the best grade below every price); "" with no ladder."""
    if not ladder:
        return ""
    found = ladder[0].grade
    for priced in ladder:
        if priced.rate <= rate:
            found = priced.grade
    return found


def checked_grade(grade: str) -> str:
    """A grade as given by the caller: one to `GRADE_LENGTH` letters and digits."""
    if not (0 < len(grade) <= GRADE_LENGTH and grade.isalnum()):
        raise Invalid("invalid_grade", f"a loan's grade is one or two letters and digits, not {grade!r}")
    return grade
