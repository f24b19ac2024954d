"""`AnalyticsService` (`container.analytics`): the portfolio's measures for a date range and a grade.

Read-only: every call is one read-only unit of work over `queries.py`; the
investors' NAR comes from the market's own portfolio (one definition of NAR,
market/returns.py), through the `nar_of` port that bootstrap wires.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from fairlend.analytics import queries
from fairlend.analytics.model import (
    Filter,
    Portfolio,
    TrainingSet,
    blocked_by_rule,
    calibration,
    months,
    nar_distribution,
    roll_rates,
    training_row,
    vintage_curves,
)
from fairlend.db.uow import UnitOfWorkFactory

NarOf = Callable[[str], Decimal | None]
PdOf = Callable[[float], float]


class AnalyticsService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        *,
        currency: str,
        buckets: tuple[str, ...],
        pd_of: PdOf,
        nar_of: NarOf | None = None,
    ) -> None:
        self._uow = uow
        self._currency = currency
        self._buckets = buckets
        self._pd_of = pd_of
        self._nar_of = nar_of

    def portfolio(self, flt: Filter) -> Portfolio:
        """Every measure over the range (and grade), read in one transaction so they agree with each other."""
        with self._uow(read_only=True) as uow:
            conn = uow.conn
            grade_months, bucket_months = queries.month_ends(conn, flt, self._buckets)
            pairs = queries.roll_pairs(conn, flt, self._buckets)
            cohorts, defaults = queries.vintage_counts(conn, flt)
            losses = queries.losses(conn, flt)
            total, blocked = queries.attempts(conn, flt)
            deadlines = queries.deadlines(conn, flt)
            scored = queries.calibration_rows(conn, flt)
            investors = queries.investor_ids(conn) if self._nar_of is not None and flt.grade is None else []
        nar_of = self._nar_of
        return Portfolio(
            filter=flt,
            currency=self._currency,
            buckets=self._buckets,
            grade_months=tuple(grade_months),
            bucket_months=tuple(bucket_months),
            roll_rates=tuple(roll_rates(pairs, self._buckets)),
            vintages=tuple(vintage_curves(cohorts, defaults, months(flt)[-1].label)),
            losses=tuple(losses),
            nar=nar_distribution(nar_of(i) for i in investors) if nar_of else nar_distribution(()),
            blocked=tuple(blocked_by_rule(blocked)),
            attempts=total,
            deadlines=tuple(deadlines),
            calibration=tuple(calibration(scored, self._pd_of)),
        )

    def training_set(self) -> TrainingSet:
        """Every loan booked from a scored application, with its application's feature row and whether it went bad.

        The observed window is the whole book up to the business date (docs/scoring.md, training from a
        simulated book): a loan is bad when it was more than 90 days past due or charged off by then.
        """
        with self._uow(read_only=True) as uow:
            as_of = uow.clock.business_date()
            rows = queries.training_rows(uow.conn)
        return TrainingSet(as_of, tuple(training_row(loan_id, f, d, as_of) for loan_id, f, d in rows))
