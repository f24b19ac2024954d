"""One contract, two adapters: the in-process client and the HTTP client against the real ASGI app."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient

from fairlend.api.app import create_app
from fairlend.bootstrap import Container
from fairlend.bureau.client import (
    BureauClient,
    ConsentAttestation,
    CreditReport,
    InquiryKind,
    InquiryPurpose,
    render_pdf,
)
from fairlend.bureau.http_client import HttpBureauClient
from fairlend.errors import Forbidden, NotFound, Unauthorized
from tests.bureau.conftest import ID_CN, Records, lines


@pytest.fixture(params=["in_process", "http"])
def client(request: pytest.FixtureRequest, container: Container) -> Iterator[BureauClient]:
    assert container.bureau is not None
    credentials = container.bureau.register_institution("Bank A")
    if request.param == "in_process":
        yield container.bureau.client_with_key(credentials.api_key)
        return
    with TestClient(create_app(container=container), raise_server_exceptions=False) as http:
        yield HttpBureauClient(http, credentials.api_key, institution_id=credentials.institution_id)


def _self_consent(client: BureauClient, id_number: str = ID_CN) -> ConsentAttestation:
    """The person's consent to this institution fetching their own report for them (CN-14)."""
    return ConsentAttestation(
        "cons_self_1",
        InquiryPurpose.SELF,
        client.institution_id,
        "credit-self-check/v1",
        datetime(2026, 3, 1, tzinfo=UTC),
        person_id_number=id_number,
    )


def _report_an_overdue_loan(client: BureauClient) -> None:
    r = Records("L1")
    ack = client.submit_file(
        lines(r.opened(date(2025, 12, 5)), r.notice(date(2026, 1, 20)), r.status(date(2026, 2, 28), 40))
    )
    assert ack.applied == 3 and ack.rejected == ()


def test_a_file_is_acknowledged_line_by_line_and_a_replay_changes_nothing(client: BureauClient) -> None:
    r = Records("L1")
    content = lines(r.opened(date(2026, 1, 5)), {"record_id": "bad", "type": "nope"})
    ack = client.submit_file(content)
    assert (ack.applied, [(o.line, o.code) for o in ack.rejected]) == (1, [(2, "unknown_type")])
    again = client.submit_file(content)
    assert again.replayed and again.submission_id == ack.submission_id
    via_api = client.submit_records([r.status(date(2026, 1, 31))])
    assert via_api.applied == 1


def test_a_self_report_shows_the_account_grid_and_a_free_soft_inquiry(client: BureauClient) -> None:
    _report_an_overdue_loan(client)
    report = client.self_report(ID_CN, consent=_self_consent(client), name="张三")
    assert isinstance(report, CreditReport)
    account = report.accounts[0]
    assert account.grid[:5] == ("#", "2", "#", "#", "/") and account.amount.minor == 1_000_000
    assert report.summary.worst_status_24m == "2" and report.summary.months_since_last_delinquency == 1
    assert [(i.kind, i.free) for i in report.inquiries] == [(InquiryKind.SELF, True)]


def test_a_self_report_needs_the_persons_own_live_self_consent_and_a_refusal_names_the_rule(
    client: BureauClient,
) -> None:
    _report_an_overdue_loan(client)
    consent = _self_consent(client)
    refusals = {
        "none": None,
        "another person": replace(consent, person_id_number="11010119900307002X"),
        "another purpose": replace(consent, purpose=InquiryPurpose.LOAN_APPROVAL),
        "another institution": replace(consent, institution_id="inst_someone_else"),
        "revoked": replace(consent, revoked_at=datetime(2026, 3, 1, 12, tzinfo=UTC)),
    }
    refused = {}
    for case, wrong in refusals.items():
        with pytest.raises(Forbidden) as caught:
            client.self_report(ID_CN, consent=wrong)
        refused[case] = (caught.value.code, caught.value.extra.get("rule"))
    assert refused == {
        "none": ("inquiry_consent_required", "CN-14"),
        "another person": ("inquiry_consent_mismatch", "CN-14"),
        "another purpose": ("inquiry_consent_mismatch", "CN-14"),
        "another institution": ("inquiry_consent_mismatch", "CN-14"),
        "revoked": ("inquiry_consent_revoked", "CN-14"),
    }
    with pytest.raises(Forbidden):
        client.self_report_document(ID_CN, "pdf", consent=None)
    report = client.self_report(ID_CN, consent=consent)
    assert [(i.kind, i.institution_id) for i in report.inquiries] == [(InquiryKind.SELF, client.institution_id)]


