"""The bureau takes Metro 2 files: the same credit file as the JSON path, and every malformed variant refused."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa

from fairlend.bureau.service import BureauService
from fairlend.bureau.tables import bureau_account, bureau_record
from fairlend.jurisdiction.loader import load_profile
from fairlend.lending_reporting.metro2 import Consumer, base_segment, day_accounts, fold
from fairlend.metro2.file import write
from tests.bureau.conftest import lines
from tests.metro2.life import LIFE, SSN

CODES = load_profile("us").bureau.modification_codes
HEADER = {"activity_date": date(2025, 11, 30), "date_created": date(2025, 12, 1), "reporter_name": "FAIRLEND"}


def metro2_file(records: list[dict[str, Any]], day: date, compliance: str = "") -> bytes:
    """The Metro 2 file of one day: a base segment for each account the day's records name."""
    upto = [r for r in records if r["date"] <= day.isoformat()]
    accounts = fold(upto, CODES)
    segments = [
        base_segment(accounts[ref], day, Consumer.from_name("John Q Doe", SSN), compliance=compliance)
        for ref in day_accounts(upto, day)
    ]
    return "".join(write({**HEADER, "activity_date": day}, segments)).encode()


def days_of(records: list[dict[str, Any]]) -> list[date]:
    return sorted({date.fromisoformat(r["date"]) for r in records})


def _accounts(bureau: BureauService) -> int:
    with bureau._uow(read_only=True) as uow:
        return int(uow.conn.execute(sa.select(sa.func.count()).select_from(bureau_account)).scalar_one())


def _view(account: Any) -> tuple[Any, ...]:
    return (
        account.state,
        account.balance,
        account.amount_overdue,
        account.account_status,
        account.payment_rating,
        account.grid,
        account.special_comment,
        account.negative_records,
    )


def test_an_accounts_life_in_metro2_gives_the_same_credit_file_as_the_json_path(us_bureau: BureauService) -> None:
    by_json = us_bureau.register_institution("JSON lender")
    by_metro2 = us_bureau.register_institution("Metro 2 lender")
    for day in days_of(LIFE):
        day_json = [r for r in LIFE if r["date"] == day.isoformat()]
        assert not us_bureau.submit(by_json.institution_id, lines(*day_json)).rejected
        ack = us_bureau.submit(by_metro2.institution_id, metro2_file(LIFE, day))
        assert not ack.rejected, ack.rejected
    report = us_bureau.report(SSN)
    json_account, metro2_account = sorted(report.accounts, key=lambda a: a.institution_name)
    assert json_account.institution_name == "JSON lender"
    assert _view(metro2_account) == _view(json_account)
    assert metro2_account.account_status == "13" and metro2_account.grid[0:6] != ("",) * 6


def test_the_same_metro2_file_twice_changes_nothing(us_bureau: BureauService) -> None:
    inst = us_bureau.register_institution("Bank A")
    content = metro2_file(LIFE, date(2025, 8, 4))
    first = us_bureau.submit(inst.institution_id, content)
    again = us_bureau.submit(inst.institution_id, content)
    assert again.replayed and again.applied == first.applied == 2  # the opening and the status
    assert _accounts(us_bureau) == 1


def _resent(day: date) -> bytes:
    """The day's segments in another file (another date created: another sha256, so not a replay)."""
    return metro2_file(LIFE, day).replace(b"12012025", b"12022025", 1)


def _logged_cycles(bureau: BureauService) -> int:
    with bureau._uow(read_only=True) as uow:
        ids = uow.conn.execute(sa.select(bureau_record.c.record_id)).scalars()
        return sum(":m2:" in i and ":comment:" not in i for i in ids)


def test_a_segment_sent_again_in_another_file_is_a_duplicate_without_a_record_id_log_row(
    us_bureau: BureauService,
) -> None:
    inst = us_bureau.register_institution("Bank A")
    for day in (date(2025, 6, 5), date(2025, 7, 31), date(2025, 8, 4)):
        assert not us_bureau.submit(inst.institution_id, metro2_file(LIFE, day)).rejected
    before = _view(us_bureau.report(SSN).accounts[0])
    again = us_bureau.submit(inst.institution_id, _resent(date(2025, 8, 4)))
    assert not again.replayed and (again.applied, again.duplicates, again.rejected) == (0, 1, ())
    assert _view(us_bureau.report(SSN).accounts[0]) == before
    assert _logged_cycles(us_bureau) == 0  # the account row, not a log row, says the cycle was applied


def test_a_segment_older_than_the_accounts_date_of_information_is_stale_and_changes_nothing(
    us_bureau: BureauService,
) -> None:
    inst = us_bureau.register_institution("Bank A")
    for day in (date(2025, 6, 5), date(2025, 8, 31)):
        assert not us_bureau.submit(inst.institution_id, metro2_file(LIFE, day)).rejected
    before = _view(us_bureau.report(SSN).accounts[0])
    # July's month-end segment (26 days late) arrives after August's (current): never applied over it.
    late = us_bureau.submit(inst.institution_id, metro2_file(LIFE, date(2025, 7, 31)))
    assert (late.applied, late.duplicates, late.rejected) == (0, 1, ())
    assert _view(us_bureau.report(SSN).accounts[0]) == before


def test_a_segment_dated_the_day_its_account_opened_is_applied_once(us_bureau: BureauService) -> None:
    inst = us_bureau.register_institution("Bank A")
    first = us_bureau.submit(inst.institution_id, metro2_file(LIFE, date(2025, 6, 5)))
    assert (first.applied, first.duplicates) == (2, 0)  # the opening, then the day's status
    again = us_bureau.submit(inst.institution_id, _resent(date(2025, 6, 5)))
    # The opening of a held account is no record (it is restated every cycle); the status is known by as_of.
    assert (again.applied, again.duplicates, again.rejected) == (0, 1, ())


