"""Evidence on the hardship pages: the borrower adds files to an open request, the desk downloads them audited.

As the adversary would try: a file that is not what it says, a sixth file, a file on a closed request
or on someone else's; a download that leaves no audit row; a download by someone not on the desk.
"""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from httpx import Response

from fairlend.bootstrap import Container
from fairlend.hardship.model import DeclineReason
from fairlend.identity.model import AuditFilter, Role
from tests.hardship.helpers import counts
from tests.web import test_hardship_pages as hardship_pages
from tests.web.helpers import csrf, denied, sign_in

OWNER, OTHER, _ask = hardship_pages.OWNER, hardship_pages.OTHER, hardship_pages._ask
late_loan = hardship_pages.late_loan  # the fixture: ¥50,000, January's and February's instalments unpaid
PNG = b"\x89PNG\r\n\x1a\n" + b"\x07" * 40
PDF = b"%PDF-1.4 payslip\n%%EOF"


def _files(container: Container, request_id: str) -> list[str]:
    return [e.evidence_id for e in container.hardship.evidence.list_for(request_id)]


def _upload(
    api: TestClient, request_id: str, token: str, name: str, content: bytes, kind: str, lang: str = "en"
) -> Response:
    return api.post(
        f"/borrower/hardship/{request_id}/evidence?lang={lang}",
        data={"csrf_token": token},
        files={"file": (name, content, kind)},
        follow_redirects=False,
    )


def test_the_borrower_adds_files_up_to_five_and_a_sixth_is_refused_in_their_words(
    api: TestClient, container: Container, late_loan: str
) -> None:
    request_id = _ask(api, container, late_loan)
    page = api.get(f"/borrower/hardship/{request_id}?lang=en").text
    assert 'data-testid="evidence-form"' in page and 'enctype="multipart/form-data"' in page
    token = csrf(page)
    added = _upload(api, request_id, token, "payslip.pdf", PDF, "application/pdf")
    assert added.status_code == 303 and added.headers["location"].endswith("?done=evidence")
    (first,) = _files(container, request_id)
    shown = api.get(added.headers["location"] + "&lang=en").text
    assert f'data-evidence="{first}"' in shown and "PDF file" in shown and "File added to your request." in shown
    for n in range(4):
        assert _upload(api, request_id, token, f"p{n}.png", PNG, "image/png").status_code == 303
    full = api.get(f"/borrower/hardship/{request_id}?lang=en").text
    assert len(_files(container, request_id)) == 5 and 'data-testid="evidence-form"' not in full

    before = counts(container)
    sixth = _upload(api, request_id, token, "p6.png", PNG, "image/png", lang="zh-CN")
    assert sixth.status_code == 409 and "每份申请最多可附 5 个文件" in sixth.text
    assert "too_many_evidence_files" not in sixth.text
    assert len(_files(container, request_id)) == 5 and counts(container) == before


def test_a_file_that_is_not_what_it_says_or_empty_is_refused_and_nothing_is_written(
    api: TestClient, container: Container, late_loan: str
) -> None:
    request_id = _ask(api, container, late_loan)
    token = csrf(api.get(f"/borrower/hardship/{request_id}?lang=en").text)
    before = counts(container)
    html = _upload(api, request_id, token, "a.pdf", b"<html><script>x</script></html>", "application/pdf")
    assert html.status_code == 422 and "The file must be a PDF, JPEG or PNG." in html.text
    renamed = _upload(api, request_id, token, "a.pdf", PNG, "image/png")  # a PNG named as a PDF
    assert renamed.status_code == 422
    empty = _upload(api, request_id, token, "a.png", b"", "image/png", lang="zh-CN")
    assert empty.status_code == 422 and "文件为空" in empty.text
    huge = _upload(api, request_id, token, "a.png", PNG + b"0" * (10 * 1024 * 1024), "image/png")
    assert huge.status_code == 422 and "larger than 10 MB" in huge.text
    assert _files(container, request_id) == [] and counts(container) == before


def test_nobody_adds_a_file_to_someone_elses_request_or_to_a_closed_one(
    api: TestClient, container: Container, late_loan: str
) -> None:
    request_id = _ask(api, container, late_loan)
    token = csrf(api.get(f"/borrower/hardship/{request_id}?lang=en").text)
    sign_in(api, container, OTHER, Role.BORROWER)
    api.cookies.set("csrf_token", token)  # the thief even has a valid CSRF pair
    assert denied(_upload(api, request_id, token, "a.png", PNG, "image/png"))
    sign_in(api, container, "op_admin", Role.ADMIN)
    api.cookies.set("csrf_token", token)
    assert denied(_upload(api, request_id, token, "a.png", PNG, "image/png"))
    sign_in(api, container, OWNER, Role.BORROWER)
    api.cookies.delete("csrf_token")
    unsigned = api.post(
        f"/borrower/hardship/{request_id}/evidence",
        files={"file": ("a.png", PNG, "image/png")},
        follow_redirects=False,
    )
    assert (unsigned.status_code, unsigned.headers["location"]) == (303, "/?csrf=1")
    assert _files(container, request_id) == []

    container.hardship.decline(request_id, "op_maker", [DeclineReason.AFFORDABILITY])
    page = api.get(f"/borrower/hardship/{request_id}?lang=en").text
    assert 'data-testid="evidence-form"' not in page
    closed = _upload(api, request_id, csrf(page), "a.png", PNG, "image/png")
    assert closed.status_code == 409 and "This request is answered already." in closed.text
    assert _files(container, request_id) == []


def test_the_desk_lists_the_files_and_each_download_is_an_audit_row(
    api: TestClient, container: Container, late_loan: str
) -> None:
    request_id = _ask(api, container, late_loan)
    token = csrf(api.get(f"/borrower/hardship/{request_id}?lang=en").text)
    assert _upload(api, request_id, token, "payslip.png", PNG, "image/png").status_code == 303
    (evidence_id,) = _files(container, request_id)
    audit = AuditFilter(person_id=OWNER)
    assert container.identity.audit.page(audit).entries == ()  # the borrower's own upload reads nothing

    sign_in(api, container, "op_reader", Role.UNDERWRITER)
    desk = api.get(f"/operator/hardship/requests/{request_id}?lang=en").text
    link = re.search(r'href="(/operator/hardship/evidence/[^"]+)"', desk)
    assert link is not None and link.group(1) == f"/operator/hardship/evidence/{evidence_id}"
    assert "PNG file" in desk and "audit log" in desk
    assert container.identity.audit.page(audit).entries == ()  # listing the files opens none

    got = api.get(link.group(1))
    assert got.status_code == 200 and got.content == PNG and got.headers["content-type"] == "image/png"
    assert "attachment" in got.headers["content-disposition"] and got.headers["x-content-type-options"] == "nosniff"
    (entry,) = container.identity.audit.page(audit).entries
    assert (entry.actor_id, entry.fields) == ("op_reader", "hardship_evidence") and evidence_id in entry.purpose
    api.get(link.group(1))
    assert len(container.identity.audit.page(audit).entries) == 2  # every download, not the first only

    # The borrower does not download through the desk, and a missing file opens nothing.
    sign_in(api, container, OWNER, Role.BORROWER)
    assert denied(api.get(link.group(1), follow_redirects=False))
    sign_in(api, container, "op_reader", Role.UNDERWRITER)
    missing = api.get("/operator/hardship/evidence/hev_nothing", follow_redirects=False)
    assert missing.status_code == 303 and missing.headers["location"] == "/operator/hardship"
    assert len(container.identity.audit.page(audit).entries) == 2
