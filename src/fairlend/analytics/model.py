"""Portfolio analytics as values: the filter, each measure's rows, and the pure arithmetic between SQL and page.

Every figure is a count or an integer amount of minor units in the profile's
currency, or a ratio computed from them here (never stored). docs/analytics.md
defines each measure.
"""

from __future__ import annotations

import calendar
import itertools
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from fairlend.errors import Invalid

GRADE_LETTERS = tuple("ABCDEFG")
UNGRADED = ""  # a loan booked without an offer (an import, a test's direct booking)
SETTLED, CHARGED_OFF = "settled", "charged_off"  # where a loan goes when it leaves the buckets
DEFAULT_DPD = 90  # default: more than 90 days past due (FN-3, the scorecard's "bad"), or charged off
CALIBRATION_MONTHS = 12  # the scorecard predicts default within a year of the score


@dataclass(frozen=True, slots=True)
class Filter:
    start: date
    end: date
    grade: str | None = None  # a letter A-G, or None for every grade

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise Invalid("analytics_range_invalid", "the start date is after the end date")
        if self.grade is not None and self.grade not in GRADE_LETTERS:
            raise Invalid("analytics_grade_invalid", "a grade is one letter from A to G")


@dataclass(frozen=True, slots=True)
class Month:
    label: str  # "YYYY-MM"
    first: date  # the month's first day, or the filter's start inside it
    last: date  # the month's last day, or the filter's end inside it: the snapshot date


def months(flt: Filter) -> list[Month]:
    out = []
    year, month = flt.start.year, flt.start.month
    while (year, month) <= (flt.end.year, flt.end.month):
        first = max(date(year, month, 1), flt.start)
        last = min(date(year, month, calendar.monthrange(year, month)[1]), flt.end)
        out.append(Month(f"{year:04d}-{month:02d}", first, last))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def month_index(label: str) -> int:
    return int(label[:4]) * 12 + int(label[5:7]) - 1


@dataclass(frozen=True, slots=True)
class SnapshotMonth:
    """A month-end the snapshot was written for, and how many loans' rows it holds."""

    month_end: date
    loans: int


@dataclass(frozen=True, slots=True)
class GradeMonth:
    """Loans originated in the month (count and principal) and the principal outstanding at its end."""

    month: str
    grade: str
    originated: int
    originated_minor: int
    outstanding_minor: int


@dataclass(frozen=True, slots=True)
class BucketMonth:
    month: str
    bucket: str
    loans: int


@dataclass(frozen=True, slots=True)
class RollRate:
    """Of the loans in `from_bucket` at one month's end, those in `to_bucket` at the next (share of `from_loans`)."""

    from_bucket: str
    to_bucket: str
    loans: int
    from_loans: int

    @property
    def share(self) -> Decimal:
        return Decimal(self.loans) / Decimal(self.from_loans) if self.from_loans else Decimal(0)


@dataclass(frozen=True, slots=True)
class VintagePoint:
    """Of the loans originated in `vintage`, the share in default by `months_on_book` months after."""

    vintage: str
    months_on_book: int
    loans: int
    defaulted: int

    @property
    def rate(self) -> Decimal:
        return Decimal(self.defaulted) / Decimal(self.loans) if self.loans else Decimal(0)


@dataclass(frozen=True, slots=True)
class GradeLoss:
    grade: str
    loans: int
    defaulted: int
    charged_off_minor: int  # closed (charged or written off) in the range
    recovered_minor: int  # received on closed loans in the range

    @property
    def net_loss_minor(self) -> int:
        return self.charged_off_minor - self.recovered_minor

    @property
    def recovery_rate(self) -> Decimal:
        return Decimal(self.recovered_minor) / Decimal(self.charged_off_minor) if self.charged_off_minor else Decimal(0)


@dataclass(frozen=True, slots=True)
class NarBand:
    low: Decimal  # inclusive, as a fraction (0.05 = 5 %)
    high: Decimal  # exclusive
    investors: int


@dataclass(frozen=True, slots=True)
class NarDistribution:
    investors: int  # with a NAR (principal outstanding at a month's start at least once)
    without: int  # investors with nothing to annualise yet
    percentiles: tuple[tuple[int, Decimal], ...]  # (10, p10), (25, ...), ... (90, ...)
    bands: tuple[NarBand, ...]


@dataclass(frozen=True, slots=True)
class BlockedAttempts:
    rule: str
    collector_id: str
    attempts: int


@dataclass(frozen=True, slots=True)
class Deadlines:
    """Complaints or hardship requests received in a month, by how they stand against their answer deadline."""

    kind: str  # complaint | hardship
    month: str
    on_time: int
    late: int
    open_in_time: int
    open_overdue: int


@dataclass(frozen=True, slots=True)
class Calibration:
    grade: str
    loans: int
    predicted: Decimal  # the score's mean probability of default within 12 months
    defaulted: int  # of the loans, those in default within 12 months of opening (as of the range's end)
    seasoned: int  # loans open for 12 months by the range's end: the observation is complete for them

    @property
    def observed(self) -> Decimal:
        return Decimal(self.defaulted) / Decimal(self.loans) if self.loans else Decimal(0)