def test_a_hard_inquiry_needs_consent(client: BureauClient) -> None:
    with pytest.raises(Forbidden) as refused:
        client.inquire(ID_CN, InquiryPurpose.LOAN_APPROVAL)
    assert (refused.value.code, refused.value.extra.get("rule")) == ("inquiry_consent_required", "CN-14")
    consent = ConsentAttestation(
        "c1",
        InquiryPurpose.LOAN_APPROVAL,
        client.institution_id,
        "v1",
        datetime(2026, 3, 1, tzinfo=UTC),
        person_id_number=ID_CN,
    )
    report = client.inquire(ID_CN, InquiryPurpose.LOAN_APPROVAL, name="张三", consent=consent)
    assert report.inquiries[0].kind is InquiryKind.HARD


def test_disputes_flow_from_person_to_institution_and_back(client: BureauClient) -> None:
    _report_an_overdue_loan(client)
    dispute = client.file_dispute(ID_CN, client.institution_id, "L1", "paid on time", month="2026-02")
    assert client.has_open_dispute(client.institution_id, "L1")
    assert [d.dispute_id for d in client.open_disputes()] == [dispute.dispute_id]
    answered = client.answer_dispute(
        dispute.dispute_id, "corrected", correction={"days_overdue": 0, "balance": 900_000, "amount_overdue": 0}
    )
    assert answered.status == "corrected" and not client.has_open_dispute(client.institution_id, "L1")
    assert [n.outcome for n in client.outcome_notices(ID_CN)] == ["corrected"]
    assert client.open_disputes() == []
    with pytest.raises(Forbidden):
        client.has_open_dispute("inst_someone_else", "L1")
    with pytest.raises(NotFound):
        client.answer_dispute("bdsp_nope", "verified")


def test_documents_come_as_html_and_pdf(client: BureauClient) -> None:
    _report_an_overdue_loan(client)
    html = client.self_report_document(ID_CN, "html", consent=_self_consent(client)).decode()
    assert "个人信用报告" in html and "110***********4477" in html and "110101199003074477" not in html
    assert "http://" not in html and "https://" not in html  # no CDN
    pdf = client.self_report_document(ID_CN, "pdf", consent=_self_consent(client))
    assert pdf.startswith(b"%PDF")


def test_the_http_api_refuses_a_missing_or_unknown_key(container: Container) -> None:
    with TestClient(create_app(container=container), raise_server_exceptions=False) as http:
        none = http.post("/api/v1/bureau/self-queries", json={"id_number": ID_CN})
        assert none.status_code == 401 and none.json()["code"] == "api_key_required"
        with pytest.raises(Unauthorized):
            HttpBureauClient(http, "bk_wrong", institution_id="x").self_report(ID_CN, consent=None)


def test_the_pdf_embeds_the_packages_cjk_font_for_chinese(container: Container) -> None:
    assert container.bureau is not None
    client = container.bureau.client_for(container.bureau.register_institution("Bank A").institution_id)
    _report_an_overdue_loan(client)
    pdf = render_pdf(client.self_report(ID_CN, consent=_self_consent(client)))
    assert b"FairlendKai" in pdf and b"/FontFile2" in pdf and b"STSong" not in pdf
