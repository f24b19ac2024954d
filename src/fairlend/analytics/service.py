"""`AnalyticsService` (`container.analytics`): the portfolio's measures for a date range and a grade.

Read-only over the other contexts: every measure is one read-only unit of work over `queries.py`
(and the month-end snapshot, analytics' own cache of them, snapshot.py); the
investors' NAR comes from the market's own portfolio (one definition of NAR,
market/returns.py), through the `nar_of` port that bootstrap wires.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from fairlend.analytics import attempts, defaults, loans, queries, snapshot
from fairlend.analytics.model import (
    Filter,
    Portfolio,
    SnapshotMonth,
    TrainingSet,
    blocked_by_rule,
    calibration,
    months,
    nar_distribution,
    roll_rates,
    training_row,
    vintage_curves,
)
from fairlend.analytics.snapshot import MonthEndSnapshotStep
from fairlend.db.uow import UnitOfWorkFactory
from fairlend.errors import Invalid

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

    def portfolio(self, flt: Filter, *, live: bool = False) -> Portfolio:
        """Every measure over the range (and grade), read in one transaction so they agree with each other.

        The month-ends come from the stored snapshot where end-of-day wrote it (snapshot.py);
        `live` computes them all from the contexts' published selectables instead.
        """
        with self._uow(read_only=True) as uow:
            conn = uow.conn
            # The per-loan read model's day (loans.py): every statement reads the loans through it.
            through = None if live else loans.stored_through(conn)
            snap = snapshot.month_end_rows(conn, flt, self._buckets, live=live, loans_through=through)
            grade_months, bucket_months = queries.month_ends(conn, flt, self._buckets, snap, through)
            # Rolls into a stored month that knows the month before are one read; the rest self-join the month-ends.
            rolled = snapshot.rolled_months(conn, flt, live=live)
            rest = [n for n in range(1, len(months(flt))) if n not in rolled]
            pairs = snapshot.stored_rolls(conn, flt, self._buckets, sorted(rolled.values()))
            if len(rest) <= 2:
                # Typically the month in progress alone: join its two month-ends only, not the whole range's.
                for n in rest:
                    ms = months(flt)
                    pair = Filter(ms[n - 1].first, ms[n].last, flt.grade)
                    two = snapshot.month_end_rows(conn, pair, self._buckets, live=live, loans_through=through)
                    pairs += queries.roll_pairs(conn, self._buckets, two)
            else:
                pairs += queries.roll_pairs(conn, self._buckets, snap, to_months=rest)
            dl = defaults.dated_loans(flt, None if live else defaults.stored_through(conn), through)
            cohorts, defaulted = queries.vintage_counts(conn, flt, dl)
            losses = queries.losses(conn, flt, dl)
            total, blocked = attempts.counts(conn, flt, live=live)
            deadlines = queries.deadlines(conn, flt)
            scored = queries.calibration_rows(conn, flt, dl)
            investors = queries.investor_ids(conn) if self._nar_of is not None and flt.grade is None else []
        nar_of = self._nar_of
        return Portfolio(
            filter=flt,
            currency=self._currency,
            buckets=self._buckets,
            grade_months=tuple(grade_months),
            bucket_months=tuple(bucket_months),
            roll_rates=tuple(roll_rates(pairs, self._buckets)),
            vintages=tuple(vintage_curves(cohorts, defaulted, months(flt)[-1].label)),
            losses=tuple(losses),
            nar=nar_distribution(nar_of(i) for i in investors) if nar_of else nar_distribution(()),
            blocked=tuple(blocked_by_rule(blocked)),
            attempts=total,
            deadlines=tuple(deadlines),
            calibration=tuple(calibration(scored, self._pd_of)),
        )

    def month_end_step(self) -> MonthEndSnapshotStep:
        """End-of-day's step writing the month-end snapshot (bootstrap registers it after the other steps)."""
        return MonthEndSnapshotStep(self._buckets)

    def backfill(self, through: date | None = None) -> list[SnapshotMonth]:
        """Write the snapshot of every month-end from the first loan's month to `through` (default: the last closed).

        For a book that existed before the snapshot, or to rewrite it: each month-end is replaced, so a
        re-run writes the same rows. One transaction: a failure leaves the snapshot as it was. A month-end
        on or after the business date is refused (its day is not closed, its figures not final).
        """
        with self._uow() as uow:
            today = uow.clock.business_date()
            if through is not None and through >= today:
                raise Invalid("analytics_snapshot_open_date", f"{through} is not closed yet (business date {today})")
            first = snapshot.first_open_date(uow.conn)
            ends = [] if first is None else snapshot.month_ends_before(first, today)
            if through is not None:
                ends = [d for d in ends if d <= through]
            defaults.forget(uow.conn)
            # Every loan of the closed days, from one live derivation; the month-ends below read them.
            loans.rebuild(uow, today - timedelta(days=1))
            done = [SnapshotMonth(d, snapshot.write(uow, d, self._buckets)) for d in ends]
            # A month's attempts once the day after its end is closed too (attempts.py: its last UTC instants).
            for d in ends:
                if d + timedelta(days=1) < today:
                    attempts.write(uow, d)
            uow.commit()
        return done

    def training_set(self) -> TrainingSet:
        """Every loan booked from a scored application, with its application's feature row and whether it went bad.

        The observed window is the whole book up to the business date (docs/scoring.md, training from a
        simulated book): a loan is bad when it was more than 90 days past due or charged off by then.
        """
        with self._uow(read_only=True) as uow:
            as_of = uow.clock.business_date()
            conn = uow.conn
            rows = queries.training_rows(
                conn,
                defaults.dated_loans(Filter(as_of, as_of), defaults.stored_through(conn), loans.stored_through(conn)),
            )
        return TrainingSet(as_of, tuple(training_row(loan_id, f, d, as_of) for loan_id, f, d in rows))