GOOD_DAY = date(2025, 8, 4)


def _variant(change: Any) -> bytes:
    text = metro2_file(LIFE, GOOD_DAY).decode()
    header, account, trailer = text.splitlines()
    return "\n".join(change(header, account, trailer)).encode() + b"\n"


def _put(line: str, position: int, text: str) -> str:
    return line[: position - 1] + text + line[position - 1 + len(text) :]


RECORD_VARIANTS = {
    # name: (change to the account line, field, position, code)
    "wrong length": (lambda a: a[:-1], "record_descriptor_word", 1, "wrong_length"),
    "non-ascii": (lambda a: _put(a, 232, "DÖE"), "record", 233, "not_ascii"),
    "unknown status": (lambda a: _put(a, 124, "99"), "account_status", 124, "unknown_status"),
    "future date": (lambda a: _put(a, 182, "01012030"), "date_account_information", 182, "future_date"),
    "negative amount": (lambda a: _put(a, 155, "-00001200"), "current_balance", 155, "invalid_field"),
    "missing SSN": (lambda a: _put(a, 298, "000000000"), "social_security_number", 298, "missing_field"),
    "future birth date": (lambda a: _put(a, 307, "01012030"), "date_birth", 307, "future_date"),
    "no surname": (lambda a: _put(a, 232, " " * 25), "surname", 232, "missing_field"),
    "bad profile": (lambda a: _put(a, 127, "Z"), "payment_history_profile", 127, "invalid_field"),
}

ONE, NONE = "000000001", "000000000"
TRAILER_PATCHES = {
    "future birth date": {363: ONE, 372: ONE},
    "missing SSN": {327: NONE, 336: NONE},
    "unknown status": {147: NONE},
}


@pytest.mark.parametrize("name", sorted(RECORD_VARIANTS))
def test_a_bad_base_segment_is_refused_with_its_record_field_and_position(us_bureau: BureauService, name: str) -> None:
    change, field, position, code = RECORD_VARIANTS[name]
    inst = us_bureau.register_institution("Bank A")
    # The lender's trailer counts what its lines hold: birth dates and SSNs (all segments, base segments).
    patches = TRAILER_PATCHES.get(name, {})

    def trailer(t: str) -> str:
        for position, text in patches.items():
            t = _put(t, position, text)
        return t

    ack = us_bureau.submit(inst.institution_id, _variant(lambda h, a, t: [h, change(a), trailer(t)]))
    assert [(o.line, o.field, o.position, o.code) for o in ack.rejected] == [(2, field, position, code)]
    assert ack.applied == 0 and _accounts(us_bureau) == 0


FILE_VARIANTS = {
    "trailer count": (lambda h, a, t: [h, a, _put(t, 12, "000000002")], "total_base_records", 12, "trailer_mismatch"),
    "trailer status total": (
        lambda h, a, t: [h, a, _put(t, 147, "000000000")],
        "total_status_code_71",
        147,
        "trailer_mismatch",
    ),
    "no trailer": (lambda h, a, t: [h, a], "record_identifier", 5, "no_trailer"),
    "header not first": (lambda h, a, t: [a, h, t], "record_identifier", 5, "no_header"),
    "header date": (lambda h, a, t: [_put(h, 48, "00000000"), a, t], "activity_date", 48, "missing_field"),
    "header length": (lambda h, a, t: [h + " ", a, t], "record_descriptor_word", 1, "wrong_length"),
}


@pytest.mark.parametrize("name", sorted(FILE_VARIANTS))
def test_a_bad_header_or_trailer_refuses_the_whole_file(us_bureau: BureauService, name: str) -> None:
    change, field, position, code = FILE_VARIANTS[name]
    inst = us_bureau.register_institution("Bank A")
    ack = us_bureau.submit(inst.institution_id, _variant(change))
    assert [(o.field, o.position, o.code) for o in ack.rejected] == [(field, position, code)]
    assert ack.applied == 0 and _accounts(us_bureau) == 0


def _many(accounts: int) -> bytes:
    from bench.metro2_intake import build_metro2_file

    return build_metro2_file(accounts, date(2026, 1, 31))


def test_a_file_is_applied_a_chunk_at_a_time_and_a_bad_trailer_still_applies_nothing(
    us_bureau: BureauService, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fairlend.bureau import metro2

    monkeypatch.setattr(metro2, "CHUNK", 2)
    inst = us_bureau.register_institution("Bank A")
    content = _many(5)
    header, *accounts, trailer = content.decode().splitlines()
    wrong = "\n".join([header, *accounts, _put(trailer, 12, "000000004")]).encode() + b"\n"
    refused = us_bureau.submit(inst.institution_id, wrong)
    assert [(o.field, o.code) for o in refused.rejected] == [("total_base_records", "trailer_mismatch")]
    assert _accounts(us_bureau) == 0
    # The refusal is kept (after the applied chunks were rolled back): the same file again is answered by it.
    again = us_bureau.submit(inst.institution_id, wrong)
    assert again.replayed and (again.submission_id, again.rejected) == (refused.submission_id, refused.rejected)
    ack = us_bureau.submit(inst.institution_id, content)
    assert (ack.applied, ack.rejected, _accounts(us_bureau)) == (10, (), 5)  # an opening and a status each
