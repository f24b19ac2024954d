from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fairlend.bureau.consent import (
    COUNTER,
    ConsentAttestation,
    InquiryPurpose,
    consent_problem,
    needs_consent,
    self_query_is_free,
)
from fairlend.bureau.documents import mask_id_number
from fairlend.bureau.model import AccountState, MonthRow, SettledBy, add_years, month_index, month_status, status_grid
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


@pytest.mark.parametrize(
    ("days", "code"),
    [(0, "N"), (1, "1"), (30, "1"), (31, "2"), (60, "2"), (61, "3"), (150, "5"), (180, "6"), (181, "7"), (900, "7")],
)
def test_cn17_codes_follow_30_day_bands_of_days_overdue(days: int, code: str) -> None:
    assert month_status(CN, days_overdue=days, state=AccountState.OPEN).code == code


@pytest.mark.parametrize(
    ("days", "status", "rating"),
    [
        (0, "11", "0"),
        (29, "11", "0"),
        (30, "71", "1"),
        (60, "78", "2"),
        (90, "80", "3"),
        (120, "82", "4"),
        (150, "83", "5"),
        (180, "84", "6"),
        (400, "84", "6"),
    ],
)
def test_metro2_status_and_rating_follow_days_past_due(days: int, status: str, rating: str) -> None:
    result = month_status(US, days_overdue=days, state=AccountState.OPEN)
    assert (result.account_status, result.payment_rating, result.code) == (status, rating, rating)


def test_settled_is_c_and_guarantor_or_assets_are_d_and_z_under_cn17() -> None:
    assert month_status(CN, days_overdue=0, state=AccountState.SETTLED).code == "C"
    assert month_status(CN, days_overdue=0, state=AccountState.SETTLED, settled_by=SettledBy.GUARANTOR).code == "D"
    assert month_status(CN, days_overdue=0, state=AccountState.SETTLED, settled_by=SettledBy.ASSETS).code == "Z"


def test_settled_after_overdue_is_c_in_cn_and_13_with_the_delinquent_rating_in_metro2() -> None:
    assert month_status(CN, days_overdue=0, state=AccountState.SETTLED, days_overdue_before_settlement=45).code == "C"
    us = month_status(US, days_overdue=0, state=AccountState.SETTLED, days_overdue_before_settlement=45)
    assert (us.account_status, us.payment_rating, us.is_negative) == ("13", "1", True)
    clean = month_status(US, days_overdue=0, state=AccountState.SETTLED)
    assert (clean.account_status, clean.code, clean.is_negative) == ("13", "E", False)


def test_charged_off_is_g_under_cn17_and_97_l_under_metro2() -> None:
    cn = month_status(CN, days_overdue=200, state=AccountState.CHARGED_OFF)
    us = month_status(US, days_overdue=200, state=AccountState.CHARGED_OFF)
    assert (cn.code, cn.is_negative) == ("G", True)
    assert (us.account_status, us.payment_rating, us.is_negative) == ("97", "L", True)


def test_nothing_due_is_star_and_a_zero_balance_is_e() -> None:
    assert month_status(CN, days_overdue=0, state=AccountState.OPEN, payment_due=False).code == "*"
    assert month_status(US, days_overdue=0, state=AccountState.OPEN, balance_minor=0).code == "E"
    assert month_status(US, days_overdue=10, state=AccountState.COLLECTION).account_status == "93"


@given(st.integers(min_value=0, max_value=2000))
def test_more_days_overdue_never_gives_a_better_code(days: int) -> None:
    for profile, order in ((CN, "N1234567"), (US, "0123456")):
        a = month_status(profile, days_overdue=days, state=AccountState.OPEN).code
        b = month_status(profile, days_overdue=days + 1, state=AccountState.OPEN).code
        assert order.index(b) >= order.index(a)


