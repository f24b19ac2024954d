"""Evidence with a request: identity's certificate checks and vault, hardship's own table, audited reads, rotation."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from fairlend.bootstrap import Container
from fairlend.cli import app
from fairlend.errors import Conflict, DomainError, Invalid, NotFound
from fairlend.hardship.evidence import MAX_FILES_PER_REQUEST, HardshipEvidence
from fairlend.hardship.model import DeclineReason
from fairlend.hardship.tables import hardship_evidence
from fairlend.identity.files import PersonalFiles
from fairlend.identity.model import AuditFilter
from fairlend.identity.pii import PiiVault
from tests.hardship.conftest import BORROWER
from tests.hardship.helpers import events, file

PDF = b"%PDF-1.7\n" + "失业证明 termination letter, salary 8000".encode() + b"\n%%EOF"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 40
NEW_KEY = "k9:" + base64.b64encode(b"9" * 32).decode()


def _with_keys(container: Container, keys: str) -> HardshipEvidence:
    vault = PiiVault(keys, container.settings.blind_index_key.get_secret_value())
    return HardshipEvidence(container.uow, PersonalFiles(vault))


def _stored(container: Container) -> list[tuple[str, bytes]]:
    with container.uow(read_only=True) as uow:
        return [(r.key_id, bytes(r.content)) for r in uow.conn.execute(select(hardship_evidence))]


def test_a_file_is_sealed_at_rest_and_its_event_says_only_what_it_is(container: Container, late_loan: str) -> None:
    request = file(container, late_loan)
    added = container.hardship.evidence.upload(BORROWER, request.request_id, PDF, filename="letter.pdf")
    assert (added.content_type, added.size) == ("application/pdf", len(PDF))
    ((key_id, blob),) = _stored(container)
    assert key_id == "k1" and b"termination" not in blob and "失业".encode() not in blob
    (event,) = events(container, "hardship.EvidenceAdded")
    assert event["evidence_id"] == added.evidence_id and "termination" not in str(event)
    assert [e.evidence_id for e in container.hardship.request(request.request_id).evidence] == [added.evidence_id]


@pytest.mark.parametrize(
    ("content", "claimed", "name", "code"),
    [
        (b"<html><script>alert(1)</script>", None, None, "file_type_mismatch"),
        (b"", None, None, "file_empty"),
        (PNG, "application/pdf", None, "file_type_mismatch"),
        (PNG, None, "payslip.pdf", "file_type_mismatch"),
        (b"%PDF" + b"0" * (10 * 1024 * 1024), None, None, "file_too_large"),
    ],
)
def test_the_certificate_checks_refuse_a_file_and_nothing_is_written(
    container: Container, late_loan: str, content: bytes, claimed: str | None, name: str | None, code: str
) -> None:
    request = file(container, late_loan)
    with pytest.raises(Invalid) as refused:
        container.hardship.evidence.upload(BORROWER, request.request_id, content, claimed_type=claimed, filename=name)
    assert refused.value.code == code
    assert _stored(container) == [] and events(container, "hardship.EvidenceAdded") == []


def test_only_the_owner_adds_files_to_an_open_request_and_only_so_many(container: Container, late_loan: str) -> None:
    request = file(container, late_loan)
    with pytest.raises(NotFound) as other:
        container.hardship.evidence.upload("brw_someone_else", request.request_id, PNG)
    assert other.value.code == "request_not_found"
    for _ in range(MAX_FILES_PER_REQUEST):
        container.hardship.evidence.upload(BORROWER, request.request_id, PNG)
    with pytest.raises(Conflict) as many:
        container.hardship.evidence.upload(BORROWER, request.request_id, PNG)
    assert many.value.code == "too_many_evidence_files"
    container.hardship.decline(request.request_id, "op_maker", [DeclineReason.INCOMPLETE])
    with pytest.raises(Conflict) as closed:
        container.hardship.evidence.upload(BORROWER, request.request_id, PNG)
    assert closed.value.code == "request_closed"
    assert len(_stored(container)) == MAX_FILES_PER_REQUEST


def test_an_operators_reading_is_in_the_audit_log_with_who_whose_and_which(
    container: Container, late_loan: str
) -> None:
    request = file(container, late_loan)
    added = container.hardship.evidence.upload(BORROWER, request.request_id, PDF)
    opened = container.hardship.evidence.read(added.evidence_id, actor_id="op_reader", actor_role="underwriter")
    assert opened.content == PDF
    (entry,) = container.identity.audit.page(AuditFilter(person_id=BORROWER)).entries
    assert (entry.actor_id, entry.actor_role, entry.fields) == ("op_reader", "underwriter", "hardship_evidence")
    assert entry.purpose == f"hardship evidence {added.evidence_id}"
    with pytest.raises(NotFound) as missing:
        container.hardship.evidence.read("hev_nothing", actor_id="op_reader", actor_role="underwriter")
    assert missing.value.code == "evidence_not_found"
    assert len(container.identity.audit.page(AuditFilter(person_id=BORROWER)).entries) == 1


def test_rotation_moves_every_file_to_the_new_key_and_verify_names_a_file_no_key_opens(
    container: Container, late_loan: str
) -> None:
    request = file(container, late_loan)
    added = container.hardship.evidence.upload(BORROWER, request.request_id, PDF)
    container.hardship.evidence.upload(BORROWER, request.request_id, PNG)
    old_keys = container.settings.pii_keys.get_secret_value()
    assert container.hardship.evidence.unreadable() == []
    stranger = _with_keys(container, NEW_KEY)
    assert [why for _, why in stranger.unreadable()] == ["evidence file: no configured key opens it"] * 2
    with pytest.raises(DomainError) as cannot:
        stranger.read(added.evidence_id, actor_id="op_x", actor_role="admin")
    assert cannot.value.code == "evidence_unreadable"
    rotated = _with_keys(container, f"{NEW_KEY},{old_keys}")
    assert rotated.reseal() == 2
    assert rotated.reseal() == 0
    assert {key for key, _ in _stored(container)} == {"k9"}
    only_new = _with_keys(container, NEW_KEY)
    assert only_new.read(added.evidence_id, actor_id="op_x", actor_role="admin").content == PDF
    assert only_new.unreadable() == []


@pytest.mark.backends("sqlite")
def test_the_rotate_pii_keys_command_reseals_evidence_files_too(
    container: Container, late_loan: str, tmp_path: Path
) -> None:
    request = file(container, late_loan)
    container.hardship.evidence.upload(BORROWER, request.request_id, PDF)
    old_keys = container.settings.pii_keys.get_secret_value()
    env = {
        "FAIRLEND_DATABASE_URL": container.settings.database_url,
        "FAIRLEND_DATA_DIR": str(tmp_path),
        "FAIRLEND_ENVIRONMENT": "test",
        "FAIRLEND_PII_KEYS": f"{NEW_KEY},{old_keys}",
    }
    result = CliRunner().invoke(app, ["users", "rotate-pii-keys"], env=env)
    assert result.exit_code == 0, result.output
    assert "re-encrypted 1 values under key k9" in result.output  # the one file: nobody else is in this world
    assert [key for key, _ in _stored(container)] == ["k9"]
    assert (
        _with_keys(container, NEW_KEY)
        .read(
            container.hardship.request(request.request_id).evidence[0].evidence_id, actor_id="op_x", actor_role="admin"
        )
        .content
        == PDF
    )
