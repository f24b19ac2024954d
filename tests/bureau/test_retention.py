from datetime import date, timedelta

from fairlend.bootstrap import Container
from fairlend.bureau.service import BureauService
from fairlend.clock import FixedClock
from tests.bureau.conftest import ID_CN, ID_US, Records, lines


def _overdue_then_settled(bureau: BureauService, clock: FixedClock) -> None:
    clock.set_business_date(date(2021, 3, 31))
    inst = bureau.register_institution("Bank A")
    r = Records("L1")
    ack = bureau.submit(
        inst.institution_id,
        lines(
            r.opened(date(2020, 10, 5)),
            r.notice(date(2021, 1, 2)),
            r.status(date(2021, 1, 31), 20),
            r.status(date(2021, 2, 28), 48),
            r.settled(date(2021, 3, 10)),
        ),
    )
    assert ack.rejected == ()


def test_cn_retention_removes_the_record_five_years_after_the_overdue_ended_not_a_day_early(
    bureau: BureauService, clock: FixedClock
) -> None:
    _overdue_then_settled(bureau, clock)
    removal = date(2026, 3, 10)
    clock.set_business_date(removal - timedelta(days=1))
    assert bureau.run_retention(removal - timedelta(days=1)) == []
    assert bureau.report(ID_CN).accounts[0].negative_records[0].removal_on == removal
    clock.set_business_date(removal)
    (removed,) = bureau.run_retention(removal)
    assert (removed.removal_on, removed.months_removed, removed.ended_on) == (removal, 2, date(2021, 3, 10))
    account = bureau.report(ID_CN).accounts[0]
    assert account.negative_records == () and account.state == "settled"
    assert bureau.run_retention(removal + timedelta(days=1)) == []  # logged once, removed once


def test_us_retention_counts_seven_years_from_first_delinquency_plus_180_days(
    us_bureau: BureauService, clock: FixedClock
) -> None:
    clock.set_business_date(date(2019, 3, 1))
    inst = us_bureau.register_institution("Bank US")
    r = Records("U1", ID_US, "USD")
    us_bureau.submit(
        inst.institution_id,
        lines(
            r.opened(date(2018, 6, 1)),
            r.notice(date(2019, 2, 1)),
            r.status(date(2019, 1, 31), 40),
            r.charged_off(date(2019, 2, 20)),
        ),
    )
    dofd = date(2019, 1, 31) - timedelta(days=39)
    removal = date(dofd.year + 7, 1, 1) + (dofd + timedelta(days=180) - date(dofd.year, 1, 1))
    clock.set_business_date(removal - timedelta(days=1))
    assert us_bureau.report(ID_US).accounts[0].negative_records[0].removal_on == removal
    assert us_bureau.run_retention(removal - timedelta(days=1)) == []
    (removed,) = us_bureau.run_retention(removal)
    assert removed.charged_off and removed.started_on == dofd
    # A charged-off account is negative information in itself: it leaves the report.
    assert us_bureau.report(ID_US).accounts == ()


def test_verify_reports_a_negative_record_the_daily_job_should_have_removed(
    container: Container, bureau: BureauService, clock: FixedClock
) -> None:
    _overdue_then_settled(bureau, clock)
    assert container.verify() == []
    clock.set_business_date(date(2026, 3, 11))
    (found,) = container.verify()
    assert found.check == "bureau" and "2026-03-10" in found.detail
    bureau.run_retention(date(2026, 3, 11))
    assert container.verify() == []
