"""A browser never gets problem+json from a page.

FastAPI checks form fields before a page handler runs, and a path with no page,
a refusal no page caught, or a crash never reach a page handler at all: each of
those renders an HTML page in the reader's language, with the pages' security
headers and a link back. Everything under /api/ keeps answering problem+json.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import APIRouter
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from httpx import Response

from fairlend.api.app import create_app
from fairlend.bootstrap import Container
from fairlend.errors import RateLimited
from fairlend.identity.model import Role
from fairlend.web import i18n
from fairlend.web.rendering import SECURITY_HEADERS
from fairlend.web.session import CSRF_COOKIE, CSRF_FIELD
from tests.conftest import FakeAuthenticator
from tests.identity.helpers import sign_up
from tests.web.helpers import page_path, page_post_routes, sign_in

TOKEN = "c" * 43
HAN = re.compile(r"[\u4e00-\u9fff]")
BACK = re.compile(r'href="([^"]*)" data-testid="back"')
HOME = re.compile(r'href="/" data-testid="home"')
PDF = ("statement.pdf", b"%PDF-1.4 test", "application/pdf")
LOCALES = {"en": "en", "zh-CN": "zh-CN"}


def _fields(route: APIRoute) -> dict[str, tuple[bool, bool]]:
    """Each form field: (required, is a file upload)."""
    return {
        p.alias: (p.field_info.is_required(), "UploadFile" in str(p.field_info.annotation))
        for p in route.dependant.body_params
    }


def _send(client: TestClient, route: APIRoute, *, drop: str | None = None, garble: str | None = None) -> Response:
    """A well-formed post of every field but `drop` (left out) or `garble` (a file for text, text for a file)."""
    data: dict[str, str] = {}
    files: dict[str, Any] = {}
    for name, (_, is_file) in _fields(route).items():
        if name == drop:
            continue
        if name == garble:
            if is_file:
                data[name] = "not a file"
            else:
                files[name] = ("typed.txt", b"1", "text/plain")
        elif is_file:
            files[name] = PDF
        else:
            data[name] = TOKEN if name == CSRF_FIELD else "1"
    return client.post(page_path(route), data=data, files=files or None)


def _is_page(response: Response, status: int, locale: str) -> str:
    """The answer is an HTML page in `locale` with the pages' headers, never JSON; returns its text."""
    assert response.status_code == status, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("text/html"), response.headers["content-type"]
    assert not response.text.lstrip().startswith("{") and '"status":' not in response.text
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value, name
    assert f'<html lang="{locale}">' in response.text
    if locale == "zh-CN":
        assert HAN.search(response.text), "the Chinese page is in Chinese"
    return response.text


def _back(text: str) -> str:
    """Where the page's "back" link leads; home when there is nowhere better (the page then links home only)."""
    assert HOME.search(text), "every error page links home"
    found = BACK.search(text)
    return found.group(1) if found else "/"


@pytest.fixture
def pages(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container=container), raise_server_exceptions=False, follow_redirects=False) as client:
        client.cookies.set(CSRF_COOKIE, TOKEN)
        yield client


@pytest.fixture
def borrower_id(container: Container) -> str:
    """A real account, so the pages a "back" link leads to can be drawn for it."""
    return sign_up(container).subject_id


def _signed_in_for(client: TestClient, container: Container, route: APIRoute, borrower_id: str) -> None:
    if route.path.startswith("/operator"):
        sign_in(client, container, "op_forms", Role.ADMIN)
    else:
        sign_in(client, container, borrower_id, Role.BORROWER)


# The walk posts about two hundred forms; storage plays no part in it, so it runs on one backend.
@pytest.mark.backends("sqlite")
@pytest.mark.parametrize("locale", LOCALES)
def test_every_page_form_with_a_missing_or_garbled_field_answers_a_page_naming_the_field(
    container: Container, pages: TestClient, borrower_id: str, locale: str
) -> None:
    routes = page_post_routes()
    assert len(routes) >= 15, "every form page is walked"
    t = i18n.Translator(locale)
    pages.cookies.set(i18n.COOKIE, locale)
    for route in routes:
        _signed_in_for(pages, container, route, borrower_id)
        fields = _fields(route)
        required = [name for name, (needed, _) in fields.items() if needed]
        for name in required:
            text = _is_page(_send(pages, route, drop=name), 422, locale)
            assert t("problem.form.missing", field=t(f"field.{name}")) in text, (route.path, name)
        for name in fields:  # optional fields and the CSRF field too: a value that cannot be read
            sent = _send(pages, route, garble=name)
            text = _is_page(sent, 422, locale)
            assert t("problem.form.invalid", field=t(f"field.{name}")) in text, (route.path, name)
            assert t("problem.form.lead") in text
            # The link leads to a page (the form, or its own "no such offer"), not to a path without one.
            target = pages.get(_back(text))
            assert target.status_code in (200, 303, 404), (route.path, _back(text), target.status_code)
            assert t("problem.not_found") not in target.text, (route.path, _back(text))


