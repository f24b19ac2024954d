"""The audit log page for compliance: who saw whose personal data in clear, and who ended
whose sessions, newest first, filtered by subject, actor and days, with a CSV download.

Readable by `AUDIT_READERS` only (api/auth.py), like `GET /api/v1/audit-log`; both
read `IdentityService.audit`. Rows carry ids, field names and a reason whose numbers
are masked (identity/audit.py), so nothing here is personal data in clear. Mounted
through identity's page router (web/identity.py).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from fairlend.api.auth import AUDIT_READERS
from fairlend.api.deps import ContainerDep
from fairlend.errors import DomainError, Invalid
from fairlend.identity.model import AuditEntry, AuditFilter
from fairlend.web.rendering import SECURITY_HEADERS, error_text, operator, render

router = APIRouter(include_in_schema=False)
PAGE = "/operator/audit"
CSV_COLUMNS = ("at", "actor_id", "actor_role", "action", "subject_id", "fields", "reason")
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_CURSOR = re.compile(r"[0-9]{1,18}")
_CHUNK_ROWS = 500


class _Filters:
    """The query string as typed (to refill the form and build links) and as the service reads it."""

    def __init__(self, subject: str, actor: str, since: str, until: str) -> None:
        self.typed = {"subject": subject.strip(), "actor": actor.strip(), "from": since.strip(), "to": until.strip()}

    def parsed(self) -> AuditFilter:
        return AuditFilter(
            person_id=self.typed["subject"],
            actor_id=self.typed["actor"],
            since=_day(self.typed["from"]),
            until=_day(self.typed["to"]),
        )

    def query(self, **more: int) -> str:
        """`?subject=…&actor=…` with only the filters given, plus `more` (a cursor)."""
        pairs = [(k, v) for k, v in self.typed.items() if v] + [(k, str(v)) for k, v in more.items()]
        return "?" + urlencode(pairs) if pairs else ""


Subject = Annotated[str, Query()]
Actor = Annotated[str, Query()]
Since = Annotated[str, Query(alias="from")]
Until = Annotated[str, Query(alias="to")]


@router.get(PAGE, response_class=HTMLResponse)
def audit_page(
    request: Request,
    container: ContainerDep,
    subject: Subject = "",
    actor: Actor = "",
    since: Since = "",
    until: Until = "",
    before: str = "",
    after: str = "",
) -> HTMLResponse:
    operator(request, container, AUDIT_READERS)
    filters = _Filters(subject, actor, since, until)
    zone = ZoneInfo(container.profile.timezone)
    context: dict[str, Any] = {
        "filters": filters.typed,
        "zone": zone.key,
        "csv_href": PAGE + ".csv" + filters.query(),
    }
    try:
        page = container.identity.audit.page(filters.parsed(), before=_cursor(before), after=_cursor(after))
    except DomainError as exc:
        error = error_text(request, container, exc)
        return render(request, container, "identity/audit.html", entries=(), error=error, status_code=422, **context)
    return render(
        request,
        container,
        "identity/audit.html",
        entries=[(e, e.at.astimezone(zone)) for e in page.entries],
        older_href=PAGE + filters.query(before=page.older) if page.older is not None else None,
        newer_href=PAGE + filters.query(after=page.newer) if page.newer is not None else None,
        newest_href=PAGE + filters.query() if before or after else None,
        **context,
    )


@router.get(PAGE + ".csv", response_model=None)
def audit_csv(
    request: Request,
    container: ContainerDep,
    subject: Subject = "",
    actor: Actor = "",
    since: Since = "",
    until: Until = "",
) -> Response:
    """Every row the filters match, as the page lists them; a spreadsheet runs none of it."""
    operator(request, container, AUDIT_READERS)
    filters = _Filters(subject, actor, since, until)
    try:
        rows = container.identity.audit.export(filters.parsed())
    except DomainError as exc:
        return Response(error_text(request, container, exc), status_code=422, media_type="text/plain; charset=utf-8")
    zone = ZoneInfo(container.profile.timezone)
    headers = {
        **SECURITY_HEADERS,
        "Content-Disposition": 'attachment; filename="audit-log.csv"',
        "Cache-Control": "no-store",
    }
    return StreamingResponse(csv_chunks(rows, zone), media_type="text/csv; charset=utf-8", headers=headers)


def csv_chunks(rows: Iterator[AuditEntry], zone: ZoneInfo) -> Iterator[str]:
    """The CSV text in chunks of `_CHUNK_ROWS` rows (each chunk is one hop to the worker thread)."""
    out = io.StringIO()
    writer = csv.writer(out)
    # The byte-order mark lets spreadsheets read the UTF-8 (a reason may be in Chinese).
    out.write("\ufeff")
    writer.writerow(CSV_COLUMNS)
    for n, e in enumerate(rows, start=1):
        at = e.at.astimezone(zone).isoformat(timespec="seconds")
        cells = (at, e.actor_id, e.actor_role, e.action.value, e.person_id, e.fields, e.purpose)
        writer.writerow([safe_cell(c) for c in cells])
        if n % _CHUNK_ROWS == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def safe_cell(value: str) -> str:
    """A cell a spreadsheet shows as text: a leading formula character gets a `'` before it."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _day(typed: str) -> date | None:
    if not typed:
        return None
    try:
        return date.fromisoformat(typed)
    except ValueError:
        raise Invalid("audit_date_invalid", "give days as YYYY-MM-DD") from None


def _cursor(typed: str) -> int | None:
    if not typed:
        return None
    if not _CURSOR.fullmatch(typed):
        raise Invalid("audit_cursor_invalid", "that page link is broken; start again from the newest entries")
    return int(typed)
