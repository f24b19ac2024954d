"""The bureau's HTTP surface: API keys, idempotency keys, problem details, OpenAPI."""

from datetime import date

from fastapi.testclient import TestClient

from fairlend.bootstrap import Container
from tests.bureau.conftest import ID_CN, Records, lines


def _key(container: Container) -> str:
    assert container.bureau is not None
    return container.bureau.register_institution("Bank A").api_key


def test_a_replayed_idempotency_key_returns_the_first_acknowledgement(container: Container, api: TestClient) -> None:
    headers = {"Authorization": f"ApiKey {_key(container)}", "Idempotency-Key": "day-1"}
    body = lines(Records("L1").opened(date(2026, 1, 5)))
    first = api.post("/api/v1/bureau/files", content=body, headers=headers)
    again = api.post("/api/v1/bureau/files", content=body, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.headers.get("idempotent-replayed") == "true" and again.json() == first.json()


def test_bad_input_is_a_problem_not_a_server_error(container: Container, api: TestClient) -> None:
    headers = {"Authorization": f"ApiKey {_key(container)}"}
    bad = api.post("/api/v1/bureau/inquiries", json={"id_number": ID_CN, "purpose": "gossip"}, headers=headers)
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    refused = api.post(
        "/api/v1/bureau/inquiries", json={"id_number": ID_CN, "purpose": "loan_approval"}, headers=headers
    )
    assert refused.status_code == 403 and refused.json()["code"] == "inquiry_consent_required"
    user_token = api.get("/api/v1/bureau/disputes", headers={"Authorization": "Bearer someone"})
    assert user_token.status_code == 401 and user_token.json()["code"] == "api_key_required"


def test_the_bureau_routes_are_in_the_openapi_document(api: TestClient) -> None:
    paths = api.get("/openapi.json").json()["paths"]
    assert {"/api/v1/bureau/files", "/api/v1/bureau/inquiries", "/api/v1/bureau/disputes/{dispute_id}/answer"} <= set(
        paths
    )
