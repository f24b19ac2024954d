"""The only door into the bureau for the rest of fairlend.

The bureau is another institution: other contexts talk to it through the
`BureauClient` port, as a lender would over the wire. Two adapters honour the
same contract (tests/bureau/test_client_contract.py): `InProcessBureauClient`
(same process, same database) and `http_client.HttpBureauClient` (httpx,
against `/api/v1/bureau` with an `Authorization: ApiKey ...` header).

`BureauAdmin` is the bureau's own back office (registering institutions, the
daily job, the counter where a person asks for their own report); the
composition root builds `InProcessBureau` for it.

Every inquiry an institution makes about a person carries that person's
consent (`ConsentAttestation`, CN-14): hard inquiries and self-queries on the
person's behalf alike. Only the counter answers a self-query without one.

Every type another context needs is importable from here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, Protocol

from fairlend.bureau.consent import ConsentAttestation, InquiryKind, InquiryPurpose
from fairlend.bureau.documents import (
    AccountReport,
    Ack,
    CreditReport,
    DisputeMark,
    InquiryRecord,
    Institution,
    InstitutionCredentials,
    LineOutcome,
    NegativeRecord,
    OutcomeNotice,
    ReportSummary,
    RetentionRemoval,
)
from fairlend.bureau.model import AccountState
from fairlend.bureau.render import render_html, render_pdf
from fairlend.bureau.service import BureauService
from fairlend.errors import DomainError, Forbidden

__all__ = [
    "AccountReport",
    "AccountState",
    "Ack",
    "BureauAdmin",
    "BureauClient",
    "ConsentAttestation",
    "CreditReport",
    "DailyRun",
    "DisputeMark",
    "InProcessBureau",
    "InProcessBureauClient",
    "InquiryKind",
    "InquiryPurpose",
    "InquiryRecord",
    "Institution",
    "InstitutionCredentials",
    "LineOutcome",
    "NegativeRecord",
    "OutcomeNotice",
    "OwnInstitution",
    "ReportSummary",
    "RetentionRemoval",
    "render_html",
    "render_pdf",
]

DocumentFormat = Literal["html", "pdf"]


class BureauClient(Protocol):
    """What a reporting institution can do at the bureau."""

    @property
    def institution_id(self) -> str: ...

    def submit_file(self, content: bytes) -> Ack:
        """Apply a JSON Lines reporting file (docs/bureau-reporting.md); the ack says which lines were refused."""
        ...

    def submit_records(self, records: Sequence[Mapping[str, Any]]) -> Ack: ...

    def inquire(
        self, id_number: str, purpose: InquiryPurpose, *, name: str = "", consent: ConsentAttestation | None = None
    ) -> CreditReport:
        """Hard inquiries need a live consent for this institution and purpose (CN-14)."""
        ...

    def self_report(self, id_number: str, *, consent: ConsentAttestation | None, name: str = "") -> CreditReport:
        """A person's own report through this institution's channel: a soft inquiry (CN-13) that
        carries the person's live consent for purpose `self` (CN-14), else Forbidden naming the rule."""
        ...

    def self_report_document(
        self, id_number: str, fmt: DocumentFormat, *, consent: ConsentAttestation | None, name: str = ""
    ) -> bytes: ...

    def file_dispute(
        self,
        id_number: str,
        institution_id: str,
        account_ref: str,
        reason: str,
        *,
        month: str = "",
        added_information: bool = False,
    ) -> DisputeMark: ...

    def open_disputes(self) -> list[DisputeMark]:
        """Disputes about this institution's records still waiting for its answer."""
        ...

    def answer_dispute(
        self, dispute_id: str, outcome: str, *, correction: Mapping[str, Any] | None = None, note: str = ""
    ) -> DisputeMark: ...

    def has_open_dispute(self, institution_id: str, account_ref: str) -> bool:
        """Collections pauses contacts while this is true (P-3)."""
        ...

    def outcome_notices(self, id_number: str) -> list[OutcomeNotice]: ...


@dataclass(frozen=True, slots=True)
class DailyRun:
    removed: tuple[RetentionRemoval, ...]
    suppressed_disputes: tuple[str, ...]


