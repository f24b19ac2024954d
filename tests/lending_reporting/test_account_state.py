"""The Metro 2 export reads each account's kept state instead of replaying every reporting file.

Each file's records are folded once onto `lending_reporting_account`; a day's
file built from the states is the file the replay of all records builds.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import sqlalchemy as sa

from fairlend.bootstrap import Container
from fairlend.lending_reporting import account_state
from fairlend.lending_reporting.tables import lending_reporting_account, lending_reporting_file
from tests.metro2.life import LIFE, REF

DAYS = sorted({r["date"] for r in LIFE})


def _store(container: Container, day: str, records: list[dict[str, object]]) -> None:
    with container.uow() as uow:
        uow.conn.execute(
            sa.insert(lending_reporting_file).values(
                business_date=date.fromisoformat(day),
                content="".join(json.dumps(r) + "\n" for r in records),
                records=len(records),
                created_at=datetime(2025, 1, 1, tzinfo=UTC),
            )
        )
        uow.commit()


def test_each_days_file_from_the_kept_states_is_the_file_the_replay_of_every_record_builds(
    container: Container,
) -> None:
    from_states = {}
    for day in DAYS:
        _store(container, day, [r for r in LIFE if r["date"] == day])
        from_states[day] = container.metro2.build(date.fromisoformat(day))
    # A day before the last file is rebuilt by replaying the files up to it: the reference.
    for day in DAYS[:-1]:
        assert container.metro2.build(date.fromisoformat(day)) == from_states[day], day
    with container.uow(read_only=True) as uow:
        row = uow.conn.execute(sa.select(lending_reporting_account)).mappings().one()
    # Paid on the last day: status 13's facts are the state row's.
    assert (row["account_ref"], row["state"], row["balance"], row["closed_on"]) == (REF, "paid", 0, date(2025, 11, 10))


def test_a_file_is_folded_once_and_records_appended_to_it_later_are_folded_alone(container: Container) -> None:
    for day in DAYS[:-1]:
        _store(container, day, [r for r in LIFE if r["date"] == day])
    last = [r for r in LIFE if r["date"] == DAYS[-1]]
    assert len(last) >= 2
    _store(container, DAYS[-1], last[:1])
    codes = container.profile.bureau.modification_codes
    with container.uow() as uow:
        assert account_state.catch_up(uow.conn, codes) == len(LIFE) - len(last) + 1
        assert account_state.catch_up(uow.conn, codes) == 0
        # End-of-day's catch-up run appends the rest of the day's records to the day's file.
        uow.conn.execute(
            sa.update(lending_reporting_file)
            .where(lending_reporting_file.c.business_date == date.fromisoformat(DAYS[-1]))
            .values(content="".join(json.dumps(r) + "\n" for r in last), records=len(last))
        )
        assert account_state.catch_up(uow.conn, codes) == len(last) - 1
        state = account_state.load(uow.conn, [REF])[REF]
        uow.commit()
    # The final repayment counted once: the month's payments are the two November records' sum, not more.
    november = sum(int(r["amount"]) for r in LIFE if r["type"] == "repayment" and r["date"].startswith("2025-11"))
    assert state.state == "paid" and max(state.paid_in_month.values()) == november
