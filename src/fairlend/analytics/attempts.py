"""Contact attempts by outcome, rules and collector: a monthly read model, the rest of the range live.

The live count reads the contact log (collections' published `contact_attempts`) over the range's
instants, grouped by outcome, rules and collector; over a year of a large book that is a scan of
most of the log on every load. A past month's counts never change, so they are stored once per
calendar month (`analytics_attempt_month`), set-based, by end-of-day on the day after the month's
end: the month is counted in UTC instants, as the live count is, and in a jurisdiction ahead of UTC
the month's last local day ends before its last UTC instant. The reader takes the stored months that
lie wholly inside the range and counts live (on the log's `at` index) only the rest: a part-month at
either end, and the months not written.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, Date, delete, func, insert, literal, select, union_all

from fairlend.analytics import sources
from fairlend.analytics.built import statement
from fairlend.analytics.model import Filter, months
from fairlend.analytics.tables import analytics_attempt_month, analytics_attempt_snapshot
from fairlend.db.uow import UnitOfWork

BLOCKED = "blocked"


def _instant(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _live(first: date, last: date) -> Any:
    """(outcome, rules, collector_id, attempts) from the log for the instants of the days `first`..`last`."""
    a = sources.attempts().subquery("a")
    return (
        select(a.c.outcome.label("outcome"), a.c.rules.label("rules"), a.c.collector_id.label("collector_id"))
        .add_columns(func.count().label("attempts"))
        .where(a.c.at >= _instant(first), a.c.at < _instant(last + timedelta(days=1)))
        .group_by(a.c.outcome, a.c.rules, a.c.collector_id)
    )


def write(uow: UnitOfWork, month_end: date) -> int:
    """Replace the stored counts of `month_end`'s calendar month with the live ones; the attempts counted."""
    t = analytics_attempt_month
    conn = uow.conn
    live = _live(month_end.replace(day=1), month_end).subquery("live")
    conn.execute(delete(t).where(t.c.month_end == month_end))
    conn.execute(delete(analytics_attempt_snapshot).where(analytics_attempt_snapshot.c.month_end == month_end))
    conn.execute(
        insert(t).from_select(
            ["month_end", "outcome", "rules", "collector_id", "attempts"],
            select(literal(month_end, Date), live.c.outcome, live.c.rules, live.c.collector_id, live.c.attempts),
        )
    )
    counted = conn.execute(select(func.coalesce(func.sum(t.c.attempts), 0)).where(t.c.month_end == month_end))
    total = int(counted.scalar_one())
    conn.execute(
        insert(analytics_attempt_snapshot).values(month_end=month_end, attempts=total, written_at=uow.clock.now())
    )
    return total


def _spans(days: list[tuple[date, date]]) -> list[tuple[date, date]]:
    """Consecutive (first, last) day ranges merged, so the live part is as few reads of the log as can be."""
    out: list[tuple[date, date]] = []
    for first, last in days:
        if out and out[-1][1] + timedelta(days=1) == first:
            out[-1] = (out[-1][0], last)
        else:
            out.append((first, last))
    return out


def counts(conn: Connection, flt: Filter, *, live: bool = False) -> tuple[int, list[tuple[str, str, int]]]:
    """All attempts in the range, and the blocked ones as (rules, collector, attempts): stored months, the rest live."""
    ms = months(flt)
    whole = [m.last for m in ms if m.first.day == 1 and (m.last + timedelta(days=1)).day == 1]
    written: set[date] = set()
    if whole and not live:
        s = analytics_attempt_snapshot
        written = set(conn.execute(select(s.c.month_end).where(s.c.month_end.in_(whole))).scalars())
    spans = tuple(_spans([(m.first, m.last) for m in ms if m.last not in written]))
    rows: list[Any] = list(conn.execute(_counts_statement(spans, tuple(sorted(written)))).all())
    total = 0
    blocked: dict[tuple[str, str], int] = defaultdict(int)
    for outcome, rules, collector, n in rows:
        total += int(n)
        if outcome == BLOCKED:
            blocked[str(rules), str(collector)] += int(n)
    return total, [(r, c, n) for (r, c), n in sorted(blocked.items())]


@statement
def _counts_statement(spans: tuple[tuple[date, date], ...], written: tuple[date, ...]) -> Any:
    """The live spans' counts and the written months' stored ones, as one statement."""
    parts: list[Any] = [_live(first, last) for first, last in spans]
    if written:
        t = analytics_attempt_month
        parts.append(select(t.c.outcome, t.c.rules, t.c.collector_id, t.c.attempts).where(t.c.month_end.in_(written)))
    return parts[0] if len(parts) == 1 else union_all(*parts)
