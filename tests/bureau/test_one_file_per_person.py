"""One person, one credit file: an SSN with and without dashes, in new data and in files stored before."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from bench.metro2_intake import build_metro2_file

from fairlend.bureau import held, records
from fairlend.bureau.consent import ConsentAttestation, InquiryPurpose
from fairlend.bureau.documents import mask_id_number
from fairlend.bureau.files import legacy_blind_index
from fairlend.bureau.model import normalise_id_number
from fairlend.bureau.service import BureauService
from fairlend.bureau.tables import bureau_account, bureau_file, bureau_inquiry
from tests.bureau.conftest import Records, lines

DASHED, PLAIN = "123-45-6789", "123456789"


def _files(bureau: BureauService) -> list[tuple[str, str, str]]:
    with bureau._uow(read_only=True) as uow:
        rows = uow.conn.execute(sa.select(bureau_file.c.id, bureau_file.c.blind_index, bureau_file.c.id_masked))
        return sorted((r.id, r.blind_index, r.id_masked) for r in rows)


def _accounts_by_file(bureau: BureauService) -> dict[str, list[str]]:
    with bureau._uow(read_only=True) as uow:
        rows = uow.conn.execute(sa.select(bureau_account.c.file_id, bureau_account.c.account_ref))
        found: dict[str, list[str]] = {}
        for file_id, ref in rows:
            found.setdefault(file_id, []).append(ref)
    return {k: sorted(v) for k, v in found.items()}


def _refs(bureau: BureauService, id_number: str) -> list[str]:
    return sorted(a.account_ref for a in bureau.report(id_number).accounts)


def test_an_id_number_is_normalised_to_digits_and_upper_case() -> None:
    assert normalise_id_number(" 123-45-6789 ") == normalise_id_number("123 45 6789") == PLAIN
    assert normalise_id_number("11010119900307447x") == "11010119900307447X"
    assert mask_id_number(DASHED) == mask_id_number(PLAIN) == "123**6789"


def test_a_file_with_a_dashed_and_an_undashed_ssn_for_one_person_lands_on_one_credit_file(
    us_bureau: BureauService,
) -> None:
    inst = us_bureau.register_institution("Bank A")
    a, b = Records("A", DASHED, "USD"), Records("B", PLAIN, "USD")
    ack = us_bureau.submit(inst.institution_id, lines(a.opened(date(2026, 1, 5)), b.opened(date(2026, 1, 6))))
    assert (ack.applied, ack.rejected) == (2, ())
    assert len(_files(us_bureau)) == 1
    assert _refs(us_bureau, DASHED) == _refs(us_bureau, PLAIN) == ["A", "B"]
    assert us_bureau.report(" 123 45 6789 ").id_number_masked == "123**6789"


def test_a_metro2_ssn_and_a_dashed_json_ssn_land_on_one_credit_file(us_bureau: BureauService) -> None:
    inst = us_bureau.register_institution("Bank A")
    # The bench's file gives its first account the SSN 100000000 (Metro 2 SSNs are nine digits, no dashes).
    metro2 = build_metro2_file(1, date(2026, 1, 31))
    assert us_bureau.submit(inst.institution_id, metro2).rejected == ()
    json_ack = us_bureau.submit(inst.institution_id, lines(Records("J", "100-00-0000", "USD").opened(date(2026, 2, 1))))
    assert json_ack.rejected == ()
    assert len(_files(us_bureau)) == 1
    assert _refs(us_bureau, "100000000") == ["J", "M0000000"]


def test_an_inquiry_and_a_consent_by_the_dashed_number_find_the_persons_file(us_bureau: BureauService) -> None:
    inst = us_bureau.register_institution("Bank A")
    us_bureau.submit(inst.institution_id, lines(Records("A", PLAIN, "USD").opened(date(2026, 1, 5))))
    consent = ConsentAttestation(
        consent_id="c1",
        purpose=InquiryPurpose.LOAN_APPROVAL,
        institution_id=inst.institution_id,
        person_id_number=PLAIN,
        text_version="v1",
        granted_at=us_bureau._clock.now(),
    )
    report = us_bureau.inquire(inst.institution_id, DASHED, InquiryPurpose.LOAN_APPROVAL, consent=consent)
    assert [a.account_ref for a in report.accounts] == ["A"] and len(_files(us_bureau)) == 1


def test_an_id_number_of_only_dashes_is_refused(us_bureau: BureauService) -> None:
    inst = us_bureau.register_institution("Bank A")
    ack = us_bureau.submit(inst.institution_id, lines(Records("A", "---", "USD").opened(date(2026, 1, 5))))
    assert [(r.code, r.reason) for r in ack.rejected] == [
        ("invalid_field", "id_number must hold more than blanks and dashes")
    ]
    assert _files(us_bureau) == []


def _as_before_normalising(monkeypatch: pytest.MonkeyPatch) -> None:
    """Intake as the bureau ran it before: the ID number only trimmed and upper-cased."""
    monkeypatch.setattr(held, "normalise_id_number", lambda number: number.strip().upper())
    monkeypatch.setattr(records, "normalise_id_number", lambda number: number.strip().upper())


def test_the_merge_joins_a_pair_of_files_stored_before_and_running_it_again_changes_nothing(
    us_bureau: BureauService, monkeypatch: pytest.MonkeyPatch
) -> None:
    inst = us_bureau.register_institution("Bank A")
    a, b, c = Records("A", DASHED, "USD"), Records("B", PLAIN, "USD"), Records("C", "987-65-4321", "USD")
    with monkeypatch.context() as before:
        _as_before_normalising(before)
        us_bureau.submit(inst.institution_id, lines(a.opened(date(2026, 1, 5)), c.opened(date(2026, 1, 5))))
        us_bureau.submit(inst.institution_id, lines(b.opened(date(2026, 1, 6)), a.status(date(2026, 1, 31), 0)))
        us_bureau.self_query(DASHED)  # an inquiry on the dashed file: it moves with its accounts
    stored = _files(us_bureau)
    key = us_bureau._key
    assert {f[1] for f in stored} == {
        legacy_blind_index(key, DASHED),
        held.blind_index(key, PLAIN),
        legacy_blind_index(key, "987-65-4321"),
    }
    # Found by the new key, the dashed file is lost: that is what the merge mends.
    assert _refs(us_bureau, DASHED) == ["B"]

    assert us_bureau.merge_duplicate_files() == 2  # A's file merged into B's; C's re-keyed
    merged = _files(us_bureau)
    assert len(merged) == 2
    assert _refs(us_bureau, DASHED) == _refs(us_bureau, PLAIN) == ["A", "B"]
    assert _refs(us_bureau, "987654321") == ["C"]
    assert {f[2] for f in merged} == {"123**6789", "987**4321"}
    plain_file = next(f[0] for f in merged if f[1] == held.blind_index(key, PLAIN))
    with us_bureau._uow(read_only=True) as uow:
        inquiry_files = set(uow.conn.execute(sa.select(bureau_inquiry.c.file_id)).scalars())
    assert inquiry_files == {plain_file}
    accounts = _accounts_by_file(us_bureau)

    assert us_bureau.merge_duplicate_files() == 0
    assert _files(us_bureau) == merged and _accounts_by_file(us_bureau) == accounts
