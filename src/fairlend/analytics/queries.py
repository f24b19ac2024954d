"""The measures as set-based SQL over `sources`: one statement per measure, aggregated in the database.

The months of the range are a small VALUES-like CTE (`month_rows`), joined by
date range, so nothing depends on a dialect's date functions: the same
statements run on SQLite and PostgreSQL. A loan's status at a month's end is
its bucket from the latest delinquency transition on or before that day (the
first bucket when it never moved), `settled` or `charged_off` once it left the
book. Python only reshapes what comes back (model.py).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    CTE,
    Connection,
    Date,
    Integer,
    Select,
    String,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.sql.elements import ColumnElement

from fairlend.analytics import loans, sources
from fairlend.analytics.built import statement
from fairlend.analytics.model import (
    CALIBRATION_MONTHS,
    CHARGED_OFF,
    SETTLED,
    BucketMonth,
    Deadlines,
    Filter,
    GradeLoss,
    GradeMonth,
    Month,
    month_index,
    months,
)
from fairlend.db.types import UtcDateTime


def _instant(day: Any) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def month_rows(ms: list[Month], *, numbered: list[int] | None = None, name: str = "months") -> CTE:
    """The months as rows; `numbered` gives each its index in the whole range when `ms` is a part of it."""
    return _month_rows(tuple(ms), None if numbered is None else tuple(numbered), name)


@statement
def _month_rows(ms: tuple[Month, ...], numbered: tuple[int, ...] | None, name: str) -> CTE:
    rows = [
        select(
            literal(m.label, String).label("month"),
            literal(i, Integer).label("n"),
            literal(m.first, Date).label("m_first"),
            literal(m.last, Date).label("m_last"),
            literal(_instant(m.first), UtcDateTime).label("m_from"),
            literal(_instant(m.last + timedelta(days=1)), UtcDateTime).label("m_to"),
        )
        for i, m in zip(numbered or range(len(ms)), ms, strict=True)
    ]
    return (union_all(*rows) if len(rows) > 1 else rows[0]).cte(name)


@statement
def filtered_loans(flt: Filter, loans_through: date | None = None) -> Any:
    """The loans (of the filter's grade): `loans.current`, stored through `loans_through` (None: all live)."""
    q = loans.current(loans_through)
    inner = q.subquery("l0")
    out = select(*inner.c)
    if flt.grade:
        out = out.where(inner.c.grade == flt.grade)
    return out.subquery("l")


def _status_at(lo: Any, day: Any, first_bucket: str) -> ColumnElement[Any]:
    t = sources.transitions().subquery("ts")
    latest = (
        select(t.c.to_bucket)
        .where(t.c.borrower_id == lo.c.borrower_id, t.c.loan_id == lo.c.loan_id, t.c.business_date <= day)
        .order_by(t.c.business_date.desc(), t.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return case(
        (and_(lo.c.closed_on.is_not(None), lo.c.closed_on <= day), literal(CHARGED_OFF, String)),
        (and_(lo.c.settled_on.is_not(None), lo.c.settled_on <= day), literal(SETTLED, String)),
        else_=func.coalesce(latest, literal(first_bucket, String)),
    )


@statement
def live_month_ends(
    flt: Filter,
    ms: CTE,
    first_bucket: str,
    *,
    left_since: date | None = None,
    opened_after: date | None = None,
    loans_through: date | None = None,
) -> Select[Any]:
    """(month, n, loan, grade, status, principal outstanding) at each month's end for every loan open by then.

    Computed from the published selectables: a correlated look-up of the latest transition and of the
    principal repaid per loan and month. snapshot.py stores what this gives for each past month-end, for
    the loans on the book and those that left it on or after `left_since` (the month's first day): a
    loan gone before is in no measure of that month, nor the destination of a roll into it.
    `opened_after`: only the loans opened after that day (the others carried from a stored month-end).
    `loans_through`: the day through which the per-loan read model is stored (loans.py; None: none).
    """
    lo = filtered_loans(flt, loans_through)
    r = sources.repayments().subquery("r")
    repaid = (
        select(func.coalesce(func.sum(r.c.principal), 0))
        .where(
            r.c.borrower_id == lo.c.borrower_id,
            r.c.loan_id == lo.c.loan_id,
            r.c.business_date <= ms.c.m_last,
            r.c.kind == "repayment",
        )
        .scalar_subquery()
    )
    status = _status_at(lo, ms.c.m_last, first_bucket)
    gone = or_(
        and_(lo.c.closed_on.is_not(None), lo.c.closed_on <= ms.c.m_last),
        and_(lo.c.settled_on.is_not(None), lo.c.settled_on <= ms.c.m_last),
    )
    kept = (or_(~gone, lo.c.closed_on >= left_since, lo.c.settled_on >= left_since),) if left_since is not None else ()
    if opened_after is not None:
        kept += (lo.c.open_date > opened_after,)
    return (
        select(
            ms.c.month,
            ms.c.n,
            lo.c.borrower_id,
            lo.c.loan_id,
            lo.c.grade,
            status.label("status"),
            (lo.c.principal - repaid).label("outstanding"),
        )
        .select_from(lo)
        .join(ms, lo.c.open_date <= ms.c.m_last)
        .where(*kept)
    )


def month_ends(
    conn: Connection, flt: Filter, buckets: tuple[str, ...], snap: CTE, loans_through: date | None = None
) -> tuple[list[GradeMonth], list[BucketMonth]]:
    """Originations and balances by grade and month, and loans by bucket at each month's end.

    `snap` is the month-ends' rows (snapshot.py: stored where written, live for the other months),
    read once for both.
    """
    made_q, held_q = _month_ends_statements(flt, snap, loans_through)
    made = conn.execute(made_q).all()
    held = conn.execute(held_q).all()
    cells: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    in_bucket: dict[tuple[str, str], int] = defaultdict(int)
    for month, grade, n, amount in made:
        cells[month, grade][0] += int(n)
        cells[month, grade][1] += int(amount or 0)
    for month, grade, status, n, amount in held:
        cells[month, grade][2] += int(amount or 0)
        in_bucket[month, status] += int(n)
    order = {b: i for i, b in enumerate(buckets)}
    return (
        [GradeMonth(m, g, *v) for (m, g), v in sorted(cells.items())],
        [BucketMonth(m, b, n) for (m, b), n in sorted(in_bucket.items(), key=lambda kv: (kv[0][0], order[kv[0][1]]))],
    )


@statement
def _month_ends_statements(flt: Filter, snap: CTE, loans_through: date | None) -> tuple[Select[Any], Select[Any]]:
    ms = month_rows(months(flt))
    lo = filtered_loans(flt, loans_through)
    made = (
        select(ms.c.month, lo.c.grade, func.count(), func.sum(lo.c.principal))
        .select_from(lo)
        .join(ms, lo.c.open_date.between(ms.c.m_first, ms.c.m_last))
        .group_by(ms.c.month, lo.c.grade)
    )
    held = (
        select(snap.c.month, snap.c.grade, snap.c.status, func.count(), func.sum(snap.c.outstanding))
        .where(snap.c.status.not_in((SETTLED, CHARGED_OFF)))
        .group_by(snap.c.month, snap.c.grade, snap.c.status)
    )
    return made, held


def roll_pairs(
    conn: Connection, buckets: tuple[str, ...], snap: CTE, *, to_months: list[int] | None = None
) -> list[tuple[str, str, int]]:
    """(bucket at a month's end, status at the next month's end, loans) over pairs of months in the range.

    `to_months`: only the pairs ending in those months (by index in the range; None: every pair). The
    pairs ending in a stored month that knows its month-end before come from `snapshot.stored_rolls`.
    """
    if to_months == []:
        return []
    rows = conn.execute(_roll_pairs_statement(buckets, snap, None if to_months is None else tuple(to_months))).all()
    return [(str(a), str(b), int(n)) for a, b, n in rows]


@statement
def _roll_pairs_statement(buckets: tuple[str, ...], snap: CTE, to_months: tuple[int, ...] | None) -> Select[Any]:
    nxt = snap.alias("nxt")
    q = (
        select(snap.c.status, nxt.c.status, func.count())
        .select_from(snap)
        .join(
            nxt,
            and_(nxt.c.borrower_id == snap.c.borrower_id, nxt.c.loan_id == snap.c.loan_id, nxt.c.n == snap.c.n + 1),
        )
        .where(snap.c.status.in_(buckets))
        .group_by(snap.c.status, nxt.c.status)
    )
    return q if to_months is None else q.where(nxt.c.n.in_(to_months))


def vintage_counts(conn: Connection, flt: Filter, dl: Any) -> tuple[list[tuple[str, int]], list[tuple[str, str, int]]]:
    """Loans opened per month, and defaults per opening month and default month; `dl`: `defaults.dated_loans`."""
    cohorts_q, defaults_q = _vintage_statements(flt, dl)
    cohorts = conn.execute(cohorts_q).all()
    defaults = conn.execute(defaults_q).all()
    return [(m, int(n)) for m, n in cohorts], [(v, d, int(n)) for v, d, n in defaults]


@statement
def _vintage_statements(flt: Filter, dl: Any) -> tuple[Select[Any], Select[Any]]:
    ms = month_rows(months(flt))
    lo = dl
    cohorts = (
        select(ms.c.month, func.count())
        .select_from(lo)
        .join(ms, lo.c.open_date.between(ms.c.m_first, ms.c.m_last))
        .group_by(ms.c.month)
    )
    dated = select(lo.c.open_date, lo.c.default_on).subquery("d")
    md = ms.alias("md")
    defaults = (
        select(ms.c.month, md.c.month, func.count())
        .select_from(dated)
        .join(ms, dated.c.open_date.between(ms.c.m_first, ms.c.m_last))
        .join(md, dated.c.default_on.between(md.c.m_first, md.c.m_last))
        .group_by(ms.c.month, md.c.month)
    )
    return cohorts, defaults


def losses(conn: Connection, flt: Filter, dl: Any) -> list[GradeLoss]:
    by_grade_q, recovered_q = _losses_statements(flt, dl)
    by_grade = conn.execute(by_grade_q).all()
    recovered: dict[str, int] = dict(conn.execute(recovered_q).all())
    return [
        GradeLoss(g, int(n), int(d or 0), int(c or 0), int(recovered.get(g) or 0))
        for g, n, d, c in sorted(by_grade, key=lambda row: (row[0] == "", row[0]))
    ]


@statement
def _losses_statements(flt: Filter, dl: Any) -> tuple[Select[Any], Select[Any]]:
    lo = dl
    default_on = lo.c.default_on
    closed_in = and_(lo.c.closed_on.is_not(None), lo.c.closed_on.between(flt.start, flt.end))
    by_grade = (
        select(
            lo.c.grade,
            func.count(),
            func.sum(case((default_on <= flt.end, 1), else_=0)),
            func.sum(case((closed_in, lo.c.closed_amount), else_=0)),
        )
        .where(lo.c.open_date <= flt.end)
        .group_by(lo.c.grade)
    )
    r = sources.repayments().subquery("r")
    recovered = (
        select(lo.c.grade, func.sum(r.c.amount - r.c.refunded))
        .select_from(r)
        .join(lo, and_(lo.c.borrower_id == r.c.borrower_id, lo.c.loan_id == r.c.loan_id))
        .where(r.c.kind == "recovery", r.c.business_date.between(flt.start, flt.end))
        .group_by(lo.c.grade)
    )
    return by_grade, recovered


def calibration_rows(conn: Connection, flt: Filter, dl: Any) -> list[tuple[str, int | None, int, int, int]]:
    """(grade, score, loans, defaulted within 12 months, seasoned 12 months) per grade and score, loans opened in range.

    The 12-month window is counted in calendar months by the month's index, which the database
    groups and Python compares, so that no dialect's date arithmetic is needed.
    """
    rows = conn.execute(_calibration_statement(flt, dl)).all()
    last = month_index(f"{flt.end.year:04d}-{flt.end.month:02d}")
    out: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    for grade, score, opened, defaulted, n in rows:
        cell = out[grade, int(score)]
        cell[0] += n
        if defaulted is not None and month_index(defaulted) - month_index(opened) < CALIBRATION_MONTHS:
            cell[1] += n
        if last - month_index(opened) >= CALIBRATION_MONTHS:
            cell[2] += n
    return [(g, s, *v) for (g, s), v in sorted(out.items())]  # type: ignore[misc]


@statement
def _calibration_statement(flt: Filter, dl: Any) -> Select[Any]:
    ms = month_rows(months(flt))
    lo = dl
    dated = select(lo.c.grade, lo.c.score, lo.c.open_date, lo.c.default_on).subquery("c")
    md = ms.alias("md")
    return (
        select(dated.c.grade, dated.c.score, ms.c.month, md.c.month, func.count())
        .select_from(dated)
        .join(ms, dated.c.open_date.between(ms.c.m_first, ms.c.m_last))
        .outerjoin(md, and_(dated.c.default_on.is_not(None), dated.c.default_on.between(md.c.m_first, md.c.m_last)))
        .where(dated.c.score.is_not(None))
        .group_by(dated.c.grade, dated.c.score, ms.c.month, md.c.month)
    )


def _deadline_counts(received: Any, due: Any, answered: Any, as_of: Any) -> tuple[Any, ...]:
    """On time, late, open within the deadline, open past it: as of `as_of`, an answer later than it is not one."""
    done = and_(answered.is_not(None), answered <= as_of)
    pending = or_(answered.is_(None), answered > as_of)

    def count(cond: ColumnElement[bool]) -> Any:
        return func.sum(case((cond, 1), else_=0))

    return (
        count(and_(done, answered <= due)),
        count(and_(done, answered > due)),
        count(and_(pending, due >= as_of)),
        count(and_(pending, due < as_of)),
    )


def deadlines(conn: Connection, flt: Filter) -> list[Deadlines]:
    """Complaints (instants) and hardship requests (business dates) received in each month, as of the range's end."""
    complaints_q, requests_q = _deadlines_statements(flt)
    complaints = conn.execute(complaints_q).all()
    requests = conn.execute(requests_q).all()
    out = [Deadlines("complaint", m, *(int(x or 0) for x in rest)) for m, *rest in complaints]
    return out + [Deadlines("hardship", m, *(int(x or 0) for x in rest)) for m, *rest in requests]


@statement
def _deadlines_statements(flt: Filter) -> tuple[Select[Any], Select[Any]]:
    ms = month_rows(months(flt))
    c = sources.complaints().subquery("c")
    as_of = literal(_instant(flt.end + timedelta(days=1)), UtcDateTime)
    complaints = (
        select(ms.c.month, *_deadline_counts(c.c.filed_at, c.c.answer_due, c.c.answered_at, as_of))
        .select_from(c)
        .join(ms, and_(c.c.filed_at >= ms.c.m_from, c.c.filed_at < ms.c.m_to))
        .group_by(ms.c.month)
    )
    h = sources.hardship_requests().subquery("h")
    requests = (
        select(ms.c.month, *_deadline_counts(h.c.requested_on, h.c.answer_due, h.c.answered_on, literal(flt.end, Date)))
        .select_from(h)
        .join(ms, h.c.requested_on.between(ms.c.m_first, ms.c.m_last))
        .group_by(ms.c.month)
    )
    return complaints, requests


def investor_ids(conn: Connection) -> list[str]:
    return [str(i) for i in conn.execute(sources.investors()).scalars()]


def training_rows(conn: Connection, dl: Any) -> list[tuple[str, dict[str, Any], date | None]]:
    """(loan id, the application's feature row, the day it went into default or None) per scored loan, by loan id.

    `dl`: every loan with its default date (`defaults.dated_loans` without a grade).
    """
    scored = sources.application_features().subquery("af")
    lo = dl
    rows = conn.execute(
        select(scored.c.loan_id, scored.c.features, lo.c.default_on)
        .select_from(scored)
        .join(lo, and_(lo.c.loan_id == scored.c.loan_id, lo.c.borrower_id == scored.c.borrower_id))
        .order_by(scored.c.loan_id)
    ).all()
    return [(str(loan_id), dict(features or {}), default_on) for loan_id, features, default_on in rows]
