"""Negative information at the bureau: removal dates (CN-12, CR-6), episodes, dispute deadlines, notices."""

from datetime import date, timedelta

from fairlend.bureau.model import MonthRow, add_years, month_index
from fairlend.bureau.negatives import (
    NoticeCheck,
    check_negative_notice,
    dispute_deadline,
    negative_episodes,
    removal_date,
)
from fairlend.jurisdiction.loader import load_profile

CN = load_profile("cn").bureau
US = load_profile("us").bureau


def test_cn_removal_is_five_years_after_the_overdue_ended_and_none_while_it_lasts() -> None:
    assert removal_date(CN, started_on=date(2020, 1, 1), ended_on=date(2021, 3, 10)) == date(2026, 3, 10)
    assert removal_date(CN, started_on=date(2020, 1, 1), ended_on=None) is None


def test_us_removal_is_seven_years_from_first_delinquency_plus_180_days() -> None:
    dofd = date(2019, 1, 15)
    assert removal_date(US, started_on=dofd, ended_on=None) == add_years(dofd + timedelta(days=180), 7)
    assert add_years(date(2024, 2, 29), 1) == date(2025, 2, 28)


def test_episodes_end_when_the_overdue_is_cured_or_the_account_settles() -> None:
    jan, feb, mar = (month_index(date(2025, m, 1)) for m in (1, 2, 3))
    rows = [
        MonthRow(jan, "1", 10, date(2025, 1, 31), date(2025, 1, 22), None),
        MonthRow(feb, "2", 38, date(2025, 2, 28), date(2025, 1, 22), None),
        MonthRow(mar, "C", 0, date(2025, 3, 12), None, date(2025, 3, 12)),
    ]
    (episode,) = negative_episodes(CN, rows)
    assert (episode.started_on, episode.ended_on, episode.first_month, episode.last_month) == (
        date(2025, 1, 22),
        date(2025, 3, 12),
        jan,
        feb,
    )
    assert episode.removal_on(CN) == date(2030, 3, 12)


def test_dispute_deadlines_come_from_the_profile() -> None:
    opened = date(2026, 3, 2)
    assert dispute_deadline(CN, opened) == opened + timedelta(days=20)
    assert dispute_deadline(US, opened) == opened + timedelta(days=30)
    assert dispute_deadline(US, opened, added_information=True) == opened + timedelta(days=45)


def test_negative_notice_must_precede_in_cn_and_follow_within_30_days_in_us() -> None:
    first = date(2026, 3, 1)
    assert check_negative_notice(CN, first_negative_on=first, notice_on=None, today=first) is NoticeCheck.MISSING_BEFORE
    assert check_negative_notice(CN, first_negative_on=first, notice_on=first, today=first) is NoticeCheck.OK
    assert check_negative_notice(US, first_negative_on=first, notice_on=None, today=first) is NoticeCheck.DUE
    late = first + timedelta(days=31)
    assert check_negative_notice(US, first_negative_on=first, notice_on=None, today=late) is NoticeCheck.LATE
    assert check_negative_notice(US, first_negative_on=first, notice_on=late, today=late) is NoticeCheck.LATE
