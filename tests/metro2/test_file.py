"""A Metro 2 file: written with its trailer's totals, read back, and its totals recounted from the raw lines."""

from __future__ import annotations

from datetime import date

import pytest

from fairlend.metro2.file import Account, FileRefused, Reading, read, write
from fairlend.metro2.scan import scan

HEADER = {"activity_date": date(2026, 1, 31), "date_created": date(2026, 2, 1), "reporter_name": "BANK"}


def _account(n: int, status: str = "11", **segments: dict[str, object]) -> Account:
    base = {
        "consumer_account_number": f"A{n}",
        "account_status": status,
        "social_security_number": 100_000_000 + n,
        "date_birth": date(1980, 1, 1) if n % 2 else None,
        "telephone_number": 5_551_234_567 if n % 3 == 0 else 0,
        "ecoa_code": "1",
    }
    return Account(base, tuple(segments.items()))


BOOK = [
    _account(1),
    _account(2, "71", J1={"surname": "ROE", "social_security_number": 123456789, "ecoa_code": "2"}),
    _account(3, "97", J2={"surname": "POE", "date_birth": date(1975, 5, 5), "ecoa_code": "Z"}),
    _account(4, "13", K2={"purchased_indicator": 1, "purchased_name": "OLD BANK"}, N1={"employer_name": "ACME"}),
    _account(5, "11", L1={"change_indicator": 1, "new_consumer_account_number": "B5"}),
]


def _content(accounts: list[Account]) -> bytes:
    return "".join(write(HEADER, accounts)).encode()


def test_each_records_length_is_its_record_descriptor_word() -> None:
    lines = _content(BOOK).decode().splitlines()
    assert [len(line) for line in lines] == [426, 426, 526, 626, 606, 480, 426]
    assert all(int(line[:4]) == len(line) for line in lines)
    assert lines[0][4:10] == "HEADER" and lines[-1][4:11] == "TRAILER"


def test_the_trailer_counts_what_the_lines_hold_and_both_passes_agree() -> None:
    content = _content(BOOK)
    reading = Reading()
    accounts = [item for _, item in read(content.split(b"\n"), reading)]
    assert [a.segments[0][0] if a.segments else "" for a in accounts] == ["", "J1", "J2", "K2", "L1"]  # type: ignore[union-attr]
    t = reading.trailer
    assert (t["total_base_records"], t["block_count"]) == (5, 7)
    assert (t["total_status_code_11"], t["total_status_code_71"], t["total_status_code_97"]) == (2, 1, 1)
    assert (t["total_consumer_segments_J1"], t["total_consumer_segments_J2"], t["total_ecoa_code_Z"]) == (1, 1, 1)
    assert (t["total_purchased_to_segments"], t["total_employment_segments"], t["total_change_segments"]) == (1, 1, 1)
    assert (t["total_social_numbers_all_segments"], t["total_social_numbers_J1_segments"]) == (6, 1)
    assert (t["total_dates_birth_all_segments"], t["total_dates_birth_J2_segments"]) == (4, 1)
    assert t["total_telephone_numbers_all_segments"] == 1
    # The first pass recounts them from the raw lines and agrees.
    assert scan(content.split(b"\n")).trailer == t


def test_a_file_with_windows_line_endings_reads_as_the_same_accounts_in_both_passes() -> None:
    unix = _content(BOOK)
    windows = unix.replace(b"\n", b"\r\n")
    unix_reading, windows_reading = Reading(), Reading()
    expected = list(read(unix.splitlines(keepends=True), unix_reading))
    assert list(read(windows.splitlines(keepends=True), windows_reading)) == expected
    assert all(isinstance(item, Account) for _, item in expected)
    assert windows_reading.trailer == unix_reading.trailer
    assert scan(windows.splitlines(keepends=True)).trailer == scan(unix.splitlines(keepends=True)).trailer


@pytest.mark.parametrize(
    ("position", "text", "field"),
    [(12, "000000006", "total_base_records"), (336, "000000004", "total_social_numbers_base_segments")],
)
def test_both_passes_refuse_a_trailer_that_disagrees(position: int, text: str, field: str) -> None:
    lines = _content(BOOK).decode().splitlines()
    lines[-1] = lines[-1][: position - 1] + text + lines[-1][position - 1 + len(text) :]
    content = "\n".join(lines).encode()
    with pytest.raises(FileRefused) as first:
        scan(content.split(b"\n"))
    with pytest.raises(FileRefused) as second:
        list(read(content.split(b"\n"), Reading()))
    assert first.value.problem.field == second.value.problem.field == field
    assert first.value.problem.position == position and first.value.problem.record == 7
