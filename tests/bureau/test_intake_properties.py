"""Properties of intake: how a day's records are split into files does not change the credit file."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fairlend.bureau.service import BureauService
from tests.bureau.conftest import Records, lines

_people = itertools.count(1)


def _id_number() -> str:
    return f"1101011990{next(_people):08d}"


@st.composite
def histories(draw: st.DrawFn) -> list[tuple[int, int]]:
    """(days after opening, days overdue) status reports in date order."""
    steps = draw(st.lists(st.tuples(st.integers(1, 40), st.integers(0, 200)), min_size=1, max_size=12))
    out, day = [], 0
    for gap, overdue in steps:
        day += gap
        out.append((day, overdue))
    return out


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=histories(), cut=st.integers(0, 14), settle=st.booleans())
def test_one_file_or_two_gives_the_same_report(
    bureau: BureauService, history: list[tuple[int, int]], cut: int, settle: bool
) -> None:
    opened = date(2024, 1, 10)
    reports = []
    for split in (False, True):
        id_number = _id_number()
        r = Records("L1", id_number)
        records = [r.opened(opened), r.notice(opened)]
        records += [r.status(opened + timedelta(days=d), overdue) for d, overdue in history]
        if settle:
            records.append(r.settled(opened + timedelta(days=history[-1][0] + 3)))
        institution = bureau.register_institution("Bank").institution_id
        if split:
            first, second = records[: min(cut, len(records))], records[min(cut, len(records)) :]
            acks = [bureau.submit(institution, lines(*part)) for part in (first, second) if part]
        else:
            acks = [bureau.submit(institution, lines(*records))]
        assert all(ack.rejected == () for ack in acks)
        reports.append(bureau.report(id_number))
    whole, parts = reports
    assert [a.grid for a in whole.accounts] == [a.grid for a in parts.accounts]
    assert [a.negative_records for a in whole.accounts] == [a.negative_records for a in parts.accounts]
    assert [(a.balance, a.state, a.account_status) for a in whole.accounts] == [
        (a.balance, a.state, a.account_status) for a in parts.accounts
    ]
    assert whole.summary == parts.summary
