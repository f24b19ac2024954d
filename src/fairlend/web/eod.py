"""End-of-day's console pages: the runs, a date's runs and partitions, and retrying a failed partition.

Admins (api/auth.py `EOD_READERS` read, `EOD_RUNNERS` retry). A date closed in
partitions shows each partition's state, worker, attempts, duration and error;
a failed partition of the open date has a retry button, which runs that
partition here, in this process (as `fairlend eod retry` does), and closes the
date if it was the last one open. The page then shows what the rows say.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from fairlend.api.auth import EOD_READERS, EOD_RUNNERS
from fairlend.api.deps import ContainerDep
from fairlend.bootstrap import Container
from fairlend.errors import DomainError
from fairlend.web.rendering import Csrf, PageRedirect, check_csrf, error_text, operator, redirect, render

router = APIRouter(include_in_schema=False)
PAGE = "/operator/eod"
EOD_PAGE_SIZE = 20


@router.get(PAGE, response_class=HTMLResponse)
def eod_runs(
    request: Request, container: ContainerDep, page: Annotated[int, Query(ge=1, le=10_000)] = 1
) -> HTMLResponse:
    """One line per run, newest first, a page at a time; each date opens its steps and partitions."""
    operator(request, container, EOD_READERS)
    runs = container.eod.runs(EOD_PAGE_SIZE + 1, (page - 1) * EOD_PAGE_SIZE)
    return render(
        request,
        container,
        "lending/eod.html",
        runs=runs[:EOD_PAGE_SIZE],
        page=page,
        more=len(runs) > EOD_PAGE_SIZE,
        business_date=container.eod.business_date(),
    )


def _day(
    request: Request, container: Container, business_date: date, *, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    runs = container.eod.runs(20, on=business_date)
    partitions = container.eod.partition_runs(business_date)
    found = bool(runs or partitions)
    return render(
        request,
        container,
        "lending/eod_day.html",
        runs=runs,
        partitions=partitions,
        day=business_date,
        open_date=not container.eod.is_done(business_date),
        status_code=status_code if found else 404,
        **extra,
    )


@router.get(PAGE + "/{business_date}", response_class=HTMLResponse)
def eod_day(
    request: Request, container: ContainerDep, business_date: str, retried: Annotated[str, Query()] = ""
) -> HTMLResponse:
    """Every run of one business date with each step's count, then its partitions, in the reader's words.

    A path that is not a date leads back to the list of runs (a form's "back" link may carry one)."""
    operator(request, container, EOD_READERS)
    try:
        day = date.fromisoformat(business_date)
    except ValueError:
        raise PageRedirect(PAGE) from None
    return _day(request, container, day, retried=retried if retried in ("open", "done") else "")


@router.post(PAGE + "/{business_date}/partitions/{number}/retry", response_model=None)
def retry_partition(
    request: Request, container: ContainerDep, business_date: str, number: str, csrf: Csrf = None
) -> Response:
    """Run one failed partition again; the date closes if it was the last one open.

    The path is read after the role and CSRF checks (a malformed one is refused as a missing partition,
    never before the guard has spoken)."""
    operator(request, container, EOD_RUNNERS)
    check_csrf(request, csrf)
    try:
        day, part = date.fromisoformat(business_date), int(number)
    except ValueError:
        raise PageRedirect(PAGE) from None
    try:
        result = container.eod.retry(day, part)
    except DomainError as exc:
        return _day(request, container, day, status_code=409, error=error_text(request, container, exc))
    outcome = "done" if result.outcome in ("done", "skipped") else "open"
    return redirect(f"{PAGE}/{day.isoformat()}?retried={outcome}")
