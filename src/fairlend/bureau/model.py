"""The credit bureau's pure core: status codes, grids, summaries, dates.

Everything here is a plain function of data and the jurisdiction profile's
`bureau` section (`BureauProfile`): the code set (CN-17 or Metro 2, CR-2/CR-4),
the history length (CN-18), the retention of negative records (CN-12, CR-6),
the dispute deadline (CN-15, CR-7), free self-queries (CN-13), and when the
borrower must be told of negative information (CN-11, CR-8).

Months are handled as an integer index (`year * 12 + month - 1`) so that
month arithmetic is subtraction; storage keeps them as `yyyymm`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from fairlend.jurisdiction.model import BureauProfile, StatusCodeSet

# -- months -------------------------------------------------------------------


def month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def yyyymm(index: int) -> int:
    return (index // 12) * 100 + index % 12 + 1


def index_of_yyyymm(value: int) -> int:
    return (value // 100) * 12 + value % 100 - 1


def month_label(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def add_years(day: date, years: int) -> date:
    """The same calendar day `years` later; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


# -- account state and status codes -------------------------------------------


class AccountState(enum.StrEnum):
    OPEN = "open"
    SETTLED = "settled"
    CHARGED_OFF = "charged_off"
    COLLECTION = "collection"


class SettledBy(enum.StrEnum):
    BORROWER = "borrower"
    GUARANTOR = "guarantor"  # CN-17 "D"
    ASSETS = "assets"  # CN-17 "Z"


@dataclass(frozen=True, slots=True)
class CodeScheme:
    """What a code set needs to map days overdue to codes (CN-17, CR-2, CR-4)."""

    band_days: int  # width of one overdue band
    bands: int  # the last band is open-ended
    first_negative_days: int  # days overdue from which a month is negative
    not_open: str  # a month before the account opened
    unknown: str  # an open month nobody reported
    negative_codes: frozenset[str]
    severity: Mapping[str, int]  # for "worst status"; higher is worse


CN17 = CodeScheme(
    band_days=30,
    bands=7,
    first_negative_days=1,
    not_open="/",
    unknown="#",
    negative_codes=frozenset("1234567G"),
    severity={"/": 0, "*": 0, "#": 0, "N": 1, "C": 1, "D": 2, "Z": 2, **{str(b): 2 + b for b in range(1, 8)}, "G": 10},
)
# Metro 2 ratings: 0 current, 1-6 = 30-59 ... 180+ days past due; "L" charge-off.
METRO2 = CodeScheme(
    band_days=30,
    bands=6,
    first_negative_days=30,
    not_open="B",
    unknown="D",
    negative_codes=frozenset("123456L"),
    severity={"B": 0, "D": 0, "E": 1, "0": 1, **{str(b): 2 + b for b in range(1, 7)}, "L": 10},
)
NEGATIVE_CODES = CN17.negative_codes | METRO2.negative_codes
METRO2_STATUS_BY_RATING = {"0": "11", "1": "71", "2": "78", "3": "80", "4": "82", "5": "83", "6": "84"}
METRO2_NEGATIVE_STATUSES = frozenset({"71", "78", "80", "82", "83", "84", "93", "97"})


def scheme_for(profile: BureauProfile) -> CodeScheme:
    return CN17 if profile.status_codes is StatusCodeSet.CN17 else METRO2


