"""The ladder, the priority and the task ids as SQL: the pieces of the planner's INSERT ... SELECT.

Each is the SQL twin of a Python function that stays the reference:
`overdue_steps` of `Ladder.steps_for_overdue`, `before_due_steps` of
`Ladder.step_before_due`, `priority` of `ladder.priority`, `block_id` of
`fairlend.ids.new_id`. tests/collections/test_plan_sql.py holds each pair
equal on both databases. Written with portable SQL only (CASE, integer
shifts and masks, `substr`), so one expression serves SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Integer, Select, String, case, cast, func, literal, select, union_all

from fairlend.collections.ladder import Ladder
from fairlend.ids import IdBlock

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # fairlend.ids' Crockford base32
_NEVER = 2**31 - 1  # a days-past-due no loan reaches: the top ongoing step's upper bound
_LOW40 = (1 << 40) - 1
PRIORITY_DAYS = 9_999
PRIORITY_MINOR = 10**12 - 1


def _rows(names: tuple[str, ...], types: tuple[Any, ...], rows: list[tuple[Any, ...]]) -> Select[Any]:
    """A small constant table as a SELECT (a VALUES list neither dialect names the same way)."""
    selects = [
        select(*(literal(value, type_).label(name) for name, type_, value in zip(names, types, row, strict=True)))
        for row in rows
    ]
    if not selects:  # no such steps: an empty table of the same shape
        empty = select(*(cast(literal(None), type_).label(name) for name, type_ in zip(names, types, strict=True)))
        return empty.where(literal(1) == 0)
    return selects[0] if len(selects) == 1 else union_all(*selects).subquery().select()


def overdue_steps(ladder: Ladder) -> Select[Any]:
    """`lo`, `hi`, `step`, `action`, `medium`, `ord`: a loan `dpd` days past due gets the rows with
    `lo <= dpd <= hi` — at most one ongoing step (the highest it has reached) and the day's one-off steps,
    in `steps_for_overdue`'s order (`ord`)."""
    rows: list[tuple[Any, ...]] = []
    upper = _NEVER
    for step in ladder.ongoing:  # sorted by from_dpd, descending: each holds until the next one starts
        rows.append((step.from_dpd, upper, step.name, step.action, step.medium, 0))
        upper = min(upper, step.from_dpd - 1)
    for dpd, steps in ladder.one_off.items():
        rows.extend((dpd, dpd, s.step, s.action, s.medium, n + 1) for n, s in enumerate(steps))
    names = ("lo", "hi", "step", "action", "medium", "ord")
    return _rows(names, (Integer, Integer, String, String, String, Integer), [r for r in rows if r[0] <= r[1]])


def before_due_steps(ladder: Ladder) -> Select[Any]:
    """`days`, `step`, `action`, `medium`: the reminder on the day `days` before a due date."""
    rows = [(days, s.name, s.action, s.medium) for days, s in ladder.before_due.items()]
    return _rows(("days", "step", "action", "medium"), (Integer, String, String, String), rows)


def _clamp(value: ColumnElement[Any], top: int) -> ColumnElement[Any]:
    return case((value < 0, literal(0, BigInteger)), (value > top, literal(top, BigInteger)), else_=value)


def priority(days_past_due: ColumnElement[Any], overdue_minor: ColumnElement[Any]) -> ColumnElement[Any]:
    """`ladder.priority` in SQL: older debts first, then larger ones."""
    return cast(_clamp(days_past_due, PRIORITY_DAYS), BigInteger) * literal(PRIORITY_MINOR + 1, BigInteger) + cast(
        _clamp(overdue_minor, PRIORITY_MINOR), BigInteger
    )


def _digits(value: ColumnElement[Any], count: int) -> ColumnElement[Any]:
    """`value` (non-negative, under 2**(5 * count)) as `count` base32 digits, most significant first."""
    out: ColumnElement[Any] | None = None
    for shift in range(5 * (count - 1), -1, -5):
        index = cast(value.op(">>")(literal(shift, Integer)).op("&")(literal(31, BigInteger)), Integer) + 1
        digit = func.substr(literal(_ALPHABET), index, 1)
        out = digit if out is None else out.concat(digit)
    assert out is not None
    return out


def block_id(block: IdBlock, n: ColumnElement[Any]) -> ColumnElement[Any]:
    """The n-th id of `block` (n counts from 0): `new_id`'s 26-character form, in SQL.

    The 80 random bits are split in two 40-bit halves so that every step fits
    a 64-bit integer on both databases.
    """
    low = literal(block.low & _LOW40, BigInteger) + cast(n, BigInteger)
    high = literal(block.low >> 40, BigInteger) + low.op(">>")(literal(40, Integer))
    return (
        literal(block.head, String)
        .concat(_digits(high, 8))
        .concat(_digits(low.op("&")(literal(_LOW40, BigInteger)), 8))
    )