@dataclass(frozen=True, slots=True)
class Portfolio:
    filter: Filter
    currency: str
    buckets: tuple[str, ...]  # the profile's delinquency buckets, in order
    grade_months: tuple[GradeMonth, ...]
    bucket_months: tuple[BucketMonth, ...]
    roll_rates: tuple[RollRate, ...]
    vintages: tuple[VintagePoint, ...]
    losses: tuple[GradeLoss, ...]
    nar: NarDistribution
    blocked: tuple[BlockedAttempts, ...]
    attempts: int  # every contact attempt in the range, allowed or blocked
    deadlines: tuple[Deadlines, ...]
    calibration: tuple[Calibration, ...]


@dataclass(frozen=True, slots=True)
class TrainingRow:
    """A loan booked from a scored application: the features the score saw then, and how the loan went."""

    loan_id: str
    features: dict[str, float]  # NaN: missing at application
    bad: bool  # in default (more than DEFAULT_DPD days past due, or charged off) by the business date


@dataclass(frozen=True, slots=True)
class TrainingSet:
    as_of: date  # the end of the observed window: the business date
    rows: tuple[TrainingRow, ...]

    @property
    def bads(self) -> int:
        return sum(r.bad for r in self.rows)


def training_row(loan_id: str, stored: dict[str, object], default_on: date | None, as_of: date) -> TrainingRow:
    """A stored feature row (JSON: null = missing) and the default day as a training row."""
    features = {k: math.nan if v is None else float(v) for k, v in stored.items()}  # type: ignore[arg-type]
    return TrainingRow(loan_id, features, default_on is not None and default_on <= as_of)


# ---- the arithmetic ------------------------------------------------------------------------


def roll_rates(pairs: Iterable[tuple[str, str, int]], buckets: Sequence[str]) -> list[RollRate]:
    """From (bucket at a month's end, status at the next, loans) counts: one rate per pair, in bucket order."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    totals: dict[str, int] = defaultdict(int)
    for frm, to, n in pairs:
        counts[frm, to] += n
        totals[frm] += n
    order = {b: i for i, b in enumerate((*buckets, SETTLED, CHARGED_OFF))}
    return [
        RollRate(frm, to, n, totals[frm])
        for (frm, to), n in sorted(counts.items(), key=lambda kv: (order.get(kv[0][0], 99), order.get(kv[0][1], 99)))
    ]


def vintage_curves(
    cohorts: Iterable[tuple[str, int]], defaults: Iterable[tuple[str, str, int]], last_month: str
) -> list[VintagePoint]:
    """Cumulative default by months on book: (vintage, loans) and (vintage, month of default, loans) counts."""
    sizes = dict(cohorts)
    by_age: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for vintage, month, n in defaults:
        by_age[vintage][month_index(month) - month_index(vintage)] += n
    points = []
    for vintage in sorted(sizes):
        running = 0
        for age in range(month_index(last_month) - month_index(vintage) + 1):
            running += by_age[vintage].get(age, 0)
            points.append(VintagePoint(vintage, age, sizes[vintage], running))
    return points


PERCENTILES = (10, 25, 50, 75, 90)
NAR_EDGES = tuple(Decimal(e) / 100 for e in (-100, -10, -5, 0, 3, 6, 9, 12, 15, 20))


def percentile(sorted_values: Sequence[Decimal], p: int) -> Decimal:
    """Linear interpolation between closest ranks (numpy's default), on values sorted ascending."""
    if not sorted_values:
        return Decimal(0)
    rank = Decimal(p) / 100 * (len(sorted_values) - 1)
    low = int(rank)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (rank - low)


def nar_distribution(nars: Iterable[Decimal | None]) -> NarDistribution:
    given = list(nars)
    values = sorted(n for n in given if n is not None)
    without = len(given) - len(values)
    bands = []
    edges = (*NAR_EDGES, Decimal("1e9"))
    for low, high in itertools.pairwise(edges):
        bands.append(NarBand(low, high, sum(1 for v in values if low <= v < high)))
    return NarDistribution(
        investors=len(values),
        without=without,
        percentiles=tuple((p, percentile(values, p)) for p in PERCENTILES) if values else (),
        bands=tuple(bands),
    )


def blocked_by_rule(rows: Iterable[tuple[str, str, int]]) -> list[BlockedAttempts]:
    """(comma-separated rules, collector, attempts) -> one row per rule and collector; an attempt counts under each rule it broke."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for rules, collector, n in rows:
        for rule in (r.strip() for r in rules.split(",")):
            if rule:
                counts[rule, collector] += n
    return [BlockedAttempts(rule, collector, n) for (rule, collector), n in sorted(counts.items())]


def calibration(
    rows: Iterable[tuple[str, int | None, int, int, int]], pd_of: Callable[[float], float]
) -> list[Calibration]:
    """(grade, score, loans, defaulted, seasoned) per score -> per grade: mean predicted PD against the observed rate."""
    acc: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0, 0])
    for grade, score, n, defaulted, seasoned in rows:
        if not grade or score is None:
            continue
        a = acc[grade]
        a[0] += n
        a[1] += pd_of(score) * n
        a[2] += defaulted
        a[3] += seasoned
    return [
        Calibration(g, int(a[0]), Decimal(str(round(a[1] / a[0], 6))), int(a[2]), int(a[3]))
        for g, a in sorted(acc.items())
        if a[0]
    ]
