import json
from datetime import date, timedelta
from typing import Any

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from fairlend.api.app import create_app
from fairlend.bootstrap import Container, bootstrap
from fairlend.clock import FixedClock
from fairlend.config import Settings
from fairlend.db.tables import outbox
from fairlend.identity.model import Role
from fairlend.identity.tables import identity_person
from tests.api.identity_helpers import PDF, api_kyc, api_sign_up, api_upload, bearer, dev_code, token_for
from tests.api.problems import refusal
from tests.identity.helpers import cn_id_number, cn_mobile, dev_card


def test_sign_up_kyc_certificate_and_review_through_the_api(
    api: TestClient, container: Container, clock: FixedClock
) -> None:
    borrower = api_sign_up(api)
    pid = borrower["subject_id"]
    assert pid.startswith("brw_") and borrower["role"] == "borrower"
    me = api.get("/api/v1/me", headers=borrower["headers"]).json()
    assert me["kyc_levels"] == ["phone_verified"] and me["masked_phone"].count("*") == 4
    secrets = api_kyc(api, borrower)
    levels = api.get(f"/api/v1/people/{pid}/kyc", headers=borrower["headers"]).json()
    assert [(x["level"], x["method"]) for x in levels] == [
        ("phone_verified", "one_time_code"),
        ("identity_verified", "id_number_check"),
        ("bank_card_verified", "four_elements"),
    ]
    cards = api.get(f"/api/v1/people/{pid}/bank-cards", headers=borrower["headers"]).json()
    assert cards[0]["masked_number"] == "**** " + secrets["card"][-4:]

    consent = api.post(
        f"/api/v1/people/{pid}/consents",
        json={"purpose": "credit_inquiry", "institution": "fairlend", "text_version": "credit-inquiry/v1"},
        headers=borrower["headers"],
    )
    assert consent.status_code == 201
    assert container.identity.live_consent(pid, "credit_inquiry", "fairlend") is not None

    flow = api_upload(api, borrower)
    car = api_upload(api, borrower, kind="vehicle", amount="150000")
    assert flow["status"] == "pending" and flow["amount"] == "8500.00" and flow["currency"] == "CNY"

    made = container.identity.accounts.create_operator("uma", "underwriting pass", Role.UNDERWRITER)
    login = api.post(
        "/api/v1/auth/operator-tokens",
        json={
            "username": "uma",
            "password": "underwriting pass",
            "totp_code": pyotp.TOTP(made.totp_secret).at(clock.now()),
        },
    )
    assert login.status_code == 200, login.text
    underwriter = bearer(login.json()["access_token"])
    queue = api.get("/api/v1/certificates", headers=underwriter).json()
    assert {c["certificate_id"] for c in queue} == {flow["certificate_id"], car["certificate_id"]}
    file = api.get(f"/api/v1/people/{pid}/certificates/{flow['certificate_id']}/file", headers=underwriter)
    assert file.content == PDF and file.headers["content-type"] == "application/pdf"
    approve = api.post(
        f"/api/v1/people/{pid}/certificates/{flow['certificate_id']}/review",
        json={"decision": "approve"},
        headers=underwriter,
    )
    assert approve.status_code == 200 and approve.json()["status"] == "approved"
    reject = api.post(
        f"/api/v1/people/{pid}/certificates/{car['certificate_id']}/review",
        json={"decision": "reject", "reason": "registration certificate is expired"},
        headers=underwriter,
    )
    assert reject.json()["status"] == "rejected"
    seen = {
        c["certificate_id"]: c
        for c in api.get(f"/api/v1/people/{pid}/certificates", headers=borrower["headers"]).json()
    }
    assert seen[car["certificate_id"]]["reason"] == "registration certificate is expired"
    assert [f.certificate_id for f in container.identity.approved_certificates(pid)] == [flow["certificate_id"]]

    # Logging in later with a fresh code gives a token for the same borrower.
    clock.advance(timedelta(minutes=2))
    api.post("/api/v1/auth/otp", json={"phone": borrower["phone"], "purpose": "log_in"})
    again = api.post(
        "/api/v1/auth/tokens",
        json={"phone": borrower["phone"], "code": dev_code(api, borrower["phone"]), "role": "borrower"},
    )
    assert again.status_code == 200 and again.json()["subject_id"] == pid


