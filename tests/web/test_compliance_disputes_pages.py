"""Disputes about fairlend's own records at the bureau, answered by the compliance officer inside the clock."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient

from fairlend.bootstrap import Container
from fairlend.bureau.client import AccountReport, BureauClient
from fairlend.clock import FixedClock
from fairlend.identity.model import Role
from tests.bureau.conftest import ID_CN, Records
from tests.web.helpers import csrf, sign_in

PAGE = "/operator/compliance/disputes"


def _disputed(container: Container, account_ref: str, reason: str) -> tuple[BureauClient, str]:
    """fairlend reported an overdue month on `account_ref`; the person disputes it at the bureau."""
    assert container.bureau_access is not None
    client = container.bureau_access()
    r = Records(account_ref)
    ack = client.submit_records(
        [r.opened(date(2025, 12, 5)), r.notice(date(2026, 2, 10)), r.status(date(2026, 2, 28), 20)]
    )
    assert not ack.rejected
    mark = client.file_dispute(ID_CN, client.institution_id, account_ref, reason, month="2026-02")
    return client, mark.dispute_id


def _account(container: Container, ref: str) -> AccountReport:
    assert container.bureau is not None
    (account,) = [a for a in container.bureau.counter_report(ID_CN).accounts if a.account_ref == ref]
    return account


def test_an_open_dispute_is_listed_with_its_clock_and_answered_verified_in_writing(
    api: TestClient, container: Container
) -> None:
    client, dispute_id = _disputed(container, "loan_disputed", "I paid February on time")
    sign_in(api, container, "op_cmp", Role.COMPLIANCE)
    assert "1 open, 0 past their deadline" in api.get("/operator/compliance?lang=en").text
    page = api.get(f"{PAGE}?lang=en")
    assert f'data-dispute="{dispute_id}"' in page.text and "I paid February on time" in page.text
    assert "20 days left" in page.text  # CN-15: answered in writing within 20 days
    token = csrf(page.text)
    unsaid = api.post(
        f"{PAGE}/{dispute_id}/answer?lang=en", data={"outcome": "verified", "note": " ", "csrf_token": token}
    )
    assert unsaid.status_code == 422 and "Write the answer" in unsaid.text
    assert [d.dispute_id for d in client.open_disputes()] == [dispute_id]
    done = api.post(
        f"{PAGE}/{dispute_id}/answer",
        data={"outcome": "verified", "note": "the bank statement shows the 20th", "csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303 and client.open_disputes() == []
    (notice,) = client.outcome_notices(ID_CN)
    assert notice.outcome == "verified"
    assert "记录经核实无误" in api.get(f"{PAGE}?done=verified&lang=zh-CN").text


def test_a_correction_replaces_the_disputed_months_figures_and_bad_figures_change_nothing(
    api: TestClient, container: Container
) -> None:
    client, dispute_id = _disputed(container, "loan_corrected", "I was never 20 days late")
    assert container.bureau is not None
    before = _account(container, "loan_corrected")
    sign_in(api, container, "op_cmp", Role.COMPLIANCE)
    token = csrf(api.get(PAGE).text)
    form = {
        "outcome": "corrected",
        "note": "our error",
        "balance": "9,000.00",
        "amount_overdue": "0",
        "csrf_token": token,
    }
    bad = api.post(f"{PAGE}/{dispute_id}/answer?lang=en", data={**form, "days_overdue": "-3"})
    assert bad.status_code == 422 and "whole number, 0 or more" in bad.text
    assert len(client.open_disputes()) == 1
    fixed = api.post(f"{PAGE}/{dispute_id}/answer", data={**form, "days_overdue": "0"}, follow_redirects=False)
    assert fixed.status_code == 303 and client.open_disputes() == []
    # February, the disputed month (the grid is newest first from March): 1-30 days late, now normal.
    assert before.grid[1] == "1" and _account(container, "loan_corrected").grid[1] == "N"


def test_a_dispute_past_its_deadline_is_marked_missed(api: TestClient, container: Container, clock: FixedClock) -> None:
    _, dispute_id = _disputed(container, "loan_late", "not mine")
    clock.set_business_date(clock.business_date() + timedelta(days=21))
    sign_in(api, container, "op_cmp", Role.COMPLIANCE)
    assert "已超期 1 项" in api.get("/operator/compliance?lang=zh-CN").text
    page = api.get(f"{PAGE}?lang=zh-CN")
    assert f'class="panel late" data-dispute="{dispute_id}"' in page.text and "已超期" in page.text


def test_collectors_and_borrowers_are_refused_the_disputes_page(api: TestClient, container: Container) -> None:
    _disputed(container, "loan_private", "private words")
    for subject, role in (("op_col", Role.COLLECTOR), ("brw_1", Role.BORROWER)):
        sign_in(api, container, subject, role)
        refused = api.get(PAGE, follow_redirects=False)
        assert refused.status_code == 303 and "private words" not in refused.text
