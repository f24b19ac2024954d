"""Child process of the secondary market's crash test: one purchase, killed at a crash point.

    python -m tests.market.crashing_trade DATABASE_URL YYYY-MM-DD ORDER_ID BUYER_ID

Run with FAIRLEND_CRASH_AT set, it SIGKILLs itself there (fairlend.faults);
without it, it buys and prints the trade id.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import UTC, date, datetime, time
from pathlib import Path

from fairlend.bootstrap import bootstrap
from fairlend.clock import FixedClock
from fairlend.config import Settings
from tests.market.support import build


def main(argv: list[str]) -> None:
    url, day, order_id, buyer_id = argv
    today = date.fromisoformat(day)
    clock = FixedClock(datetime.combine(today, time(2), tzinfo=UTC), today)
    settings = Settings(environment="test", database_url=url, data_dir=Path(tempfile.mkdtemp()))
    container = bootstrap(settings, clock=clock)
    world = build(container)
    world.people.verified_ids.add(buyer_id)
    print(world.market.trades.buy(buyer_id, order_id).id)


if __name__ == "__main__":
    main(sys.argv[1:])