def _count(container: Container) -> tuple[int, int]:
    with container.uow(read_only=True) as uow:
        people = uow.conn.execute(select(func.count()).select_from(identity_person)).scalar_one()
        events = uow.conn.execute(select(func.count()).select_from(outbox)).scalar_one()
    return int(people), int(events)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"name": "张三", "id_number": "110101199003070010", "birth_date": "1990-03-07"}, "invalid_id_number"),
        (
            {"name": "张三", "id_number": cn_id_number(date(1990, 3, 7)), "birth_date": "1990-03-08"},
            "id_birth_date_mismatch",
        ),
        ({"name": "张三", "id_number": cn_id_number(date(2010, 5, 5)), "birth_date": "2010-05-05"}, "under_age"),
    ],
)
def test_bad_identity_input_is_a_problem_with_a_stable_code_and_changes_nothing(
    api: TestClient, container: Container, body: dict[str, str], code: str
) -> None:
    borrower = api_sign_up(api)
    before = _count(container)
    response = api.post(f"/api/v1/people/{borrower['subject_id']}/kyc/identity", json=body, headers=borrower["headers"])
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code
    assert _count(container) == before


def test_every_other_bad_input_has_its_stable_code(api: TestClient, container: Container, clock: FixedClock) -> None:
    first = api_sign_up(api)
    numbers = api_kyc(api, first)
    second = api_sign_up(api)
    sid = second["subject_id"]
    h = second["headers"]

    def post(path: str, **kwargs: object) -> tuple[int, str]:
        response = api.post(path, headers=h, **kwargs)  # type: ignore[arg-type]
        return response.status_code, response.json().get("code", "")

    same_id = {"name": "张三", "id_number": numbers["id_number"], "birth_date": "1990-03-07"}
    assert post(f"/api/v1/people/{sid}/kyc/identity", json=same_id) == (409, "id_number_already_registered")
    api_kyc(api, second)
    bad_card = dev_card()
    bad_card = bad_card[:-1] + str((int(bad_card[-1]) + 5) % 10)
    assert post(f"/api/v1/people/{sid}/bank-cards", json={"card_number": bad_card}) == (422, "card_failed_luhn")
    assert post("/api/v1/auth/otp", json={"phone": "+12025550123", "purpose": "sign_up"}) == (422, "phone_wrong_region")
    png_named_pdf = {"file": ("flow.pdf", b"\x89PNG\r\n\x1a\n....", "application/pdf")}
    assert post(f"/api/v1/people/{sid}/certificates", data={"kind": "deposit", "amount": "1"}, files=png_named_pdf) == (
        422,
        "file_type_mismatch",
    )
    big = {"file": ("big.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024), "application/pdf")}
    assert post(f"/api/v1/people/{sid}/certificates", data={"kind": "deposit", "amount": "1"}, files=big) == (
        422,
        "file_too_large",
    )
    phone = cn_mobile()
    assert api.post("/api/v1/auth/otp", json={"phone": phone, "purpose": "sign_up"}).status_code == 202
    limited = api.post("/api/v1/auth/otp", json={"phone": phone, "purpose": "sign_up"})
    assert limited.status_code == 429 and limited.json()["code"] == "code_send_rate_limited"
    code = dev_code(api, phone)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    sign_up = {"phone": phone, "code": wrong, "role": "borrower"}
    assert post("/api/v1/auth/sign-up", json=sign_up) == (422, "code_wrong")
    for _ in range(3):
        post("/api/v1/auth/sign-up", json=sign_up)
    assert post("/api/v1/auth/sign-up", json=sign_up) == (429, "code_locked")
    clock.advance(timedelta(minutes=1, seconds=1))
    api.post("/api/v1/auth/otp", json={"phone": phone, "purpose": "sign_up"})
    code = dev_code(api, phone)
    clock.advance(timedelta(minutes=5))
    assert post("/api/v1/auth/sign-up", json={"phone": phone, "code": code, "role": "borrower"}) == (
        422,
        "code_expired",
    )

    # A good, unused code: only the role refusal stands between this call and an admin account.
    clock.advance(timedelta(minutes=1, seconds=1))
    api.post("/api/v1/auth/otp", json={"phone": phone, "purpose": "sign_up"})
    code = dev_code(api, phone)
    for role in ("admin", "underwriter", "collector", "compliance", "finance", "root"):
        assert post("/api/v1/auth/sign-up", json={"phone": phone, "code": code, "role": role}) == (422, "invalid_role")
    # Nothing was used up: the same code opens the borrower account it was sent for.
    assert post("/api/v1/auth/sign-up", json={"phone": phone, "code": code, "role": "borrower"})[0] == 201


def test_an_idempotent_replay_of_an_upload_stores_one_certificate(api: TestClient) -> None:
    borrower = api_sign_up(api)
    path = f"/api/v1/people/{borrower['subject_id']}/certificates"
    # A retrying client resends the same bytes, boundary included.
    boundary = "fairlend-test-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\ndeposit\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="amount"\r\n\r\n100\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + PDF
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = {
        **borrower["headers"],
        "Idempotency-Key": "upload-1",
        "Content-Type": f"multipart/form-data; boundary={boundary}",
    }
    one = api.post(path, content=body, headers=headers)
    two = api.post(path, content=body, headers=headers)
    assert one.status_code == 201 and one.json() == two.json()
    assert two.headers.get("idempotent-replayed") == "true"
    assert len(api.get(path, headers=borrower["headers"]).json()) == 1


def test_an_admin_creates_operators_and_compliance_reads_the_audit_log(
    api: TestClient, container: Container, clock: FixedClock
) -> None:
    admin = token_for(container, Role.ADMIN, "op_admin")
    created = api.post(
        "/api/v1/operators",
        json={"username": "cora", "password": "compliance pass", "role": "compliance"},
        headers=admin,
    )
    assert created.status_code == 201 and created.json()["operator"]["role"] == "compliance"
    assert [o["username"] for o in api.get("/api/v1/operators", headers=admin).json()] == ["cora"]
    totp = pyotp.TOTP(created.json()["totp_secret"]).at(clock.now())
    login = api.post(
        "/api/v1/auth/operator-tokens", json={"username": "cora", "password": "compliance pass", "totp_code": totp}
    )
    compliance = bearer(login.json()["access_token"])
    assert api.get("/api/v1/me", headers=compliance).json()["role"] == "compliance"
    borrower = api_sign_up(api)
    numbers = api_kyc(api, borrower)
    view = api.post(
        f"/api/v1/people/{borrower['subject_id']}/unmasked", json={"purpose": "complaint 7"}, headers=compliance
    )
    assert view.json()["id_number"] == numbers["id_number"] and view.json()["bank_cards"] == [numbers["card"]]
    log = api.get("/api/v1/audit-log", params={"person_id": borrower["subject_id"]}, headers=compliance).json()
    assert [(e["actor_id"], e["purpose"]) for e in log] == [(login.json()["subject_id"], "complaint 7")]
    bad = api.post("/api/v1/auth/operator-tokens", json={"username": "cora", "password": "nope", "totp_code": "000000"})
    assert bad.status_code == 401 and bad.json()["code"] == "operator_login_failed"


def test_the_development_code_endpoint_does_not_exist_in_production(tmp_path: object, clock: FixedClock) -> None:
    import base64

    settings = Settings(
        environment="production",
        database_url=f"sqlite:///{tmp_path}/prod.db",
        secret_key="a-production-secret-key-0123456789",
        pii_keys="p1:" + base64.b64encode(b"p" * 32).decode(),
        blind_index_key="a-production-index-key",
    )
    container = bootstrap(settings, clock=clock)
    try:
        client = TestClient(create_app(container=container), raise_server_exceptions=False)
        assert refusal(client.get("/api/v1/dev/one-time-codes")) == (404, "not_found")
        assert "/api/v1/dev/one-time-codes" not in client.get("/openapi.json").json()["paths"]
    finally:
        container.close()


def contact_arrays(spec: dict[str, Any]) -> list[str]:
    """Every array in a request body whose name or items look like contacts or phone numbers."""
    schemas = spec.get("components", {}).get("schemas", {})
    suspicious = ("contact", "phone", "mobile", "address", "book", "tel")

    def resolve(schema: dict[str, Any]) -> dict[str, Any]:
        ref = schema.get("$ref")
        return resolve(schemas[ref.rsplit("/", 1)[1]]) if isinstance(ref, str) else schema

    def arrays(schema: dict[str, Any], path: str) -> list[str]:
        schema = resolve(schema)
        found = [path] if schema.get("type") == "array" else []
        for key in ("anyOf", "oneOf", "allOf"):
            for option in schema.get(key, []):
                found += arrays(option, path)
        if isinstance(schema.get("items"), dict):
            found += arrays(schema["items"], path + "[]")
        for name, prop in (schema.get("properties") or {}).items():
            found += arrays(prop, f"{path}.{name}")
        return found

    offending = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for media in operation.get("requestBody", {}).get("content", {}).values():
                for found in arrays(media.get("schema", {}), f"{method.upper()} {path}"):
                    items = json.dumps(resolve(media.get("schema", {}))).lower()
                    if any(word in found.lower() or word in items for word in suspicious):
                        offending.append(found)
    return offending


def test_no_request_body_accepts_a_list_of_contacts_or_phone_numbers(api: TestClient) -> None:
    """RULES P-1: no endpoint takes an address book, under any name."""
    assert contact_arrays(api.get("/openapi.json").json()) == []


def test_the_contact_scan_finds_an_address_book_endpoint() -> None:
    from fastapi import FastAPI
    from pydantic import BaseModel

    class Entry(BaseModel):
        name: str
        number: str

    class Upload(BaseModel):
        people: list[Entry]
        phones: list[str]

    probe = FastAPI()

    @probe.post("/contacts")
    def take(body: Upload) -> None: ...

    assert sorted(contact_arrays(probe.openapi())) == ["POST /contacts.people", "POST /contacts.phones"]


@pytest.mark.backends("sqlite")
def test_arbitrary_input_never_causes_a_server_error(api: TestClient) -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    borrower = api_sign_up(api)
    pid = borrower["subject_id"]
    text = st.text(max_size=40)

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(text, text, text, st.sampled_from(["salary_flow", "vehicle", "x", ""]), st.binary(max_size=64))
    def probe(a: str, b: str, c: str, kind: str, blob: bytes) -> None:
        calls = [
            api.post("/api/v1/auth/otp", json={"phone": a, "purpose": "log_in"}),
            api.post("/api/v1/auth/tokens", json={"phone": a, "code": b[:12], "role": "investor"}),
            api.post("/api/v1/auth/operator-tokens", json={"username": a, "password": b, "totp_code": c[:12]}),
            api.post(
                f"/api/v1/people/{pid}/kyc/identity",
                json={"name": a, "id_number": b[:32], "birth_date": "1990-03-07"},
                headers=borrower["headers"],
            ),
            api.post(f"/api/v1/people/{pid}/bank-cards", json={"card_number": c[:32]}, headers=borrower["headers"]),
            api.post(
                f"/api/v1/people/{pid}/certificates",
                data={"kind": kind, "amount": a},
                files={"file": ("f", blob, "application/octet-stream")},
                headers=borrower["headers"],
            ),
            api.post(
                f"/api/v1/people/{pid}/consents",
                json={"purpose": "credit_inquiry", "institution": a, "text_version": b},
                headers=borrower["headers"],
            ),
            api.put(f"/api/v1/people/{pid}/timezone", json={"timezone": c}, headers=borrower["headers"]),
        ]
        for response in calls:
            assert response.status_code < 500, response.text

    probe()
