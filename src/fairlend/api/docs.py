"""The interactive API documentation, served from the package.

Swagger UI (swagger-ui-dist, pinned; how to update it: web/static/vendor/README.md) is
vendored under /static/vendor/swagger-ui, so `/api/docs` works on a machine with no
network. Swagger UI would otherwise send the document to validator.swagger.io for its
badge: `validatorUrl` is switched off.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

SWAGGER_UI = "/static/vendor/swagger-ui"


def install(app: FastAPI, *, path: str = "/api/docs") -> None:
    router = APIRouter(include_in_schema=False)

    @router.get(path, response_class=HTMLResponse)
    def api_docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title="fairlend API",
            swagger_js_url=f"{SWAGGER_UI}/swagger-ui-bundle.js",
            swagger_css_url=f"{SWAGGER_UI}/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
            swagger_ui_parameters={"validatorUrl": None},
        )

    app.include_router(router)
