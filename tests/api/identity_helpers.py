"""Driving identity through the HTTP API, as a client would."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi.testclient import TestClient

from fairlend.bootstrap import Container
from fairlend.identity.model import Principal, Role
from tests.identity.helpers import cn_id_number, cn_mobile, dev_card

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def token_for(container: Container, role: Role, subject_id: str) -> dict[str, str]:
    token, _ = container.identity.tokens.issue(Principal(subject_id, role))
    return bearer(token)


def dev_code(api: TestClient, phone: str) -> str:
    codes = api.get("/api/v1/dev/one-time-codes", params={"phone": phone}).json()
    return str(codes[0]["code"])


def api_sign_up(api: TestClient, role: str = "borrower", phone: str | None = None) -> dict[str, Any]:
    phone = phone or cn_mobile()
    sent = api.post("/api/v1/auth/otp", json={"phone": phone, "purpose": "sign_up"})
    assert sent.status_code == 202, sent.text
    response = api.post("/api/v1/auth/sign-up", json={"phone": phone, "code": dev_code(api, phone), "role": role})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    body["phone"] = phone
    body["headers"] = bearer(body["access_token"])
    return body


def api_kyc(api: TestClient, person: dict[str, Any], born: date = date(1990, 3, 7)) -> dict[str, str]:
    pid = person["subject_id"]
    number = cn_id_number(born)
    identity = api.post(
        f"/api/v1/people/{pid}/kyc/identity",
        json={"name": "张三", "id_number": number, "birth_date": born.isoformat()},
        headers=person["headers"],
    )
    assert identity.status_code == 201, identity.text
    card = dev_card()
    bound = api.post(f"/api/v1/people/{pid}/bank-cards", json={"card_number": card}, headers=person["headers"])
    assert bound.status_code == 201, bound.text
    return {"id_number": number, "card": card}


def api_upload(
    api: TestClient, person: dict[str, Any], kind: str = "salary_flow", amount: str = "8500.00"
) -> dict[str, Any]:
    response = api.post(
        f"/api/v1/people/{person['subject_id']}/certificates",
        data={"kind": kind, "amount": amount},
        files={"file": ("flow.pdf", PDF, "application/pdf")},
        headers=person["headers"],
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body
