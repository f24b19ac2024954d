"""A replayable "show unmasked" call leaves no personal data in clear in the raw database.

The idempotency store keeps every answer it may replay, and the answer to
`POST /people/{id}/unmasked` is a person's name, mobile number, ID number and
cards in clear. Before answers were sealed, a raw scan found all four. The scan
reads the SQLite file and its WAL while the server runs (the newest pages live
in the WAL) and again after it stops, and every PostgreSQL row.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from fairlend.api.app import create_app
from fairlend.bootstrap import Container, bootstrap
from fairlend.cli import app
from fairlend.clock import FixedClock
from fairlend.config import Settings
from fairlend.db.schema import load_all
from fairlend.identity.model import Role
from tests.api.identity_helpers import api_sign_up, token_for
from tests.identity.helpers import cn_id_number, dev_card

NAME = "欧阳晓燕"


def _unmasked_person(api: TestClient, container: Container) -> tuple[dict[str, object], list[str]]:
    person = api_sign_up(api)
    pid = person["subject_id"]
    number, card = cn_id_number(), dev_card()
    kyc = api.post(
        f"/api/v1/people/{pid}/kyc/identity",
        json={"name": NAME, "id_number": number, "birth_date": "1990-03-07"},
        headers={**person["headers"], "Idempotency-Key": "kyc-1"},
    )
    assert kyc.status_code == 201, kyc.text
    bound = api.post(
        f"/api/v1/people/{pid}/bank-cards",
        json={"card_number": card},
        headers={**person["headers"], "Idempotency-Key": "card-1"},
    )
    assert bound.status_code == 201, bound.text
    compliance = {**token_for(container, Role.COMPLIANCE, "op_cara"), "Idempotency-Key": "view-1"}
    view = api.post(f"/api/v1/people/{pid}/unmasked", json={"purpose": "complaint 42"}, headers=compliance)
    replay = api.post(f"/api/v1/people/{pid}/unmasked", json={"purpose": "complaint 42"}, headers=compliance)
    assert view.status_code == replay.status_code == 200, view.text
    assert replay.headers.get("idempotent-replayed") == "true" and replay.json() == view.json()
    shown = view.json()
    assert shown["name"] == NAME and shown["id_number"] == number and shown["bank_cards"] == [card]
    phone = str(person["phone"])
    return shown, [NAME, number, card, phone, shown["phone"]]


def _rows(container: Container) -> bytes:
    parts: list[bytes] = []
    with container.engine.connect() as conn:
        for table in load_all().sorted_tables:
            for row in conn.execute(sa.select(table)):
                for value in row:
                    parts.append(bytes(value) if isinstance(value, (bytes, memoryview)) else str(value).encode())
    return b"\n".join(parts)


def _files(container: Container) -> bytes:
    database = Path(sa.engine.make_url(container.settings.database_url).database or "")
    return b"".join(p.read_bytes() for p in sorted(database.parent.glob(database.name + "*")) if p.is_file())


def test_a_replayable_unmasked_view_leaves_nothing_in_clear_in_the_raw_database(
    api: TestClient, container: Container, backend: str
) -> None:
    _, secrets = _unmasked_person(api, container)
    with container.engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT scope_key FROM idempotency_key WHERE state = 'done'")).scalars().all()
    assert len(stored) >= 3  # the view, the KYC and the card answers are all kept for replay
    if backend == "sqlite":
        while_running = _files(container)
        assert len(while_running) > 10_000
        container.close()
        scans = [while_running, _files(container)]
    else:
        scans = [_rows(container)]
        assert b"identity.PersonRegistered" in scans[0]  # the scan covered the outbox too
    for raw in scans:
        assert all(key.encode() in raw for key in stored)  # the scan read the idempotency rows
        for secret in secrets:
            assert secret.encode() not in raw, f"found {secret[:3]}… in clear"


@pytest.mark.backends("sqlite")
def test_rotating_the_keys_reseals_stored_answers_and_a_replay_still_opens_them(
    api: TestClient, container: Container, tmp_path: Path, clock: FixedClock
) -> None:
    shown, _ = _unmasked_person(api, container)
    new_key = "k9:" + base64.b64encode(b"9" * 32).decode()
    env = {
        "FAIRLEND_DATABASE_URL": container.settings.database_url,
        "FAIRLEND_DATA_DIR": str(tmp_path),
        "FAIRLEND_ENVIRONMENT": "test",
        "FAIRLEND_PII_KEYS": f"{new_key},{container.settings.pii_keys.get_secret_value()}",
    }
    result = CliRunner().invoke(app, ["users", "rotate-pii-keys"], env=env)
    assert result.exit_code == 0, result.output
    with container.engine.connect() as conn:
        kids = conn.execute(sa.text("SELECT DISTINCT key_id FROM idempotency_key WHERE state = 'done'")).scalars()
        assert set(kids) == {"k9"}
    rotated = bootstrap(
        Settings(**{**container.settings.model_dump(), "pii_keys": env["FAIRLEND_PII_KEYS"]}), clock=clock
    )
    try:
        assert rotated.verify() == []
        with TestClient(create_app(container=rotated), client=("127.0.0.1", 50000)) as client:
            replay = client.post(
                f"/api/v1/people/{shown['person_id']}/unmasked",
                json={"purpose": "complaint 42"},
                headers={**token_for(rotated, Role.COMPLIANCE, "op_cara"), "Idempotency-Key": "view-1"},
            )
        assert replay.headers.get("idempotent-replayed") == "true" and replay.json() == shown
    finally:
        rotated.close()
    # The old key alone opens none of them now (nor identity's own values): `fairlend verify` names each.
    assert "idempotency.body" in {d.check for d in container.verify()}
