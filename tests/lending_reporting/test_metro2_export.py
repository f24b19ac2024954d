"""The furnisher's base segments for an account's life, against segments written by hand from the CRRG layout."""

from __future__ import annotations

from datetime import date

from fairlend.jurisdiction.loader import load_profile
from fairlend.lending_reporting.metro2 import Consumer, base_segment, fold
from fairlend.metro2.file import account_line
from tests.metro2.life import LIFE, SSN

CODES = load_profile("us").bureau.modification_codes
DOE = Consumer.from_name("John Q Doe", SSN)


def _segment(as_of: str, compliance: str = "") -> str:
    day = date.fromisoformat(as_of)
    records = [r for r in LIFE if r["date"] <= as_of]
    account = fold(records, CODES)["loan_life"]
    return account_line(base_segment(account, day, DOE, compliance=compliance, identification="FAIRLEND01"))


def _by_hand(fields: dict[int, str]) -> str:
    """A base segment from (1-based CRRG position -> characters): zero-filled numbers and dates, blanks else."""
    line = [" "] * 426
    zero_filled = [(1, 4), (5, 5), (6, 19), (20, 20), (84, 92), (93, 101), (106, 114), (115, 123), (155, 163),
                   (164, 172), (173, 181), (182, 189), (190, 197), (198, 205), (206, 213), (298, 306), (307, 314),
                   (315, 324)]  # fmt: skip
    for first, last in zero_filled:
        line[first - 1 : last] = "0" * (last - first + 1)
    for position, text in fields.items():
        line[position - 1 : position - 1 + len(text)] = text
    return "".join(line)


COMMON = {
    1: "0426",
    5: "1",  # processing indicator
    21: "FAIRLEND01",
    43: "loan_life",
    73: "I",  # installment
    74: "01",  # unsecured
    76: "06052025",  # date opened
    93: "000001200",  # highest credit, whole dollars
    102: "012",
    105: "M",
    106: "000000107",  # $106.61 rounded to whole dollars
    232: "DOE",
    257: "JOHN Q",
    298: "123456789",
    325: "1",  # ECOA individual
}


def test_thirty_days_late_reports_71_with_the_date_of_first_delinquency() -> None:
    expected = _by_hand(
        {
            **COMMON,
            124: "71",
            # July was the worst of its month at 26 days (0); June 0; the months before opening B.
            127: "00" + "B" * 22,
            155: "000001200",
            164: "000000107",
            182: "08042025",
            190: "07062025",  # CR-5: the first day past due of this delinquency
        }
    )
    assert _segment("2025-08-04") == expected


def test_a_cure_reports_11_and_the_month_it_was_30_days_late_in_the_profile() -> None:
    expected = _by_hand(
        {
            **COMMON,
            115: "000000213",
            124: "11",
            127: "100" + "B" * 21,
            155: "000001015",
            182: "08312025",
            206: "08202025",
        }
    )
    assert _segment("2025-08-31") == expected.replace("100" + "B" * 21, "00" + "B" * 22)
    # The profile starts with the month before the date of account information: August shows from September.
    assert _segment("2025-09-30")[126:150] == "100" + "B" * 21


def test_a_dispute_is_reported_with_xb_and_its_end_with_xh() -> None:
    assert _segment("2025-09-30", compliance="XB")[152:154] == "XB"
    assert _segment("2025-10-31", compliance="XH")[152:154] == "XH"


def test_paid_reports_13_zero_balance_and_the_rating_of_a_current_payoff() -> None:
    expected = _by_hand(
        {
            **COMMON,
            115: "000000825",
            124: "13",
            126: "0",
            127: "00100" + "B" * 19,
            182: "11102025",
            198: "11102025",
            206: "11102025",
        }
    )
    assert _segment("2025-11-10") == expected


def test_the_date_of_first_delinquency_is_kept_across_a_partial_catch_up_and_renewed_after_a_cure() -> None:
    opened = {**LIFE[0], "record_id": "x:opened", "account_ref": "x"}

    def st(day: str, days: int) -> dict[str, object]:
        return {
            "record_id": f"x:{day}",
            "type": "status",
            "account_ref": "x",
            "date": day,
            "balance": 100_000,
            "amount_overdue": 5_000 if days else 0,
            "days_overdue": days,
        }

    history = [opened, st("2025-08-01", 95), st("2025-09-01", 35), st("2025-10-01", 0), st("2025-11-01", 40)]
    partial = fold(history[:3], CODES)["x"]
    assert partial.delinquent_since == date(2025, 4, 29)  # 95 days before 2025-08-01, kept at 35 days
    renewed = fold(history, CODES)["x"]
    assert renewed.delinquent_since == date(2025, 9, 23)  # a new delinquency after the cure


def test_a_charge_off_reports_97_with_the_original_charge_off_amount() -> None:
    records = [*LIFE[:5], {"record_id": "c", "type": "charge_off", "account_ref": "loan_life", "date": "2025-08-10",
                           "amount": 120_000}]  # fmt: skip
    account = fold(records, CODES)["loan_life"]
    line = account_line(base_segment(account, date(2025, 8, 10), DOE))
    assert (line[123:125], line[125], line[172:181], line[189:197]) == ("97", " ", "000001200", "07062025")