def test_a_form_error_links_back_to_the_form_and_never_echoes_what_was_typed(
    container: Container, pages: TestClient
) -> None:
    sign_in(pages, container, "usr_forms", Role.BORROWER)
    pages.cookies.set(i18n.COOKIE, "en")
    typed = {CSRF_FIELD: TOKEN, "term": "<b>twelve</b>", "income": "secret-income-7731"}
    text = _is_page(pages.post("/borrower/apply/prequalify", data=typed), 422, "en")
    assert "Amount: this field is required." in text
    assert "twelve" not in text and "secret-income-7731" not in text
    assert _back(text) == "/borrower/apply"  # nothing to go on but the path: the page above it
    repay = _is_page(pages.post("/borrower/loans/loan_1/repay", data={CSRF_FIELD: TOKEN, "pay_key": "k"}), 422, "en")
    assert _back(repay) == "/borrower/loans/loan_1"

    came_from = {"Referer": "http://testserver/borrower/apply?lang=en"}
    assert _back(pages.post("/borrower/apply", data=typed, headers=came_from).text) == "/borrower/apply?lang=en"
    # A referer that is not this site, or not a page a GET can draw again, is not followed.
    for elsewhere in ("https://evil.example/borrower/apply", "http://testserver//evil.example/x"):
        assert (
            _back(pages.post("/borrower/apply", data=typed, headers={"Referer": elsewhere}).text) == "/borrower/apply"
        )
    posted_page = {"Referer": "http://testserver/borrower/apply/disclosure"}
    assert _back(pages.post("/borrower/apply", data=typed, headers=posted_page).text) == "/borrower/apply"


def test_every_page_form_field_is_named_in_both_catalogs() -> None:
    names = {name for route in page_post_routes() for name in _fields(route)}
    for locale in i18n.LOCALES:
        missing = sorted(name for name in names if f"field.{name}" not in i18n.catalog(locale))
        assert not missing, (locale, missing)


def test_an_unknown_page_is_a_page_but_an_unknown_api_path_is_a_problem(pages: TestClient) -> None:
    english = _is_page(pages.get("/borrower/nope?lang=en"), 404, "en")
    assert "There is no page at this address." in english and _back(english) == "/borrower"
    chinese = _is_page(pages.get("/borrower/nope?lang=zh-CN"), 404, "zh-CN")
    assert "此地址没有对应的页面。" in chinese
    api = pages.get("/api/v1/nope")
    assert api.status_code == 404 and api.headers["content-type"] == "application/problem+json"
    assert api.json()["code"] == "not_found"


def test_a_method_a_page_does_not_take_is_a_page_that_says_which_it_does(pages: TestClient) -> None:
    wrong = pages.get("/borrower/apply/prequalify?lang=en")
    assert "This address cannot be used that way" in _is_page(wrong, 405, "en")
    assert wrong.headers["allow"] == "POST"
    api = pages.delete("/api/v1/health")
    assert api.status_code == 405 and api.headers["content-type"] == "application/problem+json"


def test_a_refusal_no_page_caught_is_a_page_in_the_readers_language(
    container: Container, pages: TestClient, fake_auth: FakeAuthenticator
) -> None:
    me = fake_auth.token_for(Role.BORROWER, "brw_someone")
    pages.cookies.set("fl_session", me)
    evidence = "/borrower/contacts/evidence/loan_missing.pdf"
    assert "没有这笔借款。" in _is_page(pages.get(evidence, headers={"Accept-Language": "zh-CN"}), 404, "zh-CN")
    assert "There is no such loan." in _is_page(pages.get(evidence + "?lang=en"), 404, "en")
    api = pages.get(
        "/api/v1/collections/borrowers/brw_someone/loans/loan_missing/evidence.pdf",
        headers={"Authorization": f"Bearer {me}"},
    )
    assert api.status_code == 404 and api.headers["content-type"] == "application/problem+json"
    assert api.json()["code"] == "loan_not_found"


@pytest.fixture
def crashing(container: Container) -> Iterator[TestClient]:
    """The real app, plus a page and an API route that fail in the ways no page handles itself."""
    app = create_app(container=container)
    probes = APIRouter()

    @probes.get("/borrower/_probe/crash")
    @probes.get("/api/v1/_probe/crash")
    def crash() -> None:
        raise RuntimeError("boom")

    @probes.get("/borrower/_probe/slow-down")
    def slow_down() -> None:
        raise RateLimited("code_send_rate_limited", "wait a minute", retry_after=60)

    app.include_router(probes)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_a_crash_on_a_page_is_a_page_and_on_the_api_a_problem(
    crashing: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    page = crashing.get("/borrower/_probe/crash?lang=zh-CN")
    assert "系统内部出错" in _is_page(page, 500, "zh-CN")
    assert "unhandled error on GET /borrower/_probe/crash" in caplog.text
    api = crashing.get("/api/v1/_probe/crash")
    assert api.status_code == 500 and api.headers["content-type"] == "application/problem+json"

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the database is down too")

    monkeypatch.setattr("fairlend.web.errors.render", broken)
    bare = crashing.get("/borrower/_probe/crash")
    assert bare.status_code == 500 and bare.headers["content-type"].startswith("text/html")
    assert "It has been logged" in bare.text and bare.headers["x-content-type-options"] == "nosniff"


def test_a_refusal_with_a_retry_time_keeps_it_on_the_page(crashing: TestClient) -> None:
    slow = crashing.get("/borrower/_probe/slow-down?lang=en")
    assert "A code was sent less than a minute ago." in _is_page(slow, 429, "en")
    assert slow.headers["retry-after"] == "60"
