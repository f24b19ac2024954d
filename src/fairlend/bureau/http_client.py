"""The bureau's port over HTTP: what a lender elsewhere runs against `/api/v1/bureau`.

`HttpBureauClient` honours the same `BureauClient` contract as the in-process
adapter (tests/bureau/test_client_contract.py), with an `Authorization: ApiKey ...`
header; the bureau's problem+json answers come back as the same `DomainError`s.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from fairlend.bureau.client import (
    Ack,
    BureauUnavailable,
    ConsentAttestation,
    CreditReport,
    DisputeMark,
    DocumentFormat,
    InquiryPurpose,
    OutcomeNotice,
)
from fairlend.codec import decode, encode
from fairlend.errors import Conflict, DomainError, Forbidden, Invalid, NotFound, RateLimited, Unauthorized

_ERRORS: dict[int, type[DomainError]] = {
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    422: Invalid,
    429: RateLimited,
}


class HttpBureauClient:
    """The same port over HTTP. Pass any `httpx.Client` (a TestClient in tests)."""

    def __init__(self, http: httpx.Client, api_key: str, *, institution_id: str, base: str = "/api/v1/bureau") -> None:
        self._http = http
        self._base = base.rstrip("/")
        self._headers = {"Authorization": f"ApiKey {api_key}"}
        self._institution_id = institution_id

    @property
    def institution_id(self) -> str:
        return self._institution_id

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self._headers, **kwargs.pop("headers", {})}
        try:
            response = self._http.request(method, self._base + path, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            raise BureauUnavailable("bureau_unavailable", f"the bureau did not answer: {exc}") from None
        if response.status_code >= 400:
            extra: dict[str, Any] = {}
            try:
                problem = response.json()
                code, detail = str(problem.get("code", "bureau_error")), str(problem.get("detail", ""))
                if isinstance(problem.get("rule"), str):
                    extra["rule"] = problem["rule"]  # a refusal names its rule on both adapters
            except ValueError:
                code, detail = "bureau_error", response.text[:200]
            error = _ERRORS.get(response.status_code, BureauUnavailable)
            raise error(code, detail, **extra)
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._call(method, path, **kwargs).json()

    def submit_file(self, content: bytes) -> Ack:
        data = self._json("POST", "/files", content=content, headers={"Content-Type": "application/x-ndjson"})
        return Ack.from_json(data)

    def submit_records(self, records: Sequence[Mapping[str, Any]]) -> Ack:
        return Ack.from_json(self._json("POST", "/records", json=[dict(r) for r in records]))

    def inquire(
        self, id_number: str, purpose: InquiryPurpose, *, name: str = "", consent: ConsentAttestation | None = None
    ) -> CreditReport:
        body = {"id_number": id_number, "name": name, "purpose": purpose.value, "consent": encode(consent)}
        return decode(CreditReport, self._json("POST", "/inquiries", json=body))

    def self_report(self, id_number: str, *, consent: ConsentAttestation | None, name: str = "") -> CreditReport:
        body = {"id_number": id_number, "name": name, "consent": encode(consent)}
        return decode(CreditReport, self._json("POST", "/self-queries", json=body))

    def self_report_document(
        self, id_number: str, fmt: DocumentFormat, *, consent: ConsentAttestation | None, name: str = ""
    ) -> bytes:
        body = {"id_number": id_number, "name": name, "consent": encode(consent)}
        return self._call("POST", "/self-queries", params={"format": fmt}, json=body).content

    def file_dispute(
        self,
        id_number: str,
        institution_id: str,
        account_ref: str,
        reason: str,
        *,
        month: str = "",
        added_information: bool = False,
    ) -> DisputeMark:
        body = {
            "id_number": id_number,
            "institution_id": institution_id,
            "account_ref": account_ref,
            "reason": reason,
            "month": month,
            "added_information": added_information,
        }
        return decode(DisputeMark, self._json("POST", "/disputes", json=body))

    def open_disputes(self) -> list[DisputeMark]:
        return [decode(DisputeMark, d) for d in self._json("GET", "/disputes", params={"status": "open"})]

    def answer_dispute(
        self, dispute_id: str, outcome: str, *, correction: Mapping[str, Any] | None = None, note: str = ""
    ) -> DisputeMark:
        body = {"outcome": outcome, "correction": dict(correction) if correction else None, "note": note}
        return decode(DisputeMark, self._json("POST", f"/disputes/{dispute_id}/answer", json=body))

    def has_open_dispute(self, institution_id: str, account_ref: str) -> bool:
        data = self._json(
            "GET", "/disputes/open-check", params={"institution_id": institution_id, "account_ref": account_ref}
        )
        return bool(data["open"])

    def outcome_notices(self, id_number: str) -> list[OutcomeNotice]:
        return [decode(OutcomeNotice, n) for n in self._json("POST", "/notices/query", json={"id_number": id_number})]
