"""The bureau keeps reporting files, disputes and notices sealed under keys of its own, and rotates them."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select, update

from fairlend.bootstrap import Container
from fairlend.bureau.sealing import CLEAR, BureauSealer, SealError, derive_seal_keys, purpose
from fairlend.bureau.service import BureauService, derive_blind_key
from fairlend.bureau.tables import bureau_dispute, bureau_file, bureau_outcome_notice, bureau_submission
from fairlend.identity.pii import parse_keys
from tests.bureau.conftest import ID_CN, Records, lines

OLD = ("k1", b"1" * 32)
NEW = ("k2", b"2" * 32)
REASON = "我是张三，身份证 110101199003074477，这笔贷款不是我的"
NOTE = "张三 signed the contract on 2025-10-05"


def _service(container: Container, *keys: tuple[str, bytes]) -> BureauService:
    blind = derive_blind_key(container.settings.blind_index_key.get_secret_value())
    return BureauService(container.uow, container.profile, container.clock, blind, BureauSealer.derived_from(keys))


def _book_with_a_dispute(bureau: BureauService) -> tuple[str, bytes, str]:
    """An institution's file (with 张三's name and ID number), a dispute about it, answered."""
    inst = bureau.register_institution("Bank A").institution_id
    r = Records("L1")
    records = (r.opened(date(2025, 10, 5)), r.status(date(2026, 1, 31)))
    content = "\n".join(json.dumps(x, ensure_ascii=False) for x in records).encode()  # the name as UTF-8
    assert "张三".encode() in content
    assert bureau.submit(inst, content).applied == 2
    dispute = bureau.file_dispute(ID_CN, inst, "L1", REASON)
    bureau.answer_dispute(inst, dispute.dispute_id, "verified", note=NOTE)
    return inst, content, dispute.dispute_id


def _raw(container: Container) -> bytes:
    parts: list[bytes] = []
    with container.engine.connect() as conn:
        for table in (bureau_file, bureau_submission, bureau_dispute, bureau_outcome_notice):
            for row in conn.execute(select(table)):
                parts += [bytes(v) if isinstance(v, (bytes, memoryview)) else str(v).encode() for v in row]
    return b"\n".join(parts)


def test_files_disputes_and_notices_are_stored_sealed_and_read_back_in_clear(container: Container) -> None:
    bureau = _service(container, OLD)
    inst, content, _dispute_id = _book_with_a_dispute(bureau)
    raw = _raw(container)
    for clear in ("张三", ID_CN, "这笔贷款不是我的", "signed the contract"):
        assert clear.encode() not in raw, clear
    assert "张*".encode() in raw and b"110***********4477" in raw  # the masked forms are what is kept
    with container.engine.connect() as conn:
        stored = conn.execute(select(bureau_submission)).one()
    assert stored.key_id == "k1" and bytes(stored.content) != content
    where = purpose("bureau_submission", "content", stored.id)
    assert bureau._sealer.open("k1", bytes(stored.content), where) == content
    # What people and institutions read is the clear text.
    assert [d.reason for d in bureau.report(ID_CN).disputes] == [REASON]
    assert [d.reason for d in bureau.disputes_for(inst, status="verified")] == [REASON]
    (notice,) = bureau.outcome_notices(ID_CN)
    assert notice.text.endswith("Note: " + NOTE)
    assert bureau.report(ID_CN).name_masked == "张*"


def test_a_sealed_value_moved_to_another_row_fails_to_open(container: Container) -> None:
    bureau = _service(container, OLD)
    inst, _, first = _book_with_a_dispute(bureau)
    second = bureau.file_dispute(ID_CN, inst, "L1", "another reason")
    with container.uow() as uow:
        reason = uow.conn.execute(select(bureau_dispute.c.reason).where(bureau_dispute.c.id == first)).scalar_one()
        uow.conn.execute(update(bureau_dispute).where(bureau_dispute.c.id == second.dispute_id).values(reason=reason))
        uow.commit()
    with pytest.raises(SealError):
        bureau.report(ID_CN)
    found = bureau.verify()
    assert found == [(second.dispute_id, "bureau_dispute.reason: a sealed bureau value failed authentication")]


def test_rotation_reseals_every_row_under_the_new_key_and_nothing_is_lost(container: Container) -> None:
    old = _service(container, OLD)
    _inst, content, _ = _book_with_a_dispute(old)
    both = _service(container, NEW, OLD)
    assert both.rotate_keys() == 3  # the file, the dispute, the notice
    assert both.rotate_keys() == 0
    only_new = _service(container, NEW)
    assert only_new.verify() == []
    assert [d.reason for d in only_new.report(ID_CN).disputes] == [REASON]
    assert only_new.outcome_notices(ID_CN)[0].text.endswith(NOTE)
    with container.engine.connect() as conn:
        stored = conn.execute(select(bureau_submission)).one()
    assert stored.key_id == "k2"
    assert only_new._sealer.open("k2", bytes(stored.content), purpose("bureau_submission", "content", stored.id)) == (
        content
    )
    # The old key alone no longer opens anything: verify names every row.
    assert len(_service(container, OLD).verify()) == 4  # the file, the reason and the note, the notice


def test_verify_names_each_value_no_configured_key_opens(container: Container) -> None:
    _book_with_a_dispute(_service(container, OLD))
    found = _service(container, NEW).verify()
    assert len(found) == 4  # the file, the dispute's reason and note, the notice
    assert all("no bureau key with id 'k1'" in problem for _, problem in found)


def test_rows_stored_in_clear_before_sealing_are_reported_then_sealed_by_rotation(container: Container) -> None:
    bureau = _service(container, OLD)
    _inst, content, _dispute_id = _book_with_a_dispute(bureau)
    # As bureau_0002 leaves rows written before it: key id "" and the values in clear.
    with container.uow() as uow:
        uow.conn.execute(update(bureau_submission).values(key_id=CLEAR, content=content))
        uow.conn.execute(update(bureau_dispute).values(key_id=CLEAR, reason=REASON, answer_note=NOTE))
        uow.conn.execute(update(bureau_outcome_notice).values(key_id=CLEAR, text="Note: " + NOTE))
        uow.commit()
    assert [d.reason for d in bureau.report(ID_CN).disputes] == [REASON]  # still readable meanwhile
    found = bureau.verify()
    assert len(found) == 3 and all("stored in clear" in problem for _, problem in found)
    assert bureau.rotate_keys() == 3
    assert bureau.verify() == []
    assert b"\xe5\xbc\xa0\xe4\xb8\x89" not in _raw(container)  # 张三
    assert bureau.outcome_notices(ID_CN)[0].text == "Note: " + NOTE


def test_rotation_walks_tables_in_batches(container: Container, monkeypatch: pytest.MonkeyPatch) -> None:
    from fairlend.bureau import sealed

    monkeypatch.setattr(sealed, "BATCH", 2)
    old = _service(container, OLD)
    inst = old.register_institution("Bank A").institution_id
    for n in range(5):
        r = Records(f"L{n}", id_number=ID_CN)
        old.submit(inst, lines(r.opened(date(2025, 10, 5))))
    assert _service(container, NEW, OLD).rotate_keys() == 5
    assert _service(container, NEW).verify() == []


def test_the_bureaus_keys_are_its_own_yet_follow_the_platforms_key_ids(container: Container) -> None:
    platform = parse_keys(container.settings.pii_keys.get_secret_value())
    derived = derive_seal_keys(platform)
    assert [kid for kid, _ in derived] == [kid for kid, _ in platform]
    assert all(ours != theirs and len(ours) == 32 for (_, ours), (_, theirs) in zip(derived, platform, strict=True))
    with pytest.raises(SealError):
        BureauSealer([])
