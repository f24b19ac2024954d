"""Child process of the market crash tests: one investment that completes a listing, killed at a crash point.

    python -m tests.market.crashing DATABASE_URL YYYY-MM-DD LISTING_ID INVESTOR_ID AMOUNT

Run with FAIRLEND_CRASH_AT set, it SIGKILLs itself there (fairlend.faults);
without it, it invests and prints the loan id.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import UTC, date, datetime, time
from pathlib import Path

from fairlend.bootstrap import bootstrap
from fairlend.clock import FixedClock
from fairlend.config import Settings
from tests.market.support import build, yuan


def main(argv: list[str]) -> None:
    url, day, listing_id, investor_id, amount = argv
    today = date.fromisoformat(day)
    clock = FixedClock(datetime.combine(today, time(2), tzinfo=UTC), today)
    settings = Settings(environment="test", database_url=url, data_dir=Path(tempfile.mkdtemp()))
    container = bootstrap(settings, clock=clock)
    world = build(container)
    world.people.verified_ids.add(investor_id)
    made = world.market.commitments.invest(investor_id, listing_id, yuan(amount))
    print(made.loan_id)


if __name__ == "__main__":
    main(sys.argv[1:])
