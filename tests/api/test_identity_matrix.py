"""The authorization matrix: every identity endpoint x every role x own/other's resource.

Access is decided only by the policies in api/auth.py; this test holds each
endpoint to the policy it should have. An allowed call may still fail on the
merits (409, 404, 422) but never with 401/403; a refused call is 401/403 with
a stable code and carries none of the owner's data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from fairlend.api.auth import AUDIT_READERS, CERTIFICATE_REVIEWERS, OPERATOR_ADMINS, PERSON_READERS, UNMASKERS
from fairlend.bootstrap import Container
from fairlend.identity.model import Role
from tests.api.identity_helpers import PDF, api_kyc, api_sign_up, api_upload, token_for
from tests.api.problems import refusal
from tests.identity.helpers import dev_card

OWNER = "owner"
ANY_SIGNED_IN = "any"


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # {pid}, {cid}, {consent} are filled in per target; {op} is an operator
    # Who besides the owner may call it; OWNER alone means only the owner.
    allowed: frozenset[Role] | str
    owner_may: bool
    body: Callable[[], dict[str, Any]] = dict
    # The call ends the caller's own session (log-out): each caller presents a fresh token of theirs.
    spends_token: bool = False


def _upload() -> dict[str, Any]:
    return {"data": {"kind": "deposit", "amount": "100"}, "files": {"file": ("a.pdf", PDF, "application/pdf")}}


ENDPOINTS = [
    Endpoint("GET", "/api/v1/me", ANY_SIGNED_IN, True),
    Endpoint("POST", "/api/v1/auth/logout", ANY_SIGNED_IN, True, spends_token=True),
    Endpoint("GET", "/api/v1/people/{pid}", PERSON_READERS, True),
    Endpoint("GET", "/api/v1/people/{pid}/kyc", PERSON_READERS, True),
    Endpoint("PUT", "/api/v1/people/{pid}/timezone", frozenset(), True, lambda: {"json": {"timezone": "Asia/Urumqi"}}),
    Endpoint(
        "POST",
        "/api/v1/people/{pid}/kyc/identity",
        frozenset(),
        True,
        lambda: {"json": {"name": "某人", "id_number": "110101199003070011", "birth_date": "1990-03-07"}},
    ),
    Endpoint(
        "POST", "/api/v1/people/{pid}/bank-cards", frozenset(), True, lambda: {"json": {"card_number": dev_card()}}
    ),
    Endpoint("GET", "/api/v1/people/{pid}/bank-cards", PERSON_READERS, True),
    Endpoint("POST", "/api/v1/people/{pid}/certificates", frozenset(), True, _upload),
    Endpoint("GET", "/api/v1/people/{pid}/certificates", PERSON_READERS, True),
    Endpoint("GET", "/api/v1/people/{pid}/certificates/{cid}", PERSON_READERS, True),
    Endpoint("GET", "/api/v1/people/{pid}/certificates/{cid}/file", CERTIFICATE_REVIEWERS, True),
    Endpoint(
        "POST",
        "/api/v1/people/{pid}/certificates/{cid}/review",
        CERTIFICATE_REVIEWERS,
        False,
        lambda: {"json": {"decision": "reject", "reason": "blurred"}},
    ),
    Endpoint("GET", "/api/v1/certificates", CERTIFICATE_REVIEWERS, False),
    Endpoint(
        "POST",
        "/api/v1/people/{pid}/consents",
        frozenset(),
        True,
        lambda: {"json": {"purpose": "marketing", "text_version": "m/v1"}},
    ),
    Endpoint("GET", "/api/v1/people/{pid}/consents", PERSON_READERS, True),
    Endpoint("POST", "/api/v1/people/{pid}/consents/{consent}/revoke", frozenset(), True),
    Endpoint("POST", "/api/v1/people/{pid}/unmasked", UNMASKERS, False, lambda: {"json": {"purpose": "matrix"}}),
    Endpoint("GET", "/api/v1/audit-log", AUDIT_READERS, False),
    Endpoint(
        "POST",
        "/api/v1/operators",
        OPERATOR_ADMINS,
        False,
        lambda: {"json": {"username": f"op{_next()}", "password": "long enough pass", "role": "collector"}},
    ),
    Endpoint("GET", "/api/v1/operators", OPERATOR_ADMINS, False),
    Endpoint("POST", "/api/v1/operators/{op}/sessions/revoke", OPERATOR_ADMINS, False),
    Endpoint("POST", "/api/v1/operators/{op}/disable", OPERATOR_ADMINS, False),
]

_counter = iter(range(10_000))


def _next() -> int:
    return next(_counter)


def _expected_allowed(endpoint: Endpoint, caller_role: Role | None, is_owner: bool) -> bool:
    if caller_role is None:
        return False
    if endpoint.allowed == ANY_SIGNED_IN:
        return True
    if is_owner and endpoint.owner_may:
        return True
    assert isinstance(endpoint.allowed, frozenset)
    return caller_role in endpoint.allowed


def test_every_identity_endpoint_enforces_its_policy_for_every_role(api: TestClient, container: Container) -> None:
    alice = api_sign_up(api)  # the borrower whose records are the target
    api_kyc(api, alice)
    cert = api_upload(api, alice)
    consent = api.post(
        f"/api/v1/people/{alice['subject_id']}/consents",
        json={"purpose": "data_processing", "text_version": "dp/v1"},
        headers=alice["headers"],
    ).json()
    bob = api_sign_up(api)
    ivy = api_sign_up(api, role="investor")
    ivy_consent = api.post(
        f"/api/v1/people/{ivy['subject_id']}/consents",
        json={"purpose": "marketing", "text_version": "m/v1"},
        headers=ivy["headers"],
    ).json()

    callers: dict[str, tuple[Role | None, str, dict[str, str]]] = {
        "anonymous": (None, "", {}),
        "alice": (Role.BORROWER, alice["subject_id"], alice["headers"]),
        "bob": (Role.BORROWER, bob["subject_id"], bob["headers"]),
        "ivy": (Role.INVESTOR, ivy["subject_id"], ivy["headers"]),
    }
    for role in (Role.UNDERWRITER, Role.COLLECTOR, Role.COMPLIANCE, Role.FINANCE, Role.ADMIN):
        callers[role.value] = (role, f"op_{role.value}", token_for(container, role, f"op_{role.value}"))
    # The operator whose sessions the operator endpoints end (never one of the callers).
    target_operator = container.identity.accounts.create_operator("target", "long enough pass", Role.COLLECTOR)
    op_id = target_operator.operator.operator_id
    targets = {
        "alice": (alice["subject_id"], cert["certificate_id"], consent["consent_id"]),
        "ivy": (ivy["subject_id"], cert["certificate_id"], ivy_consent["consent_id"]),
    }

    mismatches: list[str] = []
    checked = 0
    for endpoint in ENDPOINTS:
        for target_name, (pid, cid, consent_id) in targets.items():
            if "{pid}" not in endpoint.path and target_name != "alice":
                continue
            path = endpoint.path.format(pid=pid, cid=cid, consent=consent_id, op=op_id)
            for caller_name, (role, subject, headers) in callers.items():
                if endpoint.spends_token and role is not None:
                    headers = token_for(container, role, subject)
                is_owner = subject == pid
                allowed = _expected_allowed(endpoint, role, is_owner)
                response = api.request(endpoint.method, path, headers=headers, **endpoint.body())
                checked += 1
                label = f"{caller_name} {endpoint.method} {endpoint.path} on {target_name}: {response.status_code}"
                if response.status_code >= 500:
                    mismatches.append(label + " (server error)")
                elif allowed and response.status_code in (401, 403):
                    mismatches.append(label + " (should be allowed)")
                elif not allowed:
                    want = 401 if role is None else 403
                    code = response.json().get("code") if response.headers["content-type"].endswith("json") else None
                    if response.status_code != want or code not in (
                        "not_authenticated",
                        "not_yours",
                        "role_not_allowed",
                    ):
                        mismatches.append(label + f" (should be {want})")
                    elif alice["phone"][-4:] in response.text and target_name == "alice":
                        mismatches.append(label + " (refusal leaks data)")
    assert mismatches == []
    assert checked == len(callers) * (len(ENDPOINTS) + sum("{pid}" in e.path for e in ENDPOINTS))


def test_people_see_only_their_own_records_in_lists(api: TestClient, container: Container) -> None:
    alice = api_sign_up(api)
    bob = api_sign_up(api)
    api_upload(api, alice)
    assert api.get(f"/api/v1/people/{bob['subject_id']}/certificates", headers=bob["headers"]).json() == []
    assert refusal(api.get("/api/v1/certificates", headers=bob["headers"])) == (403, "role_not_allowed")
    reviewer = token_for(container, Role.UNDERWRITER, "op_u")
    assert (
        api.get(f"/api/v1/people/{alice['subject_id']}/certificates", headers=reviewer).json()[0]["person_id"]
        == (alice["subject_id"])
    )
    missing = api.get("/api/v1/people/brw_nobody/certificates", headers=reviewer)
    assert missing.status_code == 404 and missing.json()["code"] == "person_not_found"


# -- identity's pages: the same policy through the session cookie, with real people ----------------------

OPERATORS = frozenset({Role.UNDERWRITER, Role.COLLECTOR, Role.COMPLIANCE, Role.FINANCE, Role.ADMIN})
PAGES = [
    # (path, who may see it) - each is about the signed-in person, or an operator's queue.
    ("/borrower", frozenset({Role.BORROWER})),
    ("/investor", frozenset({Role.INVESTOR})),
    ("/borrower/kyc", frozenset({Role.BORROWER, Role.INVESTOR})),
    ("/borrower/certificates", frozenset({Role.BORROWER})),
    ("/operator", OPERATORS),
    ("/operator/review", CERTIFICATE_REVIEWERS),
    ("/operator/certificates/{pid}/{cid}", CERTIFICATE_REVIEWERS),
]


def test_every_identity_page_shows_only_to_the_roles_allowed(api: TestClient, container: Container) -> None:
    from tests.web.helpers import denied, sign_in

    alice = api_sign_up(api)
    cert = api_upload(api, alice)
    ivy = api_sign_up(api, role="investor")
    callers = [("alice", Role.BORROWER, alice["subject_id"]), ("ivy", Role.INVESTOR, ivy["subject_id"])]
    callers += [(role.value, role, f"op_{role.value}") for role in sorted(OPERATORS)]
    wrong: list[str] = []
    for template, allowed in PAGES:
        path = template.format(pid=alice["subject_id"], cid=cert["certificate_id"])
        api.cookies.clear()
        anonymous = api.get(path, follow_redirects=False)
        if anonymous.status_code != 303 or "login" not in anonymous.headers.get("location", ""):
            wrong.append(f"{template}: signed out -> {anonymous.status_code}, want the log-in page")
        for name, role, subject in callers:
            sign_in(api, container, subject, role)
            got = api.get(path, follow_redirects=False)
            if role in allowed and got.status_code != 200:
                wrong.append(f"{template}: {name} -> {got.status_code}, want 200")
            if role not in allowed and not denied(got):
                wrong.append(f"{template}: {name} -> {got.status_code}, want refused")
    api.cookies.clear()
    assert wrong == []
