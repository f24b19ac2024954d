import re

import pytest
from fastapi.testclient import TestClient

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.IGNORECASE)
pytestmark = pytest.mark.backends("sqlite")


def test_api_docs_load_everything_from_the_package(api: TestClient) -> None:
    page = api.get("/api/docs")
    assert page.status_code == 200
    assert not EXTERNAL.search(page.text), "the docs page links something outside the server"
    assets = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", page.text)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in assets
    assert "/static/vendor/swagger-ui/swagger-ui.css" in assets
    for asset in assets:
        assert api.get(asset).status_code == 200, asset


def test_api_docs_never_send_the_document_to_the_public_validator(api: TestClient) -> None:
    assert '"validatorUrl": null' in api.get("/api/docs").text


def test_the_vendored_library_ships_with_its_licence(api: TestClient) -> None:
    licence = api.get("/static/vendor/swagger-ui/LICENSE")
    assert licence.status_code == 200 and "Apache License" in licence.text


def test_the_favicon_is_served_where_browsers_ask_for_it(api: TestClient) -> None:
    icon = api.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"] == "image/x-icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # the ICO header


def test_pages_link_the_favicon(api: TestClient) -> None:
    assert 'rel="icon" href="/static/favicon.svg"' in api.get("/").text
    assert api.get("/static/favicon.svg").status_code == 200