def overdue_band(scheme: CodeScheme, days_overdue: int) -> int:
    """0 for not (yet) delinquent under the scheme, else 1..bands."""
    if days_overdue < scheme.first_negative_days:
        return 0
    if scheme is CN17:
        return min(scheme.bands, (days_overdue + scheme.band_days - 1) // scheme.band_days)
    return min(scheme.bands, days_overdue // scheme.band_days)


@dataclass(frozen=True, slots=True)
class MonthStatus:
    """One month of one account: the grid code, and for Metro 2 the account status and rating."""

    code: str
    account_status: str  # Metro 2 account status (CR-2); the same as `code` for CN-17
    payment_rating: str  # Metro 2 payment rating; "" for CN-17

    @property
    def is_negative(self) -> bool:
        # The module's precomputed union: building it per call cost intake a set per record.
        return self.code in NEGATIVE_CODES or self.account_status in METRO2_NEGATIVE_STATUSES


def month_status(
    profile: BureauProfile,
    *,
    days_overdue: int,
    state: AccountState,
    settled_by: SettledBy = SettledBy.BORROWER,
    days_overdue_before_settlement: int = 0,
    payment_due: bool = True,
    balance_minor: int = 1,
) -> MonthStatus:
    """The status of a month from days overdue and the account's state (CN-17; CR-2, CR-4)."""
    if days_overdue < 0:
        raise ValueError("days overdue cannot be negative")
    scheme = scheme_for(profile)
    band = overdue_band(scheme, days_overdue)
    if scheme is CN17:
        if state is AccountState.SETTLED:
            code = {SettledBy.BORROWER: "C", SettledBy.GUARANTOR: "D", SettledBy.ASSETS: "Z"}[settled_by]
        elif state is AccountState.CHARGED_OFF:
            code = "G"  # ended without being settled
        elif band:
            code = str(band)
        else:
            code = "N" if payment_due else "*"
        return MonthStatus(code, code, "")
    # Metro 2
    if state is AccountState.SETTLED:
        # 13 paid/closed; the rating keeps the delinquency the payment ended.
        rating = str(overdue_band(scheme, days_overdue_before_settlement))
        return MonthStatus("E" if rating == "0" else rating, "13", rating)
    if state is AccountState.CHARGED_OFF:
        return MonthStatus("L", "97", "L")
    rating = str(band)
    if state is AccountState.COLLECTION:
        return MonthStatus(rating, "93", rating)
    code = "E" if rating == "0" and balance_minor == 0 else rating
    return MonthStatus(code, METRO2_STATUS_BY_RATING[rating], rating)


# -- the grid -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MonthRow:
    """What the bureau keeps of one account-month."""

    month: int  # month index
    code: str
    days_overdue: int
    as_of: date
    first_overdue_on: date | None  # the first day of the delinquency this month is part of
    cured_on: date | None  # the overdue ended on this day (repaid or settled)


def status_grid(
    profile: BureauProfile,
    rows: Mapping[int, str],
    *,
    opened: int,
    closed: int | None,
    report_month: int,
    months: int | None = None,
) -> tuple[str, ...]:
    """Codes newest first, `history_months` long (CN-18 60; CR-4 24).

    Before the account opened: "/" (CN-17) or "B" (Metro 2); an open month
    nobody reported: "#" or "D"; after the account closed: "" (nothing).
    """
    scheme = scheme_for(profile)
    count = months if months is not None else profile.history_months
    grid: list[str] = []
    for index in range(report_month, report_month - count, -1):
        if index < opened:
            grid.append(scheme.not_open)
        elif closed is not None and index > closed:
            grid.append("")
        else:
            grid.append(rows.get(index, scheme.unknown))
    return tuple(grid)


def grid_from_codes(
    profile: BureauProfile,
    codes: str,
    *,
    opened: int,
    closed: int | None,
    report_month: int,
    hidden: frozenset[int] = frozenset(),
) -> tuple[str, ...]:
    """The same grid from an account's code string (one character per month since opening)."""
    scheme = scheme_for(profile)
    grid: list[str] = []
    length = len(codes)
    for index in range(report_month, report_month - profile.history_months, -1):
        if index < opened:
            grid.append(scheme.not_open)
        elif closed is not None and index > closed:
            grid.append("")
        else:
            position = index - opened
            grid.append(codes[position] if position < length and index not in hidden else scheme.unknown)
    return tuple(grid)


# -- ID numbers ----------------------------------------------------------------


def normalise_id_number(id_number: str) -> str:
    """An ID number as the bureau keys it: no blanks or dashes, upper-case.

    `123-45-6789` and `123456789` are one SSN, a check character `x` is `X`:
    one person, one credit file, however a lender or the person wrote it.
    """
    return "".join(id_number.split()).replace("-", "").upper()


def same_id_number(a: str, b: str) -> bool:
    """ID numbers compare as the bureau indexes them (`normalise_id_number`)."""
    return normalise_id_number(a) == normalise_id_number(b)
