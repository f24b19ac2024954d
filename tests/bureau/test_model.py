from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fairlend.bureau.documents import mask_id_number
from fairlend.bureau.model import AccountState, SettledBy, month_index, month_status, status_grid
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


def test_id_numbers_are_masked() -> None:
    assert mask_id_number("110101199003074477") == "110***********4477"
