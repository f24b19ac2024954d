"""Metro 2 intake at the bureau: base segments/s parsed, checked and applied into SQLite (bench/bureau.py runs it).

Two files for the same accounts, as a furnisher sends them: the first
month's (every account new: each base segment opens its account and gives
its status) and the next month-end's (every account known: a status each).
Memory: the peak Python allocation while intake reads a file (one pass: every
field and the trailer's totals, a chunk of segments at a time), for
the file and for a file four times its size: flat means the same peak.
"""

from __future__ import annotations

import statistics
import tempfile
import time
import tracemalloc
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from fairlend.bootstrap import Container, bootstrap
from fairlend.bureau.client import InProcessBureau
from fairlend.bureau.metro2 import parts
from fairlend.clock import FixedClock
from fairlend.config import Settings
from fairlend.db.migrate import upgrade
from fairlend.metro2.file import Account, write

TARGET = 50_000  # base segments/s on SQLite (issue #20)


def build_metro2_file(accounts: int, as_of: date, *, overdue_every: int = 17) -> bytes:
    def segment(a: int) -> Account:
        late = a % overdue_every == 0
        values: dict[str, Any] = {
            "processing_indicator": 1,
            "consumer_account_number": f"M{a:07d}",
            "portfolio_type": "I",
            "account_type": "01",
            "date_opened": date(2025, 1, 15),
            "highest_credit": 10_000,
            "terms_duration": "024",
            "terms_frequency": "M",
            "scheduled_monthly_payment_amount": 460,
            "account_status": "71" if late else "11",
            "payment_history_profile": "0" * 12 + "B" * 12,
            "current_balance": 8_000,
            "amount_past_due": 460 if late else 0,
            "date_account_information": as_of,
            "date_first_delinquency": date(as_of.year, as_of.month, 1) if late else None,
            "surname": "DOE",
            "first_name": "JANE",
            "social_security_number": 100_000_000 + a,
            "ecoa_code": "1",
        }
        return Account(values)

    header = {"activity_date": as_of, "date_created": as_of, "reporter_name": "BENCH BANK"}
    return "".join(write(header, (segment(a) for a in range(accounts)))).encode()


def _parse_peak(content: bytes) -> int:
    """Peak Python allocation while intake reads a file: one pass, a chunk of records at a time."""
    tracemalloc.start()
    for _ in parts(content, date(2026, 3, 2)):
        pass
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def _us_container(directory: Path) -> Container:
    """The bureau under the `us` profile (Metro 2's codes; CR-8 warns of a late notice, never refuses)."""
    settings = Settings(
        environment="test", database_url=f"sqlite:///{directory / 'bench.db'}", data_dir=directory, jurisdiction="us"
    )
    container = bootstrap(settings, clock=FixedClock(datetime(2026, 3, 2, 14, 0, tzinfo=UTC), date(2026, 3, 2)))
    upgrade(container.engine)
    return container


def bench_metro2_intake(accounts: int, runs: int) -> float:
    """Median base segments/s (wall) of the month-end file; prints both files and the memory figures."""
    first = build_metro2_file(accounts, date(2026, 1, 31))
    month_end = build_metro2_file(accounts, date(2026, 2, 28))
    timings: dict[str, list[tuple[float, float]]] = {"new": [], "month_end": []}
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            container = _us_container(Path(tmp))
            assert isinstance(container.bureau, InProcessBureau)
            client = container.bureau.client_for(container.bureau.register_institution("Metro 2 Bank").institution_id)
            for label, content in (("new", first), ("month_end", month_end)):
                started, cpu = time.perf_counter(), time.process_time()
                ack = client.submit_file(content)
                timings[label].append((time.perf_counter() - started, time.process_time() - cpu))
                assert ack.rejected == (), ack.rejected[:3]
            container.close()
    print(f"Metro 2 intake into SQLite, {accounts:,} base segments a file, {runs} runs (target {TARGET:,}/s)")
    rates = {}
    for label, name in (("new", "first month, every account new"), ("month_end", "month-end, every account known")):
        wall = sorted(accounts / w for w, _ in timings[label])
        cpu = sorted(accounts / c for _, c in timings[label])
        rates[label] = statistics.median(wall)
        print(
            f"  {name}: {rates[label]:,.0f} base segments/s (range {wall[0]:,.0f}-{wall[-1]:,.0f}); "
            f"ratio {rates[label] / TARGET:.2f}; {statistics.median(cpu):,.0f} per CPU-second"
        )
    small, large = _parse_peak(month_end), _parse_peak(build_metro2_file(accounts * 4, date(2026, 2, 28)))
    print(
        f"  reading, peak memory beyond the file: {small / 1e6:.1f} MB for {accounts:,} segments, "
        f"{large / 1e6:.1f} MB for {accounts * 4:,} (ratio {large / small:.2f}; flat is 1)"
    )
    return rates["month_end"]
