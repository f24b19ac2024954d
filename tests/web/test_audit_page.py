"""The audit log page and its CSV: compliance and admin only, filters, pages, nothing in clear."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.identity.audit import PAGE_SIZE
from fairlend.identity.model import AuditEntry, Principal, Role
from fairlend.web.identity_audit import CSV_COLUMNS, csv_chunks, safe_cell
from tests.identity.helpers import dev_card, sign_up, verified_borrower
from tests.web.helpers import denied, sign_in

COMPLIANCE = Principal("op_comp", Role.COMPLIANCE)
UNDERWRITER = Principal("op_uw", Role.UNDERWRITER)
ROW = re.compile(r'<tr data-entry="(\d+)">')


def _rows(html: str) -> list[int]:
    return [int(n) for n in ROW.findall(html)]


def _href(html: str, testid: str) -> str | None:
    found = re.search(rf'<a [^>]*href="([^"]+)"[^>]*data-testid="{testid}"', html)
    return found.group(1).replace("&amp;", "&") if found else None


def _csv(body: str) -> list[dict[str, str]]:
    assert body.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(body[1:])))


@pytest.mark.parametrize("role", [Role.COMPLIANCE, Role.ADMIN])
def test_compliance_and_admins_read_the_audit_log_in_both_locales(
    api: TestClient, container: Container, role: Role
) -> None:
    who = sign_up(container)
    container.identity.unmasked(UNDERWRITER, who.subject_id, "complaint 42")
    container.identity.sessions.revoke_all(who.subject_id)
    sign_in(api, container, f"op_{role.value}", role)
    english = api.get("/operator/audit?lang=en")
    assert english.status_code == 200 and "<h1>Audit log</h1>" in english.text
    assert "Asia/Shanghai" in english.text and "2026-03-02 10:00:00" in english.text  # 02:00 UTC, shown locally
    assert "Viewed in clear" in english.text and "complaint 42" in english.text and "ID number" in english.text
    assert "Sessions revoked" in english.text and "All sessions revoked" in english.text
    assert 'href="/operator/audit?actor=op_uw"' in english.text and "Underwriter" in english.text
    assert f'href="/operator/audit?subject={who.subject_id}"' in english.text
    chinese = api.get("/operator/audit?lang=zh-CN")
    assert chinese.status_code == 200 and "审计日志" in chinese.text and "明文查看" in chinese.text
    assert "身份证号" in chinese.text and "会话已全部注销" in chinese.text and "系统" in chinese.text
    assert 'href="/operator/audit"' in api.get("/operator").text
    assert 'href="/operator/audit"' in api.get("/operator/compliance").text


def test_filters_by_subject_actor_and_days_and_keeps_them_in_the_form(
    api: TestClient, container: Container, clock: FixedClock
) -> None:
    a, b = sign_up(container), sign_up(container)
    container.identity.unmasked(COMPLIANCE, a.subject_id, "reason alpha")
    clock.set(datetime(2026, 3, 4, 2, 0, tzinfo=UTC))
    container.identity.unmasked(UNDERWRITER, b.subject_id, "reason beta")
    container.identity.unmasked(UNDERWRITER, a.subject_id, "reason gamma")
    sign_in(api, container, "op_comp", Role.COMPLIANCE)
    everything = _rows(api.get("/operator/audit").text)
    assert len(everything) == 3
    by_subject = api.get(f"/operator/audit?subject={a.subject_id}&lang=en").text
    assert len(_rows(by_subject)) == 2 and "reason beta" not in by_subject
    assert f'name="subject" value="{a.subject_id}"' in by_subject
    # switching language keeps the filter: the same rows, in Chinese
    assert f'href="?subject={a.subject_id}&amp;lang=zh-CN" hreflang="zh-CN"' in by_subject
    by_actor = api.get("/operator/audit?actor=op_uw").text
    assert len(_rows(by_actor)) == 2 and "reason alpha" not in by_actor
    both = api.get(f"/operator/audit?actor=op_uw&subject={a.subject_id}").text
    assert len(_rows(both)) == 1 and "reason gamma" in both
    day = api.get("/operator/audit?from=2026-03-02&to=2026-03-03").text
    assert len(_rows(day)) == 1 and "reason alpha" in day and 'name="from" value="2026-03-02"' in day
    assert len(_rows(api.get("/operator/audit?from=2026-03-04").text)) == 2
    none = api.get("/operator/audit?subject=brw_nobody&lang=en").text
    assert _rows(none) == [] and "No audit entries match." in none


def test_a_bad_filter_says_why_in_the_page_language_and_shows_nothing(api: TestClient, container: Container) -> None:
    container.identity.unmasked(COMPLIANCE, sign_up(container).subject_id, "a view")
    sign_in(api, container, "op_comp", Role.COMPLIANCE)
    reversed_days = api.get("/operator/audit?from=2026-03-05&to=2026-03-01&lang=en")
    assert reversed_days.status_code == 422 and "The first day comes after the last day." in reversed_days.text
    assert _rows(reversed_days.text) == [] and 'name="from" value="2026-03-05"' in reversed_days.text
    assert _href(reversed_days.text, "csv") is None  # no download of a filter that cannot match
    assert "起始日期晚于截止日期" in api.get("/operator/audit?from=2026-03-05&to=2026-03-01&lang=zh-CN").text
    assert "YYYY-MM-DD" in api.get("/operator/audit?from=March&lang=en").text
    assert "page link is broken" in api.get("/operator/audit?before=-1&lang=en").text
    refused_csv = api.get("/operator/audit.csv?from=2026-03-05&to=2026-03-01&lang=en")
    assert refused_csv.status_code == 422 and "The first day" in refused_csv.text


@pytest.mark.parametrize(
    "query",
    [
        "subject=%00",
        "actor=" + "x" * 500,
        "from=9999-12-31",
        "to=0001-01-01",
        "from=%EF%BC%91",
        "before=99999999999999999999",
        "before=%D9%A3",
        "after=1&before=2",
        "subject=%27%3B%20DROP%20TABLE%20identity_audit%3B%20--",
        "actor=%3Cscript%3E",
    ],
)
def test_no_query_gives_a_server_error_on_the_page_or_the_csv(
    api: TestClient, container: Container, query: str
) -> None:
    sign_in(api, container, "op_comp", Role.COMPLIANCE)
    for path in ("/operator/audit", "/operator/audit.csv"):
        got = api.get(f"{path}?{query}")
        assert got.status_code in (200, 422), (path, query, got.status_code)
        assert "<script>" not in got.text


def test_pages_hold_fifty_rows_and_link_older_and_newer_keeping_the_filters(
    api: TestClient, container: Container
) -> None:
    who, other = sign_up(container), sign_up(container)
    for n in range(PAGE_SIZE + 5):
        container.identity.contact_point(who.subject_id, purpose=f"call {n}")
    container.identity.contact_point(other.subject_id)
    sign_in(api, container, "op_admin", Role.ADMIN)
    first = api.get(f"/operator/audit?subject={who.subject_id}").text
    assert len(_rows(first)) == PAGE_SIZE and _href(first, "newer") is None and _href(first, "newest") is None
    older = _href(first, "older")
    assert older is not None and f"subject={who.subject_id}" in older and "before=" in older
    second = api.get(older).text
    assert len(_rows(second)) == 5 and _href(second, "older") is None
    assert set(_rows(first)).isdisjoint(_rows(second))
    assert "call 0" in second and "call 54" in first
    newer = _href(second, "newer")
    assert newer is not None and "after=" in newer and f"subject={who.subject_id}" in newer
    assert _rows(api.get(newer).text) == _rows(first)
    assert _href(second, "newest") == f"/operator/audit?subject={who.subject_id}"


def test_the_csv_lists_the_filtered_rows_as_an_attachment_and_a_spreadsheet_runs_none_of_it(
    api: TestClient, container: Container
) -> None:
    who, other = sign_up(container), sign_up(container)
    formulas = ['=HYPERLINK("http://x")', "+SUM(A1)", "-2+3", "@cmd", "plain, with a comma"]
    for purpose in formulas:
        container.identity.unmasked(COMPLIANCE, who.subject_id, purpose)
    container.identity.unmasked(COMPLIANCE, other.subject_id, "someone else")
    sign_in(api, container, "op_comp", Role.COMPLIANCE)
    page = api.get(f"/operator/audit?subject={who.subject_id}").text
    link = _href(page, "csv")
    assert link == f"/operator/audit.csv?subject={who.subject_id}"
    got = api.get(link)
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    assert got.headers["content-disposition"] == 'attachment; filename="audit-log.csv"'
    assert got.headers["cache-control"] == "no-store" and got.headers["x-content-type-options"] == "nosniff"
    rows = _csv(got.text)
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert [r["reason"] for r in rows] == [
        "plain, with a comma",
        "'@cmd",
        "'-2+3",
        "'+SUM(A1)",
        '\'=HYPERLINK("http://x")',
    ]
    assert {r["subject_id"] for r in rows} == {who.subject_id}
    assert rows[0]["at"] == "2026-03-02T10:00:00+08:00" and rows[0]["action"] == "viewed_in_clear"
    assert rows[0]["actor_id"] == "op_comp" and rows[0]["fields"] == "name,phone,id_number,bank_cards"
    assert len(_csv(api.get("/operator/audit.csv").text)) == len(formulas) + 1


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@A1", "\t=1", "\r=1"])
def test_every_cell_a_spreadsheet_would_run_starts_with_a_quote(value: str) -> None:
    assert safe_cell(value) == "'" + value
    assert safe_cell("op_comp") == "op_comp" and safe_cell("") == ""


def test_a_long_export_comes_in_chunks_that_join_into_one_csv() -> None:
    at = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    entries = [AuditEntry("system", "system", f"brw_{n}", "phone", f"=call {n}", at, n) for n in range(1001)]
    chunks = list(csv_chunks(iter(entries), ZoneInfo("Asia/Shanghai")))
    assert len(chunks) == 3  # 500, 500, then the last row
    rows = _csv("".join(chunks))
    assert [r["subject_id"] for r in rows] == [f"brw_{n}" for n in range(1001)]
    assert rows[-1]["reason"] == "'=call 1000" and rows[0]["at"] == "2026-03-02T10:00:00+08:00"


def test_no_personal_data_is_in_the_page_or_the_csv_in_clear(api: TestClient, container: Container) -> None:
    who, phone, number = verified_borrower(container)
    card = dev_card()
    container.identity.kyc.bind_bank_card(who.subject_id, card)
    viewed = container.identity.unmasked(COMPLIANCE, who.subject_id, "complaint 9")
    assert viewed.id_number == number  # the clear view happened and was logged
    container.identity.unmasked(COMPLIANCE, who.subject_id, f"caller read out {number} and {phone}")
    container.identity.reporting_identity(who.subject_id)
    container.identity.contact_point(who.subject_id)
    sign_in(api, container, "op_comp", Role.COMPLIANCE)
    for path in (
        "/operator/audit?lang=en",
        "/operator/audit?lang=zh-CN",
        f"/operator/audit?subject={who.subject_id}",
        "/operator/audit.csv",
    ):
        body = api.get(path).text
        assert who.subject_id in body, path
        for secret in (number, phone, card, "+86" + phone, "张三"):
            assert secret not in body, (path, secret[:3])


@pytest.mark.parametrize("role", [Role.UNDERWRITER, Role.COLLECTOR, Role.BORROWER, Role.INVESTOR])
def test_other_roles_are_turned_away_from_the_page_and_the_csv(
    api: TestClient, container: Container, role: Role
) -> None:
    container.identity.unmasked(COMPLIANCE, sign_up(container).subject_id, "a view")
    sign_in(api, container, "someone", role)
    assert denied(api.get("/operator/audit", follow_redirects=False))
    assert denied(api.get("/operator/audit.csv", follow_redirects=False))
    assert 'href="/operator/audit"' not in api.get("/operator").text


def test_signed_out_visitors_are_sent_to_the_operator_log_in(api: TestClient) -> None:
    for path in ("/operator/audit", "/operator/audit.csv?subject=brw_x"):
        got = api.get(path, follow_redirects=False)
        assert got.status_code == 303 and got.headers["location"] == "/operator/login"
