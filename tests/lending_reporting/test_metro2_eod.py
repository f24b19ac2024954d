"""Under `us` with FAIRLEND_BUREAU_FILE_FORMAT=metro2: each day's Metro 2 file is what fairlend's bureau takes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from fairlend.bootstrap import Container, bootstrap
from fairlend.clock import FixedClock
from fairlend.config import Settings
from fairlend.lending.events import LoanDelinquencyChanged, LoanDisbursed, LoanSettled, RepaymentPosted
from fairlend.lending_reporting.metro2_export import Metro2Export, Reporter
from fairlend.lending_reporting.model import BorrowerIdentity
from fairlend.lending_reporting.service import FAIRLEND_INSTITUTION_ID, BureauReportingStep, ReportingFileSubmitter
from fairlend.metro2.file import Reading, read
from fairlend.money import Money

SSN = "123456789"


class People:
    def reporting_identity(self, person_id: str) -> BorrowerIdentity:
        return BorrowerIdentity("Mary Major", SSN, "us.ssn")


class Told:
    def notices_sent_on(self, loan_ids: object) -> dict[str, date]:
        return {"loan_1": date(2026, 1, 1)}


@pytest.fixture
def us_container(database_url: str, tmp_path: Path) -> Iterator[Container]:
    settings = Settings(
        environment="test", database_url=database_url, data_dir=tmp_path, jurisdiction="us", bureau_file_format="metro2"
    )
    clock = FixedClock(datetime(2026, 3, 2, 15, 0, tzinfo=UTC), date(2026, 3, 2))
    built = bootstrap(settings, clock=clock)
    yield built
    built.close()


def _usd(minor: int) -> Money:
    return Money(minor, "USD")


def test_the_after_day_steps_build_the_metro2_file_before_sending_it(us_container: Container) -> None:
    names = [name for name, _ in us_container.eod._after]
    assert names.index("bureau_metro2") < names.index("bureau_submit")


def test_each_days_metro2_file_is_sent_instead_of_json_and_the_bureau_files_it(us_container: Container) -> None:
    c = us_container
    assert c.bureau is not None
    c.bureau.ensure_institution(FAIRLEND_INSTITUTION_ID, "fairlend")
    client = c.bureau.client_for(FAIRLEND_INSTITUTION_ID)
    export = Metro2Export(
        c.uow,
        c.clock,
        c.profile.bureau.modification_codes,
        People(),
        c.identity.vault,
        Reporter(),
        client=lambda: client,
    )
    sent: list[bytes] = []

    def sending() -> object:
        class Spy:
            def submit_file(self, content: bytes) -> object:
                sent.append(content)
                return client.submit_file(content)

            def __getattr__(self, name: str) -> object:
                return getattr(client, name)

        return Spy()

    submit = ReportingFileSubmitter(c.uow, c.clock, sending, People(), metro2=export.stored)  # type: ignore[arg-type]
    step = BureauReportingStep(Told())

    def close(day: date, *events: object) -> None:
        with c.uow() as uow:
            for event in events:
                uow.publish(event)  # type: ignore[arg-type]
            step.run(uow, day)
            uow.commit()
        export.run(day)
        submit(day)

    opened = date(2026, 1, 5)
    close(opened, LoanDisbursed("loan_1", "brw_1", "std12", "USD", _usd(120_000), 12, "monthly", opened,
                                opened + timedelta(days=31), opened + timedelta(days=365), _usd(10_661),
                                Decimal("0.18"), opened))  # fmt: skip
    late = date(2026, 2, 10)
    close(late, LoanDelinquencyChanged("loan_1", "brw_1", 36, "M2", "current", _usd(10_661), _usd(120_000),
                                       date(2026, 2, 5), late))  # fmt: skip
    paid = date(2026, 2, 20)
    close(paid, RepaymentPosted("loan_1", "brw_1", "rp_1", _usd(130_661), _usd(120_000), _usd(0), _usd(0), _usd(0),
                                _usd(0), 0, paid), LoanSettled("loan_1", "brw_1", paid, True, paid))  # fmt: skip

    assert len(sent) == 3 and all(body[4:10] == b"HEADER" for body in sent)  # Metro 2, never the JSON
    statuses = []
    for body in sent:
        reading = Reading()
        (_, account), = list(read(body.split(b"\n"), reading))  # fmt: skip
        statuses.append(account.base["account_status"])  # type: ignore[union-attr]
    assert statuses == ["11", "71", "13"]
    report = c.bureau.counter_report(SSN)
    (account,) = report.accounts
    assert (account.account_ref, account.state, account.account_status) == ("loan_1", "settled", "13")
    assert account.grid[1] == "1"  # February was 30+ days late, seen from March (CR-4)
