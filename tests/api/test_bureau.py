"""The bureau's HTTP surface: API keys, idempotency keys, problem details, OpenAPI."""

from datetime import date

from fastapi.testclient import TestClient

from fairlend.bootstrap import Container
from tests.api.problems import refusal
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
    assert refusal(bad) == (422, "validation_error")
    refused = api.post(
        "/api/v1/bureau/inquiries", json={"id_number": ID_CN, "purpose": "loan_approval"}, headers=headers
    )
    assert refused.status_code == 403 and refused.json()["code"] == "inquiry_consent_required"
    user_token = api.get("/api/v1/bureau/disputes", headers={"Authorization": "Bearer someone"})
    assert user_token.status_code == 401 and user_token.json()["code"] == "api_key_required"


def _self_consent(institution_id: str, **changes: object) -> dict[str, object]:
    return {
        "consent_id": "cons_self_1",
        "purpose": "self",
        "institution_id": institution_id,
        "person_id_number": ID_CN,
        "text_version": "credit-self-check/v1",
        "granted_at": "2026-03-01T00:00:00Z",
        **changes,
    }


def test_an_institutions_self_query_needs_the_persons_consent_and_a_refusal_is_a_problem_naming_the_rule(
    container: Container, api: TestClient
) -> None:
    assert container.bureau is not None
    bank = container.bureau.register_institution("Bank A")
    headers = {"Authorization": f"ApiKey {bank.api_key}"}
    url = "/api/v1/bureau/self-queries"
    refusals = {
        "none": None,
        "another person": _self_consent(bank.institution_id, person_id_number="11010119900307002X"),
        "another purpose": _self_consent(bank.institution_id, purpose="loan_approval"),
        "revoked": _self_consent(bank.institution_id, revoked_at="2026-03-01T12:00:00Z"),
    }
    for case, consent in refusals.items():
        for fmt in ("json", "html", "pdf"):
            refused = api.post(
                url, params={"format": fmt}, json={"id_number": ID_CN, "consent": consent}, headers=headers
            )
            assert refused.status_code == 403, (case, fmt, refused.text)
            assert refused.headers["content-type"].startswith("application/problem+json")
            assert refused.json()["rule"] == "CN-14" and "(CN-14)" in refused.json()["detail"]
            assert "个人信用报告" not in refused.text and "%PDF" not in refused.text
    assert api.post(url, json={"id_number": ID_CN}, headers=headers).json()["code"] == "inquiry_consent_required"

    ok = api.post(url, json={"id_number": ID_CN, "consent": _self_consent(bank.institution_id)}, headers=headers)
    assert ok.status_code == 200, ok.text
    assert [(i["kind"], i["institution_id"]) for i in ok.json()["inquiries"]] == [("self", bank.institution_id)]
    pdf = api.post(
        url,
        params={"format": "pdf"},
        json={"id_number": ID_CN, "consent": _self_consent(bank.institution_id)},
        headers=headers,
    )
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_the_bureau_routes_are_in_the_openapi_document(api: TestClient) -> None:
    paths = api.get("/openapi.json").json()["paths"]
    assert {"/api/v1/bureau/files", "/api/v1/bureau/inquiries", "/api/v1/bureau/disputes/{dispute_id}/answer"} <= set(
        paths
    )


def test_a_metro2_file_is_taken_at_the_same_endpoint_and_a_refusal_names_field_and_position(
    container: Container, api: TestClient
) -> None:
    from tests.bureau.test_metro2_intake import metro2_file
    from tests.metro2.life import LIFE

    headers = {"Authorization": f"ApiKey {_key(container)}"}
    body = metro2_file(LIFE, date(2025, 6, 5))
    taken = api.post("/api/v1/bureau/files", content=body, headers=headers)
    assert taken.status_code == 200 and (taken.json()["applied"], taken.json()["rejected"]) == (2, [])
    header, account, trailer = body.decode().splitlines()
    bad = "\n".join([header, account, trailer[:11] + "000000009" + trailer[20:]]).encode()
    refused = api.post("/api/v1/bureau/files", content=bad, headers=headers)
    assert refused.status_code == 200 and refused.json()["applied"] == 0
    (rejection,) = refused.json()["rejected"]
    assert (rejection["line"], rejection["field"], rejection["position"], rejection["code"]) == (
        3,
        "total_base_records",
        12,
        "trailer_mismatch",
    )
