"""No log record carries personal data: a demo and the main API flows, logged at DEBUG, scanned.

Every logger is captured at DEBUG, with SQL echo on (the most an operator can
turn on: `FAIRLEND_ECHO_SQL`), while the demo seeds a small book (sign-up by
one-time code, KYC, cards, certificates, loans, repayments, end-of-day,
collection contacts, bureau reports) and the API is driven through sign-up,
identity and card checks, a certificate upload, an operator's view in clear,
a bureau file, and requests that fail. Each record's message, arguments and
traceback are then searched for every name, ID number, phone (national and
E.164) and card number of the run: zero hits. The development SMS sender's
record is checked on its own: it names the number masked.
"""

from __future__ import annotations

import contextlib
import logging
import traceback
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from fairlend.api.app import create_app
from fairlend.bootstrap import Container, bootstrap
from fairlend.clock import FixedClock
from fairlend.config import Settings
from fairlend.db.migrate import upgrade
from fairlend.identity.model import OtpPurpose, Role
from fairlend.sim.demo import contact_instant, seed_demo
from fairlend.sim.people import make_borrowers
from tests.api.identity_helpers import api_kyc, api_upload, token_for
from tests.bureau.conftest import ID_CN, Records, lines
from tests.identity.helpers import cn_mobile, code_for

pytestmark = pytest.mark.backends("sqlite")

BORROWERS, DAYS, SEED = 6, 12, 7


class Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def captured() -> Iterator[Kept]:
    root = logging.getLogger()
    kept, level = Kept(), root.level
    root.addHandler(kept)
    root.setLevel(logging.DEBUG)
    yield kept
    root.removeHandler(kept)
    root.setLevel(level)


def _text(record: logging.LogRecord) -> str:
    parts = [str(record.msg), repr(record.args)]
    with contextlib.suppress(TypeError, ValueError):  # a record whose arguments do not fit its message
        parts.append(record.getMessage())
    if record.exc_info and record.exc_info[1] is not None:
        parts.append("".join(traceback.format_exception(record.exc_info[1])))
    return "\n".join(parts)


def hits(records: list[logging.LogRecord], secrets: set[str]) -> list[str]:
    found = []
    for record in records:
        text = _text(record)
        found += [f"{record.name}: {secret}" for secret in secrets if secret and secret in text]
    return found


def _phone_forms(national: str) -> set[str]:
    return {national, "+86" + national, "+86 " + national}


def _run(tmp_path: Path) -> set[str]:
    """Seed a demo and drive the API; returns the personal data of the run."""
    settings = Settings(
        environment="development", database_url=f"sqlite:///{tmp_path}/logs.db", data_dir=tmp_path, echo_sql=True
    )
    migrated = bootstrap(settings)
    upgrade(migrated.engine)
    migrated.close()
    today = date(2026, 3, 2)
    clock = FixedClock(contact_instant(today, "Asia/Shanghai"), today)
    container = bootstrap(settings, clock=clock)
    secrets: set[str] = set()
    try:
        report = seed_demo(container, borrowers=BORROWERS, days=DAYS, seed=SEED)
        for person in make_borrowers(BORROWERS, SEED, report.start, open_within=min(20, max(1, DAYS // 3))):
            secrets |= {person.name, person.id_number, person.card_number, *_phone_forms(person.phone)}
        for borrower in report.borrowers:
            secrets |= {borrower.name, *_phone_forms(borrower.phone)}
        secrets |= _api_flows(container)
    finally:
        container.close()
    return secrets


def _api_flows(container: Container) -> set[str]:
    secrets = {ID_CN, "张三"}
    with TestClient(create_app(container=container), raise_server_exceptions=False) as api:
        alice = _sign_up(api, container)
        proofs = api_kyc(api, alice)
        secrets |= {proofs["id_number"], proofs["card"], *_phone_forms(alice["phone"])}
        api_upload(api, alice)
        compliance = token_for(container, Role.COMPLIANCE, "op_compliance")
        shown = api.post(
            f"/api/v1/people/{alice['subject_id']}/unmasked",
            json={"purpose": f"complaint about {alice['phone']}"},
            headers=compliance,
        )
        assert shown.status_code == 200 and proofs["id_number"] in shown.text  # the data was there to leak
        # Requests that fail: a wrong ID number, a card failing Luhn, a phone of another region, a malformed body.
        bad_id = proofs["id_number"][:-1] + ("0" if proofs["id_number"][-1] != "0" else "1")
        api.post(
            f"/api/v1/people/{alice['subject_id']}/kyc/identity",
            json={"name": "王五", "id_number": bad_id, "birth_date": "1990-03-07"},
            headers=alice["headers"],
        )
        api.post(f"/api/v1/people/{alice['subject_id']}/bank-cards", json={"card_number": "6222000000000001"})
        other = cn_mobile()
        api.post("/api/v1/auth/otp", json={"phone": "+1202555" + other[-4:], "purpose": "sign_up"})
        api.post("/api/v1/auth/sign-up", content=f'{{"phone": "{other}", "code": 12')
        secrets |= {bad_id, "王五", "6222000000000001", *_phone_forms(other)}
        assert container.bureau is not None
        bank = container.bureau.register_institution("Log Bank")
        sent = api.post(
            "/api/v1/bureau/files",
            content=lines(Records("L1").opened(date(2026, 1, 5))) + b"\n{not json " + ID_CN.encode(),
            headers={"Authorization": f"ApiKey {bank.api_key}"},
        )
        assert sent.status_code == 200, sent.text
    return secrets


def _sign_up(api: TestClient, container: Container) -> dict[str, Any]:
    """api_sign_up without the development code endpoint, which takes the phone in its URL (dev only)."""
    phone = cn_mobile()
    assert api.post("/api/v1/auth/otp", json={"phone": phone, "purpose": "sign_up"}).status_code == 202
    code = code_for(container, phone, OtpPurpose.SIGN_UP)
    made = api.post("/api/v1/auth/sign-up", json={"phone": phone, "code": code, "role": "borrower"})
    assert made.status_code == 201, made.text
    body: dict[str, Any] = made.json()
    return {**body, "phone": phone, "headers": {"Authorization": f"Bearer {body['access_token']}"}}


def test_no_log_record_of_a_demo_and_the_api_flows_names_a_person(captured: Kept, tmp_path: Path) -> None:
    secrets = _run(tmp_path)
    assert len(secrets) > 4 * BORROWERS and len(captured.records) > 1000  # the run logged, SQL included
    assert hits(captured.records, secrets) == []


def test_the_scan_finds_a_planted_id_number(captured: Kept) -> None:
    """The oracle bites: an ID number in a message, an argument or a traceback is found."""
    log = logging.getLogger("fairlend.test")
    log.debug("checked %s", ID_CN)
    try:
        raise ValueError(f"bad {cn_mobile()[:3]}{ID_CN}")
    except ValueError:
        log.exception("failed")
    assert len(hits(captured.records, {ID_CN})) == 2


def test_the_development_sms_sender_logs_the_code_with_the_number_masked(captured: Kept, container: Container) -> None:
    phone = cn_mobile()
    container.identity.otp.send_code(phone, "sign_up")
    (record,) = [r for r in captured.records if r.name == "fairlend.identity"]
    text = _text(record)
    assert phone[-4:] in text and "****" in text
    assert hits([record], _phone_forms(phone)) == []