class BureauAdmin(Protocol):
    """The bureau's back office."""

    def register_institution(self, name: str) -> InstitutionCredentials: ...

    def ensure_institution(self, institution_id: str, name: str) -> Institution: ...

    def client_for(self, institution_id: str) -> BureauClient:
        """A trusted in-process client for an institution living in this process (fairlend itself)."""
        ...

    def client_with_key(self, api_key: str) -> BureauClient: ...

    def counter_report(self, id_number: str) -> CreditReport:
        """A person's own report at the bureau's counter (a free or paid self-query, CN-13).

        The one self-query without a consent attestation: the person asks in person.
        """
        ...

    def run_daily(self, on: date | None = None) -> DailyRun: ...

    def rotate_keys(self) -> int:
        """Re-seal what the bureau keeps sealed under its current key; how many rows were rewritten."""
        ...

    def merge_duplicate_files(self) -> int:
        """Re-key files stored under an ID number with separators, one file a person; how many changed."""
        ...


# -- in-process -----------------------------------------------------------------------


class InProcessBureauClient:
    def __init__(self, service: BureauService, institution_id: str) -> None:
        self._service = service
        self._institution_id = institution_id

    @property
    def institution_id(self) -> str:
        return self._institution_id

    def submit_file(self, content: bytes) -> Ack:
        return self._service.submit(self._institution_id, content)

    def submit_records(self, records: Sequence[Mapping[str, Any]]) -> Ack:
        return self._service.submit_records(self._institution_id, [dict(r) for r in records])

    def inquire(
        self, id_number: str, purpose: InquiryPurpose, *, name: str = "", consent: ConsentAttestation | None = None
    ) -> CreditReport:
        return self._service.inquire(self._institution_id, id_number, purpose, name=name, consent=consent)

    def self_report(self, id_number: str, *, consent: ConsentAttestation | None, name: str = "") -> CreditReport:
        return self._service.self_query(id_number, institution_id=self._institution_id, name=name, consent=consent)

    def self_report_document(
        self, id_number: str, fmt: DocumentFormat, *, consent: ConsentAttestation | None, name: str = ""
    ) -> bytes:
        report = self.self_report(id_number, consent=consent, name=name)
        return render_pdf(report) if fmt == "pdf" else render_html(report).encode()

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
        return self._service.file_dispute(
            id_number, institution_id, account_ref, reason, month=month, added_information=added_information
        )

    def open_disputes(self) -> list[DisputeMark]:
        return self._service.disputes_for(self._institution_id)

    def answer_dispute(
        self, dispute_id: str, outcome: str, *, correction: Mapping[str, Any] | None = None, note: str = ""
    ) -> DisputeMark:
        return self._service.answer_dispute(
            self._institution_id, dispute_id, outcome, correction=dict(correction) if correction else None, note=note
        )

    def has_open_dispute(self, institution_id: str, account_ref: str) -> bool:
        if institution_id != self._institution_id:
            raise Forbidden("not_your_account", "an institution asks only about its own accounts")
        return self._service.has_open_dispute(institution_id, account_ref)

    def outcome_notices(self, id_number: str) -> list[OutcomeNotice]:
        return self._service.outcome_notices(id_number)


class InProcessBureau:
    def __init__(self, service: BureauService) -> None:
        self.service = service

    def register_institution(self, name: str) -> InstitutionCredentials:
        return self.service.register_institution(name)

    def ensure_institution(self, institution_id: str, name: str) -> Institution:
        return self.service.ensure_institution(institution_id, name)

    def client_for(self, institution_id: str) -> BureauClient:
        return InProcessBureauClient(self.service, institution_id)

    def client_with_key(self, api_key: str) -> BureauClient:
        return InProcessBureauClient(self.service, self.service.authenticate(api_key).institution_id)

    def counter_report(self, id_number: str) -> CreditReport:
        return self.service.self_query(id_number)

    def run_daily(self, on: date | None = None) -> DailyRun:
        removed, suppressed = self.service.run_daily(on)
        return DailyRun(tuple(removed), tuple(suppressed))

    def rotate_keys(self) -> int:
        return self.service.rotate_keys()

    def merge_duplicate_files(self) -> int:
        return self.service.merge_duplicate_files()


class BureauUnavailable(DomainError):
    status = 502
    title = "Bad gateway"


class OwnInstitution:
    """fairlend's own institution at the bureau, registered the first time it is used.

    Registration waits for first use because bootstrap runs before migrations
    on a fresh database. Calling it returns the institution's client.
    """

    def __init__(self, admin: BureauAdmin, institution_id: str, name: str) -> None:
        self._admin = admin
        self.institution_id = institution_id
        self._name = name
        self._registered = False

    def __call__(self) -> BureauClient:
        if not self._registered:
            self._admin.ensure_institution(self.institution_id, self._name)
            self._registered = True
        return self._admin.client_for(self.institution_id)


def ack_file(ack: Ack) -> str:
    """The acknowledgement file's text (JSON), as `fairlend bureau submit` writes it."""
    return json.dumps(ack.to_json(), ensure_ascii=False, indent=2)
