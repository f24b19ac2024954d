"""Repayment files over HTTP: a payment processor's file of payments, applied once, its result kept.

`POST /repayment-files` takes the file as multipart form data (field `file`),
applies it (lending's `RepaymentFiles.import_file`: the same file again, by
content, changes nothing and answers the first import's result) and answers
the file's summary with every line's result. `GET /repayment-files/{id}`
answers the same again later. The per-line results are streamed from the
database a page at a time, so neither the import nor its answer holds a
file's worth of lines in memory. An `Idempotency-Key` is accepted but not
needed: the file's SHA-256 already makes a resend harmless (and with a key,
the idempotency store keeps the whole answer).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, File, UploadFile, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from fairlend.api.auth import LOAN_OFFICERS, require_roles
from fairlend.api.deps import ContainerDep, IdempotencyKey
from fairlend.api.routers.lending_models import MoneyPublic
from fairlend.bootstrap import Container
from fairlend.identity.model import Principal
from fairlend.lending.file_lines import LineResult, RepaymentFileView
from fairlend.money import Money

router = APIRouter(tags=["lending"])

LoanOfficer = Annotated[Principal, Depends(require_roles(*LOAN_OFFICERS))]


class LineResultPublic(BaseModel):
    line: int
    status: str  # applied | duplicate | refused
    code: str  # "" when applied; a stable code otherwise (docs/operators.md)
    detail: str
    loan_reference: str
    amount: MoneyPublic | None  # None when the line's amount could not be read
    value_date: date | None
    external_reference: str
    repayment_id: str  # "" unless applied

    @classmethod
    def of(cls, r: LineResult) -> LineResultPublic:
        return cls(
            line=r.line,
            status=r.status.value,
            code=r.code,
            detail=r.detail,
            loan_reference=r.loan_id,
            amount=MoneyPublic.of(Money(r.amount_minor, r.currency)) if r.currency else None,
            value_date=r.value_date,
            external_reference=r.external_reference,
            repayment_id=r.repayment_id,
        )


class RepaymentFilePublic(BaseModel):
    id: str
    sha256: str
    name: str
    format: str  # csv | jsonl
    business_date: date
    lines: int
    applied: int
    duplicates: int
    refused: int
    totals: list[MoneyPublic]  # applied, per currency
    imported_by: str
    received_at: datetime
    already_imported: bool  # True: this call changed nothing, the same file was taken in before
    results: list[LineResultPublic]  # every line, in order

    @classmethod
    def head(cls, v: RepaymentFileView) -> dict[str, object]:
        """Every field but the results, as JSON data."""
        return cls(
            id=v.file_id,
            sha256=v.sha256,
            name=v.name,
            format=v.format.value,
            business_date=v.business_date,
            lines=v.lines,
            applied=v.applied,
            duplicates=v.duplicates,
            refused=v.refused,
            totals=[MoneyPublic.of(Money(minor, cur)) for cur, minor in sorted(v.totals.items())],
            imported_by=v.imported_by,
            received_at=v.received_at,
            already_imported=v.already_imported,
            results=[],
        ).model_dump(mode="json", exclude={"results"})


def _streamed(container: Container, view: RepaymentFileView, status_code: int) -> StreamingResponse:
    """The file's summary, then its results array written a line at a time (RepaymentFilePublic)."""

    def body() -> Iterator[bytes]:
        head = json.dumps(RepaymentFilePublic.head(view), ensure_ascii=False, separators=(",", ":"))
        yield head[:-1].encode() + b',"results":['
        for k, result in enumerate(container.lending.files.results(view.file_id)):
            yield (b"," if k else b"") + LineResultPublic.of(result).model_dump_json().encode()
        yield b"]}"

    return StreamingResponse(body(), status_code=status_code, media_type="application/json")


@router.post(
    "/repayment-files",
    status_code=status.HTTP_201_CREATED,
    response_model=RepaymentFilePublic,
    responses={200: {"model": RepaymentFilePublic, "description": "the same file was taken in before"}},
)
def import_repayment_file(
    container: ContainerDep,
    principal: LoanOfficer,
    file: Annotated[UploadFile, File(description="CSV with a header row, or JSON Lines; UTF-8")],
    idempotency_key: IdempotencyKey = None,
) -> StreamingResponse:
    """Apply a payment processor's repayment file (loan officers); the same file again changes nothing.

    Fields per payment: loan_reference, amount (major units as text), value_date (YYYY-MM-DD),
    external_reference, and optionally currency. A problem of the whole file (not UTF-8, columns,
    empty) is a 422 problem and nothing is applied; a problem of one line is that line's result.
    """
    view = container.lending.files.import_file(
        file.file, name=file.filename or "repayments", imported_by=principal.subject_id
    )
    return _streamed(container, view, status.HTTP_200_OK if view.already_imported else status.HTTP_201_CREATED)


@router.get("/repayment-files/{file_id}", response_model=RepaymentFilePublic)
def repayment_file(file_id: str, container: ContainerDep, principal: LoanOfficer) -> StreamingResponse:
    """A repayment file's summary and every line's result, as the import answered them (loan officers)."""
    return _streamed(container, container.lending.files.get(file_id), status.HTTP_200_OK)
