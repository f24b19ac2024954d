"""The compliance console: blocked attempts per rule and collector, and the complaints' clocks."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from fairlend.bootstrap import Container
from fairlend.collections.fakes import InMemoryLending
from fairlend.collections.gateway import ContactRequest
from fairlend.collections.model import ComplaintCategory, LoanFacts, LoanState, Medium
from fairlend.collections.wiring import wire_collections
from fairlend.identity.model import Role
from fairlend.money import Money
from tests.collections.conftest import LoanSettled
from tests.web.helpers import denied, sign_in


@pytest.mark.parametrize("role", [Role.COMPLIANCE, Role.ADMIN])
def test_compliance_sees_blocked_attempts_and_complaint_clocks_in_both_locales(
    api: TestClient, container: Container, role: Role
) -> None:
    lending = InMemoryLending()
    lending.add(LoanFacts("loan_w", "brw_w", LoanState.ACTIVE, "CNY", Money(100, "CNY"), 5, "M1"))
    c = wire_collections(container, lending=lending)
    on = container.clock.business_date()
    with container.uow() as uow:
        uow.publish(LoanSettled("loan_w", "brw_w", on, True, on))
        uow.commit()
    blocked = c.gateway.attempt(ContactRequest("loan_w", Medium.CALL, collector_id="op_col"))
    assert "P-2" in blocked.rules
    c.complaints.file("brw_w", "loan_w", ComplaintCategory("contact_after_repayment"), "repaid, still called")
    per_rule, per_collector = c.service.blocked_summary()

    sign_in(api, container, "op_c", role)
    english = api.get("/operator/compliance?lang=en")
    assert english.status_code == 200
    assert f"<td>{per_rule['P-2']}</td>" in english.text and "the loan is settled" in english.text
    assert "op_col" in english.text and per_collector["op_col"] >= 1
    by_status, _, _ = c.complaints.sla_summary()
    assert by_status["open"] == 1 and "<th>Open</th><td>1</td>" in english.text
    chinese = api.get("/operator/compliance?lang=zh-CN")
    assert "合规" in chinese.text and "该笔借款已结清" in chinese.text
    assert 'href="/operator/compliance"' in api.get("/operator").text


@pytest.mark.parametrize("role", [Role.UNDERWRITER, Role.COLLECTOR, Role.BORROWER])
def test_the_compliance_page_refuses_other_roles(api: TestClient, container: Container, role: Role) -> None:
    sign_in(api, container, "someone", role)
    assert denied(api.get("/operator/compliance", follow_redirects=False))
