"""Certificate uploads fuzzed: whatever arrives is stored as what it is, or refused with a stable code and not stored.

The oracle is written from the rule, not from the code: a file is accepted when
it is 1 byte to 10 MB, starts with the magic bytes of a PDF, JPEG or PNG, its
declared type is absent, `application/octet-stream` or that type, and its name,
if it ends in .pdf, .jpg, .jpeg or .png (any case), ends in that type's
extension. Anything else is refused (`file_empty`, `file_type_mismatch`) and
leaves no certificate and no file behind.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fairlend.bootstrap import Container
from fairlend.errors import Invalid
from fairlend.identity.model import Role
from fairlend.identity.tables import identity_certificate, identity_certificate_file
from fairlend.money import Money
from tests.api.identity_helpers import api_sign_up, token_for
from tests.identity.helpers import sign_up
from tests.web.helpers import sign_in

pytestmark = pytest.mark.backends("sqlite")

MAGIC = {"application/pdf": b"%PDF-", "image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG\r\n\x1a\n"}
EXTENSIONS = {"application/pdf": {"pdf"}, "image/jpeg": {"jpg", "jpeg"}, "image/png": {"png"}}
KNOWN_EXTENSIONS = {"pdf", "jpg", "jpeg", "png"}

contents = st.one_of(
    st.binary(max_size=64),
    st.tuples(
        st.sampled_from([*MAGIC.values(), b"GIF89a", b"%PDF", b"\xff\xd8", b"<html>"]), st.binary(max_size=64)
    ).map(lambda t: t[0] + t[1]),
)
claimed_types = st.sampled_from(
    [None, "", "application/octet-stream", "application/pdf", "image/png", "image/jpeg", "text/html", "image/gif"]
)
filenames = st.one_of(
    st.sampled_from(
        [None, "", "flow.pdf", "FLOW.PDF", "car.JPG", "car.jpeg", "house.png", "a.b.pdf", "x.exe", "noext"]
    ),
    st.text(max_size=12),
)


def expected(content: bytes, claimed: str | None, filename: str | None) -> str | None:
    """None: accepted; else the refusal's code. From the rule in the docstring."""
    if not content:
        return "file_empty"
    sniffed = next((kind for kind, magic in MAGIC.items() if content.startswith(magic)), None)
    if sniffed is None:
        return "file_type_mismatch"
    if claimed not in (None, "", "application/octet-stream", sniffed):
        return "file_type_mismatch"
    if filename and "." in filename:
        extension = filename.rsplit(".", 1)[1].lower()
        if extension in KNOWN_EXTENSIONS and extension not in EXTENSIONS[sniffed]:
            return "file_type_mismatch"
    return None


def _stored(container: Container) -> tuple[int, int]:
    with container.engine.connect() as conn:
        certificates = conn.execute(sa.select(sa.func.count()).select_from(identity_certificate)).scalar_one()
        files = conn.execute(sa.select(sa.func.count()).select_from(identity_certificate_file)).scalar_one()
    return certificates, files


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(content=contents, claimed=claimed_types, filename=filenames)
def test_an_upload_is_stored_as_what_it_is_or_refused_and_not_stored(
    container: Container, content: bytes, claimed: str | None, filename: str | None
) -> None:
    who = getattr(container, "_fuzz_borrower", None) or sign_up(container)
    container._fuzz_borrower = who  # type: ignore[attr-defined]  # one borrower for every example
    before = _stored(container)
    want = expected(content, claimed, filename)
    certificates = container.identity.certificates
    try:
        cert = certificates.upload(
            who.subject_id, "deposit", Money.of("100", "CNY"), content, claimed_type=claimed, filename=filename
        )
    except Invalid as refused:
        assert refused.code == want, (refused.code, want)
        assert _stored(container) == before
        return
    assert want is None
    assert cert.content_type == next(kind for kind, magic in MAGIC.items() if content.startswith(magic))
    assert certificates.file(who.subject_id, cert.certificate_id).content == content
    assert _stored(container) == (before[0] + 1, before[1] + 1)


def test_the_api_refuses_a_bad_upload_as_a_problem_and_serves_a_good_one_so_no_browser_sniffs_it(
    api: TestClient, container: Container
) -> None:
    alice = api_sign_up(api)
    path = f"/api/v1/people/{alice['subject_id']}/certificates"
    form = {"kind": "deposit", "amount": "100"}
    html = b"%PDF-1.4\n<html><script>alert(1)</script></html>"
    for name, body, kind in (
        ("x.pdf", b"<html><script>alert(1)</script></html>", "text/html"),
        ("x.png", html, "application/pdf"),
        ("x.pdf", b"", "application/pdf"),
    ):
        refused = api.post(path, data=form, files={"file": (name, body, kind)}, headers=alice["headers"])
        assert refused.status_code == 422 and refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["code"] in ("file_type_mismatch", "file_empty")
    assert _stored(container) == (0, 0)
    accepted = api.post(path, data=form, files={"file": ("x.pdf", html, "application/pdf")}, headers=alice["headers"])
    assert accepted.status_code == 201, accepted.text
    served = api.get(f"{path}/{accepted.json()['certificate_id']}/file", headers=alice["headers"])
    assert served.content == html and served.headers["content-type"] == "application/pdf"
    # An upload is the uploader's bytes: never sniffed into HTML, never run as a page of this site.
    cert_id = accepted.json()["certificate_id"]
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["content-disposition"] == f'attachment; filename="{cert_id}.pdf"'
    reviewer = token_for(container, Role.UNDERWRITER, "op_uw")
    sign_in(api, container, "op_uw", Role.UNDERWRITER)
    page = api.get(f"/operator/certificates/{alice['subject_id']}/{cert_id}")
    assert page.content == html and page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["content-disposition"].startswith("attachment")
    assert api.get(f"{path}/{cert_id}/file", headers=reviewer).headers["x-content-type-options"] == "nosniff"