def test_the_grid_is_newest_first_and_as_long_as_the_profile_says() -> None:
    report = month_index(date(2026, 3, 1))
    rows = {report: "1", report - 1: "N"}
    grid = status_grid(CN, rows, opened=report - 2, closed=None, report_month=report)
    assert len(grid) == CN.history_months == 60
    assert grid[:4] == ("1", "N", "#", "/")
    us = status_grid(US, {report: "0"}, opened=report - 1, closed=None, report_month=report)
    assert len(us) == 24 and us[:3] == ("0", "D", "B")
    closed = status_grid(CN, {report - 2: "C"}, opened=report - 3, closed=report - 2, report_month=report)
    assert closed[:3] == ("", "", "C")


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


def test_consent_must_match_person_institution_and_purpose_and_be_live() -> None:
    now = datetime(2026, 3, 2, tzinfo=UTC)
    person = "11010119900307002X"
    consent = ConsentAttestation(
        "c1", InquiryPurpose.LOAN_APPROVAL, "inst_a", "v1", now - timedelta(days=1), person_id_number=person
    )
    ok = {"institution_id": "inst_a", "id_number": person, "purpose": InquiryPurpose.LOAN_APPROVAL, "now": now}
    assert consent_problem(consent, **ok) is None  # type: ignore[arg-type]
    assert consent_problem(consent, **{**ok, "id_number": " 11010119900307002x"}) is None  # type: ignore[arg-type]
    assert consent_problem(None, **ok)[0] == "inquiry_consent_required"  # type: ignore[arg-type,index]
    other = {**ok, "institution_id": "inst_b"}
    assert consent_problem(consent, **other)[0] == "inquiry_consent_mismatch"  # type: ignore[arg-type,index]
    someone_else = {**ok, "id_number": "110101199003074477"}
    assert consent_problem(consent, **someone_else) == (  # type: ignore[arg-type]
        "inquiry_consent_mismatch",
        "the consent was given by another person",
    )
    card = {**ok, "purpose": InquiryPurpose.CREDIT_CARD_APPROVAL}
    assert consent_problem(consent, **card)[0] == "inquiry_consent_mismatch"  # type: ignore[arg-type,index]
    self_query = {**ok, "purpose": InquiryPurpose.SELF}
    assert consent_problem(consent, **self_query)[0] == "inquiry_consent_mismatch"  # type: ignore[arg-type,index]
    revoked = replace(consent, granted_at=now - timedelta(days=2), revoked_at=now)
    assert consent_problem(revoked, **ok)[0] == "inquiry_consent_revoked"  # type: ignore[arg-type,index]
    unnamed = replace(consent, consent_id="")
    assert consent_problem(unnamed, **ok)[0] == "inquiry_consent_invalid"  # type: ignore[arg-type,index]


def test_every_inquiry_by_an_institution_needs_consent_but_post_loan_and_the_counter() -> None:
    needed = {(p, who): needs_consent(CN, p, who) for p in InquiryPurpose for who in (COUNTER, "inst_a")}
    assert needed == {
        (InquiryPurpose.LOAN_APPROVAL, COUNTER): True,
        (InquiryPurpose.LOAN_APPROVAL, "inst_a"): True,
        (InquiryPurpose.CREDIT_CARD_APPROVAL, COUNTER): True,
        (InquiryPurpose.CREDIT_CARD_APPROVAL, "inst_a"): True,
        (InquiryPurpose.POST_LOAN_MANAGEMENT, COUNTER): False,  # an account with the person instead
        (InquiryPurpose.POST_LOAN_MANAGEMENT, "inst_a"): False,
        (InquiryPurpose.SELF, COUNTER): False,  # the person stands at the bureau's counter
        (InquiryPurpose.SELF, "inst_a"): True,  # an institution fetching it on the person's behalf
    }
    assert (CN.inquiry_consent_rule, US.inquiry_consent_rule) == ("CN-14", "US-17")
    assert not any(needs_consent(replace(CN, inquiry_consent_required=False), p, "inst_a") for p in InquiryPurpose)


def test_free_self_queries_per_year_come_from_the_profile() -> None:
    assert [self_query_is_free(CN, n) for n in range(3)] == [True, True, False]
    assert [self_query_is_free(US, n) for n in range(2)] == [True, False]


def test_id_numbers_are_masked() -> None:
    assert mask_id_number("110101199003074477") == "110***********4477"
