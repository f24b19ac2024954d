from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.testclient import TestClient

from fairlend.api.app import create_app
from fairlend.api.auth import Authenticated, ensure_can_read_owned, require_roles
from fairlend.bootstrap import Container
from fairlend.identity.model import Principal, Role
from tests.conftest import FakeAuthenticator


def _client(container: Container) -> TestClient:
    app = create_app(container=container)
    router = APIRouter()

    @router.get("/api/v1/_probe/things/{owner_id}")
    def thing(owner_id: str, principal: Authenticated) -> dict[str, str]:
        ensure_can_read_owned(principal, owner_id)
        return {"owner": owner_id}

    @router.get("/api/v1/_probe/console")
    def console(principal: Annotated[Principal, Depends(require_roles(Role.COMPLIANCE, Role.ADMIN))]) -> dict[str, str]:
        return {"who": principal.subject_id}

    app.include_router(router)
    return TestClient(app, raise_server_exceptions=False)


def test_no_token_is_401(container: Container, fake_auth: FakeAuthenticator) -> None:
    response = _client(container).get("/api/v1/_probe/things/brw_1")
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"
    bad = _client(container).get("/api/v1/_probe/things/brw_1", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and bad.json()["code"] == "invalid_token"


def test_people_read_only_their_own(container: Container, fake_auth: FakeAuthenticator) -> None:
    client = _client(container)
    assert (
        client.get("/api/v1/_probe/things/brw_1", headers=fake_auth.headers(Role.BORROWER, "brw_1")).status_code == 200
    )
    other = client.get("/api/v1/_probe/things/brw_2", headers=fake_auth.headers(Role.BORROWER, "brw_1"))
    assert other.status_code == 403 and other.json()["code"] == "not_yours"
    assert (
        client.get("/api/v1/_probe/things/brw_2", headers=fake_auth.headers(Role.UNDERWRITER, "op_1")).status_code
        == 200
    )


def test_operator_routes_check_the_role(container: Container, fake_auth: FakeAuthenticator) -> None:
    client = _client(container)
    assert client.get("/api/v1/_probe/console", headers=fake_auth.headers(Role.COMPLIANCE, "op_c")).status_code == 200
    refused = client.get("/api/v1/_probe/console", headers=fake_auth.headers(Role.COLLECTOR, "op_x"))
    assert refused.status_code == 403 and refused.json()["code"] == "role_not_allowed"
