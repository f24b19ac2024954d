"""The compliance officer's workspace: complaints with their clocks, acted on from the web."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.collections.model import ComplaintCategory, ComplaintStatus
from fairlend.identity.model import Role
from tests.collections.conftest import BORROWER, LOAN, World
from tests.web.helpers import csrf, denied, sign_in

PAGE = "/operator/compliance"


def test_a_complaint_is_acknowledged_extended_once_and_answered_inside_its_clock(
    api: TestClient, container: Container, world: World
) -> None:
    filed = world.c.complaints.file(BORROWER, LOAN, ComplaintCategory.HARASSMENT, "three calls before 8")
    sign_in(api, container, "op_cmp", Role.COMPLIANCE)
    listing = api.get(f"{PAGE}?lang=en")
    assert f'href="{PAGE}/complaints/{filed.id}"' in listing.text and "Harassment" in listing.text
    page = api.get(f"{PAGE}/complaints/{filed.id}?lang=en")
    assert "three calls before 8" in page.text and "CN-22: acknowledge within" in page.text
    token = csrf(page.text)
    base = f"{PAGE}/complaints/{filed.id}"
    assert api.post(f"{base}/acknowledge", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert api.post(f"{base}/extend", data={"reason": "call records", "csrf_token": token}).status_code == 200
    again = api.post(f"{base}/extend?lang=en", data={"reason": "more", "csrf_token": token})
    assert "allows one extension" in again.text
    answered = api.post(f"{base}/answer", data={"answer": "we stopped the calls", "csrf_token": token})
    assert answered.status_code == 200
    view = world.c.complaints.get(filed.id)
    assert view.status is ComplaintStatus.ANSWERED and not view.answer_breached and view.extended_at is not None
    assert "已答复" in api.get(f"{base}?lang=zh-CN").text


def test_a_missed_deadline_is_marked_on_the_list_and_the_complaint(
    api: TestClient, container: Container, world: World, clock: FixedClock
) -> None:
    filed = world.c.complaints.file(BORROWER, LOAN, ComplaintCategory.OTHER, "no answer")
    clock.advance(timedelta(days=20))
    sign_in(api, container, "op_cmp", Role.COMPLIANCE)
    listing = api.get(f"{PAGE}?lang=zh-CN")
    assert f'class="late" data-complaint="{filed.id}"' in listing.text and "已超期" in listing.text
    page = api.get(f"{PAGE}/complaints/{filed.id}?lang=en")
    assert 'data-testid="missed"' in page.text
    late = api.post(f"{PAGE}/complaints/{filed.id}/extend?lang=en", data={"reason": "x", "csrf_token": csrf(page.text)})
    assert "already late" in late.text and world.c.complaints.get(filed.id).extended_at is None


def test_the_workspace_links_the_audit_log_and_shows_blocked_attempts_by_rule(
    api: TestClient, container: Container, world: World
) -> None:
    world.settle()
    from fairlend.collections.gateway import ContactRequest
    from fairlend.collections.model import Medium

    assert not world.c.gateway.attempt(ContactRequest(LOAN, Medium.CALL, collector_id="op_col")).allowed
    sign_in(api, container, "op_cmp", Role.COMPLIANCE)
    page = api.get(f"{PAGE}?lang=en")
    assert 'href="/operator/audit"' in page.text and "P-2: the loan is settled" in page.text and "op_col" in page.text


@pytest.mark.parametrize("role", [Role.COLLECTOR, Role.UNDERWRITER, Role.BORROWER, Role.INVESTOR])
def test_the_compliance_pages_refuse_other_roles(
    api: TestClient, container: Container, world: World, role: Role
) -> None:
    filed = world.c.complaints.file(BORROWER, LOAN, ComplaintCategory.OTHER, "x")
    sign_in(api, container, "someone", role)
    assert denied(api.get(f"{PAGE}/complaints/{filed.id}", follow_redirects=False))
    assert denied(api.post(f"{PAGE}/complaints/{filed.id}/answer", data={"answer": "x"}, follow_redirects=False))
    assert world.c.complaints.get(filed.id).status is ComplaintStatus.OPEN
