"""The borrower names, asks again and withdraws contact persons in the portal, one at a time."""

from __future__ import annotations

from fastapi.testclient import TestClient

from fairlend.bootstrap import Container
from fairlend.identity.model import Role
from tests.identity.helpers import verified_borrower
from tests.web.helpers import csrf, denied, sign_in

PAGE = "/borrower/contact-persons"
NUMBER = "13912345678"


def _signed_in(api: TestClient, container: Container) -> str:
    who, _, _ = verified_borrower(container)
    sign_in(api, container, who.subject_id, Role.BORROWER)
    return who.subject_id


def test_a_contact_person_is_asked_confirms_with_their_own_code_and_can_be_withdrawn(
    api: TestClient, container: Container
) -> None:
    borrower_id = _signed_in(api, container)
    page = api.get(PAGE + "?lang=zh-CN")
    assert page.status_code == 200 and "从不读取您的通讯录" in page.text
    named = api.post(
        PAGE,
        data={"name": "李四", "relation": "朋友", "phone": NUMBER, "csrf_token": csrf(page.text)},
        follow_redirects=False,
    )
    assert named.status_code == 303 and named.headers["location"] == PAGE + "?asked=1"
    assert container.collections is not None
    [person] = container.collections.service.contact_persons(borrower_id)
    assert person.status.value == "pending"
    listed = api.get(PAGE + "?lang=en").text
    assert "Waiting for their confirmation" in listed and person.phone_masked in listed and NUMBER not in listed

    code = container.identity.sender.last_code("+86" + NUMBER)  # type: ignore[attr-defined]
    assert code is not None  # the code went to their phone, through the gateway
    container.collections.service.confirm_contact_person(person.id, code)
    assert "Confirmed" in api.get(PAGE + "?lang=en").text

    withdrawn = api.post(f"{PAGE}/{person.id}/withdraw", data={"csrf_token": csrf(listed)}, follow_redirects=False)
    assert withdrawn.status_code == 303
    [person] = container.collections.service.contact_persons(borrower_id)
    assert person.status.value == "revoked" and "已撤回" in api.get(PAGE + "?lang=zh-CN").text


def test_a_refused_contact_person_never_echoes_the_number_and_names_nobody(
    api: TestClient, container: Container
) -> None:
    borrower_id = _signed_in(api, container)
    page = api.get(PAGE + "?lang=en")
    refused = api.post(PAGE, data={"name": "x", "relation": "y", "phone": "12", "csrf_token": csrf(page.text)})
    assert refused.status_code == 422 and 'value="12"' not in refused.text
    assert container.collections is not None and container.collections.service.contact_persons(borrower_id) == []
    unknown = api.post(f"{PAGE}/cp_nobody/withdraw", data={"csrf_token": csrf(page.text)})
    assert unknown.status_code == 422


def test_only_the_signed_in_borrower_manages_their_contact_persons(api: TestClient, container: Container) -> None:
    for role in (Role.COLLECTOR, Role.ADMIN, Role.INVESTOR):
        sign_in(api, container, "someone", role)
        assert denied(api.get(PAGE, follow_redirects=False))
    api.cookies.clear()
    assert api.get(PAGE, follow_redirects=False).headers["location"].startswith("/login")
