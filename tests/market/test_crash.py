"""A process SIGKILLed between "cash reserved" and "note created" leaves neither (issue #13, faults).

The investment that completes a listing runs in a child process that kills
itself at `market.after_reserve` (the investor's cash reserved, the listing
grown, nothing originated) or `market.before_notes` (the loan booked and the
cash moving, the notes not yet written). Opened again, the database holds no
reservation, no note, no loan, the listing still open with what it had, and
`fairlend verify` is clean; the same investment then goes through.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from fairlend.bootstrap import Container
from fairlend.lending.tables import loan
from fairlend.market.tables import market_note
from tests.market.support import build, yuan


def _child(
    database_url: str, day: str, listing: str, investor: str, amount: str, point: str | None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAIRLEND_CRASH")}
    if point:
        env["FAIRLEND_CRASH_AT"] = point
    return subprocess.run(
        [sys.executable, "-m", "tests.market.crashing", database_url, day, listing, investor, amount],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _count(container: Container, table: object) -> int:
    with container.uow(read_only=True) as uow:
        return int(uow.conn.execute(select(func.count()).select_from(table)).scalar() or 0)  # type: ignore[arg-type]


@pytest.mark.parametrize("point", ["market.after_reserve", "market.before_notes"])
def test_a_crash_between_reserving_cash_and_creating_the_note_leaves_neither(
    container: Container, database_url: str, point: str
) -> None:
    world = build(container)
    listing = world.offer()
    world.investor("inv_ann", cash=6_000)
    world.market.commitments.invest("inv_ann", listing, yuan(6_000))
    world.investor("inv_bob", cash=5_000)
    before = (world.market.wallets.wallet("inv_bob"), world.market.listings.get(listing).funded)
    day = container.clock.business_date().isoformat()
    crashed = _child(database_url, day, listing, "inv_bob", "4000", point)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr[-2000:]
    assert (world.market.wallets.wallet("inv_bob"), world.market.listings.get(listing).funded) == before
    assert world.market.commitments.of_investor("inv_bob") == []
    assert _count(container, market_note) == 0 and _count(container, loan) == 0
    assert world.market.listings.get(listing).status.value == "open"
    assert container.verify() == []
    done = _child(database_url, day, listing, "inv_bob", "4000", None)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().startswith("loan_")
    assert _count(container, market_note) == 2
    assert container.verify() == []
