"""Record first, send after (P-4): a process killed between any two steps loses no record and sends nothing twice.

Each test runs one collection call in a child process (tests/collections/crashing.py)
that SIGKILLs itself at a named crash point, then opens the same database in this
process as the next run of the platform would, and lets the dispatcher finish
what was left.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

import fairlend
from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.collections.model import Outcome
from fairlend.collections.tables import contact_dispatch, contact_log
from fairlend.collections.wiring import Collections
from tests.collections.conftest import LoanSettled
from tests.collections.crashing import BORROWER, CALL, LOAN, FileChannel, open_world

START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
ROOT = Path(__file__).resolve().parents[2]
# The child imports fairlend from where this process did, so it runs the code under test: under
# mutmut that is mutants/src (with MUTANT_UNDER_TEST inherited), not the installed package.
CHILD_PATH = os.pathsep.join(
    p for p in (str(Path(fairlend.__file__).resolve().parents[1]), os.environ.get("PYTHONPATH")) if p
)


def _crash(database_url: str, channel: FileChannel, point: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FAIRLEND_CRASH_AT": point, "PYTHONPATH": CHILD_PATH}
    run = subprocess.run(
        [sys.executable, "-m", "tests.collections.crashing", database_url, START.isoformat(), str(channel.path)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == -signal.SIGKILL, run.stderr[-2000:]
    assert run.stdout == ""  # it never got to answer
    return run


def _reopen(
    database_url: str, tmp_path: Path, channel: FileChannel, after: timedelta
) -> tuple[Container, Collections, FixedClock]:
    clock = FixedClock(START + after, START.date())
    container, c = open_world(database_url, tmp_path, clock, channel)
    return container, c, clock


def _log(container: Container) -> list[tuple[str, str]]:
    with container.engine.connect() as conn:
        rows = conn.execute(sa.select(contact_log.c.outcome, contact_log.c.resolves).order_by(contact_log.c.seq))
        return [(r.outcome, r.resolves) for r in rows]


def _pending(container: Container) -> int:
    with container.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(contact_dispatch)).scalar_one())


@pytest.fixture
def channel(tmp_path: Path) -> FileChannel:
    return FileChannel(tmp_path / "delivered.jsonl")


def test_killed_before_the_decision_commits_nothing_is_recorded_and_nothing_sent(
    database_url: str, tmp_path: Path, channel: FileChannel
) -> None:
    _crash(database_url, channel, "gateway.before_record")
    container, c, _ = _reopen(database_url, tmp_path, channel, timedelta(minutes=5))
    assert _log(container) == [] and channel.delivered() == [] and _pending(container) == 0
    assert c.service.finish_dispatches() == {}
    container.close()


def test_killed_after_the_record_the_dispatcher_sends_it_once(
    database_url: str, tmp_path: Path, channel: FileChannel
) -> None:
    _crash(database_url, channel, "gateway.after_record")
    container, c, clock = _reopen(database_url, tmp_path, channel, timedelta(minutes=1))
    ((outcome, _),) = _log(container)
    assert outcome == "dispatching" and channel.delivered() == []
    # The borrower sees it at once, as being sent.
    assert [v.outcome for v in c.service.contacts_about(BORROWER)] == ["dispatching"]
    # Too young to be stranded: it may still be in the hands of the request that made it.
    assert c.service.finish_dispatches() == {}
    clock.advance(timedelta(minutes=2))
    assert c.service.finish_dispatches() == {"sent": 1}
    assert len(channel.delivered()) == 1 and _pending(container) == 0
    assert [v.outcome for v in c.service.contacts_about(BORROWER)] == ["sent"]
    assert c.service.finish_dispatches() == {}
    assert container.verify() == []
    container.close()


def test_killed_after_the_send_the_message_is_recorded_and_not_delivered_twice(
    database_url: str, tmp_path: Path, channel: FileChannel
) -> None:
    _crash(database_url, channel, "gateway.after_send")
    assert len(channel.delivered()) == 1
    container, c, _ = _reopen(database_url, tmp_path, channel, timedelta(minutes=3))
    assert [o for o, _ in _log(container)] == ["dispatching"] and _pending(container) == 1
    assert c.service.finish_dispatches() == {"sent": 1}
    (delivered,) = channel.delivered()  # handed over again with the same log id: delivered once
    attempt, outcome = _log(container)
    assert attempt == ("dispatching", "") and outcome == ("sent", delivered["log_id"])
    assert container.verify() == []
    container.close()


def test_a_stranded_message_about_a_loan_settled_meanwhile_is_cancelled_not_sent(
    database_url: str, tmp_path: Path, channel: FileChannel
) -> None:
    _crash(database_url, channel, "gateway.after_record")
    container, c, clock = _reopen(database_url, tmp_path, channel, timedelta(minutes=10))
    with container.uow() as uow:
        uow.publish(LoanSettled(LOAN, BORROWER, clock.business_date(), True, clock.business_date()))
        uow.commit()
    assert c.service.finish_dispatches() == {"cancelled": 1}
    assert channel.delivered() == []
    (view,) = c.service.contacts_about(BORROWER)
    assert view.outcome == "cancelled" and [r.rule for r in view.rules] == ["P-2"]
    container.close()


def test_a_stranded_message_found_after_hours_is_cancelled_and_one_found_too_late_expires(
    database_url: str, tmp_path: Path, channel: FileChannel
) -> None:
    _crash(database_url, channel, "gateway.after_record")
    late = START.replace(hour=14, minute=5) - START  # 22:05 in Shanghai
    container, c, _ = _reopen(database_url, tmp_path, channel, late)
    assert c.service.finish_dispatches() == {"cancelled": 1}
    (view,) = c.service.contacts_about(BORROWER)
    assert view.outcome == "cancelled" and [r.rule for r in view.rules] == ["CN-5"]
    container.close()
    _crash(database_url, channel, "gateway.after_record")
    container, c, _ = _reopen(database_url, tmp_path, channel, timedelta(minutes=31))
    assert c.service.finish_dispatches() == {"expired": 1}
    assert channel.delivered() == [] and container.verify() == []
    container.close()


def test_a_message_still_dispatching_counts_as_a_connected_call_for_the_caps(
    database_url: str, tmp_path: Path, channel: FileChannel
) -> None:
    """CN-5 allows 3 connected calls a day: a call whose outcome is unknown may have been one."""
    _crash(database_url, channel, "gateway.after_record")
    container, c, clock = _reopen(database_url, tmp_path, channel, timedelta(minutes=1))
    for _ in range(2):
        clock.advance(timedelta(seconds=10))
        assert c.gateway.attempt(CALL).outcome is Outcome.SENT  # the file channel connects
    clock.advance(timedelta(seconds=10))
    assert c.gateway.attempt(CALL).rules == ("CN-5",)
    container.close()


def test_the_crash_child_answers_normally_when_no_point_is_named(
    database_url: str, tmp_path: Path, channel: FileChannel
) -> None:
    """The harness itself: without FAIRLEND_CRASH_AT the child makes the call and answers."""
    env = {**{k: v for k, v in os.environ.items() if k != "FAIRLEND_CRASH_AT"}, "PYTHONPATH": CHILD_PATH}
    run = subprocess.run(
        [sys.executable, "-m", "tests.collections.crashing", database_url, START.isoformat(), str(channel.path)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert json.loads(run.stdout)["outcome"] == "sent" and len(channel.delivered()) == 1
