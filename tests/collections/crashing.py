"""A gateway attempt in a process of its own, for the crash tests.

`python -m tests.collections.crashing URL WHEN CHANNEL_FILE` makes one
collection call on the test world's loan at instant WHEN (ISO, UTC) and
prints the decision; started with FAIRLEND_CRASH_AT naming a crash point it
is killed there (fairlend.faults). The channel is a file, so what was
delivered survives the process, and it is idempotent on the log id as the
ChannelPort asks.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

from fairlend.bootstrap import Container, bootstrap
from fairlend.clock import FixedClock
from fairlend.collections.fakes import InMemoryContactPoints, InMemoryDisputes, InMemoryLending, InMemoryOtp
from fairlend.collections.gateway import ContactRequest
from fairlend.collections.model import DeliveryResult, LoanFacts, LoanState, Medium
from fairlend.collections.ports import OutboundMessage
from fairlend.collections.wiring import Collections, wire_collections
from fairlend.config import Settings
from fairlend.money import Money

BORROWER = "brw_crash"
LOAN = "loan_crash"
PHONE = "+8613812340000"
CALL = ContactRequest(LOAN, Medium.CALL, collector_id="op_1")


class FileChannel:
    """Delivers by appending a line to a file; a log id already there is not delivered again."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def delivered(self) -> list[dict[str, str]]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text().splitlines() if line.strip()]

    def send(self, message: OutboundMessage) -> DeliveryResult:
        if all(d["log_id"] != message.log_id for d in self.delivered()):
            with self.path.open("a") as out:
                out.write(json.dumps({"log_id": message.log_id, "address": message.address}) + "\n")
        return DeliveryResult(connected=True, conversation=True, reference=message.log_id)


def open_world(url: str, data_dir: Path, clock: FixedClock, channel: FileChannel) -> tuple[Container, Collections]:
    container = bootstrap(Settings(environment="test", database_url=url, data_dir=data_dir), clock=clock)
    lending = InMemoryLending()
    lending.add(LoanFacts(LOAN, BORROWER, LoanState.ACTIVE, "CNY", Money(50_000, "CNY"), 10, "M1"))
    points = InMemoryContactPoints()
    points.add(BORROWER, PHONE, "Asia/Shanghai")
    c = wire_collections(
        container,
        lending=lending,
        contact_points=points,
        otp=InMemoryOtp(),
        disputes=InMemoryDisputes(),
        channels=dict.fromkeys(Medium, channel),
    )
    return container, c


def main(url: str, when: str, channel_file: str) -> None:
    at = datetime.fromisoformat(when)
    clock = FixedClock(at, at.date())
    container, c = open_world(url, Path(channel_file).parent, clock, FileChannel(Path(channel_file)))
    decision = c.gateway.attempt(CALL)
    print(json.dumps({"log_id": decision.log_id, "outcome": decision.outcome.value}), flush=True)
    container.close()


if __name__ == "__main__":
    main(*sys.argv[1:4])
