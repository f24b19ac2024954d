"""Identity over HTTP: one-time codes, tokens, KYC, bank cards, certificates, consent,
operators. Access is decided by the policies in api/auth.py, never here."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile, status
from pydantic import BaseModel, BeforeValidator, Field
from pydantic_core import PydanticCustomError

from fairlend.api.amounts import CODE_CONTEXT
from fairlend.api.auth import (
    AuditReader,
    Authenticated,
    BearerToken,
    OperatorAdmin,
    OwnerOnly,
    OwnerOrPersonReader,
    OwnerOrReviewer,
    Reviewer,
    Unmasker,
)
from fairlend.api.deps import ClientAddress, ContainerDep, IdempotencyKey, ensure_loopback
from fairlend.identity.certificates import served_headers
from fairlend.identity.checks import MAX_CERTIFICATE_BYTES
from fairlend.identity.model import (
    BankCard,
    Certificate,
    CertificateStatus,
    ConsentRecord,
    KycRecord,
    Operator,
    OtpPurpose,
    PersonFacts,
    Principal,
    Role,
)
from fairlend.money import Money

router = APIRouter(tags=["identity"])
dev_router = APIRouter(tags=["development"])


# ---- schemas ------------------------------------------------------------------


class OtpRequest(BaseModel):
    phone: str = Field(max_length=32, examples=["13912345678"])
    purpose: Literal["sign_up", "log_in"]


class OtpSentPublic(BaseModel):
    masked_phone: str
    expires_at: datetime


def _person_role(value: object) -> object:
    # The same stable code as the service's own check (identity.accounts.person_role), not a bare
    # validation_error: people sign up as borrowers or investors, never as operators.
    if value not in ("borrower", "investor"):
        raise PydanticCustomError(
            "invalid_role", "people sign up as a borrower or an investor", {CODE_CONTEXT: "invalid_role"}
        )
    return value


PersonRole = Annotated[Literal["borrower", "investor"], BeforeValidator(_person_role)]


class SignUp(BaseModel):
    phone: str = Field(max_length=32)
    code: str = Field(max_length=12)
    role: PersonRole


class OperatorLogin(BaseModel):
    username: str = Field(max_length=60)
    password: str = Field(max_length=200)
    totp_code: str = Field(max_length=12)


class TokenPublic(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime
    subject_id: str
    role: str


class PersonPublic(BaseModel):
    subject_id: str
    role: str
    masked_name: str
    masked_phone: str
    kyc_levels: list[str]
    timezone: str


class TimezoneUpdate(BaseModel):
    timezone: str = Field(max_length=60, examples=["America/Los_Angeles"])


class IdentityCreate(BaseModel):
    name: str = Field(max_length=100)
    id_number: str = Field(max_length=32)
    birth_date: date


class KycPublic(BaseModel):
    level: str
    method: str
    verified_at: datetime


class BankCardCreate(BaseModel):
    card_number: str = Field(max_length=32)
    # The number the bank knows for this card; the registered mobile number when left out.
    phone: str | None = Field(default=None, max_length=32)


class BankCardPublic(BaseModel):
    card_id: str
    masked_number: str
    verified_at: datetime


class CertificatePublic(BaseModel):
    certificate_id: str
    person_id: str
    kind: str
    amount: str
    currency: str
    content_type: str
    size: int
    status: str
    reason: str
    uploaded_at: datetime
    reviewed_at: datetime | None


class Review(BaseModel):
    decision: Literal["approve", "reject"]
    reason: str = Field(default="", max_length=500)


class ConsentCreate(BaseModel):
    purpose: Literal["credit_inquiry", "credit_self_check", "data_processing", "marketing"]
    text_version: str = Field(max_length=60)
    institution: str = Field(default="", max_length=120)


class ConsentPublic(BaseModel):
    consent_id: str
    purpose: str
    institution: str
    text_version: str
    given_at: datetime
    revoked_at: datetime | None


class UnmaskRequest(BaseModel):
    purpose: str = Field(min_length=1, max_length=60)


class UnmaskedPublic(BaseModel):
    person_id: str
    name: str
    phone: str
    id_number: str
    bank_cards: list[str]


class AuditPublic(BaseModel):
    actor_id: str
    actor_role: str
    person_id: str
    fields: str
    purpose: str
    at: datetime


class OperatorCreate(BaseModel):
    username: str = Field(max_length=60)
    password: str = Field(max_length=200)
    role: Literal["underwriter", "collector", "compliance", "finance", "admin"]


class OperatorPublic(BaseModel):
    operator_id: str
    username: str
    role: str
    active: bool


class OperatorCreated(BaseModel):
    operator: OperatorPublic
    totp_secret: str
    provisioning_uri: str


class SessionsRevokedPublic(BaseModel):
    subject_id: str
    # Every token of the subject issued at or before this instant is refused; later log-ins work.
    revoked_at: datetime


class DevCodePublic(BaseModel):
    masked_phone: str
    code: str
    purpose: str
    sent_at: datetime


# ---- rendering ------------------------------------------------------------------


def _token(container: ContainerDep, principal: Principal) -> TokenPublic:
    token, expires_at = container.identity.tokens.issue(principal)
    return TokenPublic(
        access_token=token, expires_at=expires_at, subject_id=principal.subject_id, role=principal.role.value
    )


def _person(facts: PersonFacts) -> PersonPublic:
    return PersonPublic(
        subject_id=facts.person_id,
        role=facts.role.value,
        masked_name=facts.masked_name,
        masked_phone=facts.masked_phone,
        kyc_levels=sorted(level.value for level in facts.kyc_levels),
        timezone=facts.timezone,
    )


def _kyc(record: KycRecord) -> KycPublic:
    return KycPublic(level=record.level.value, method=record.method.value, verified_at=record.verified_at)


def _card(card: BankCard) -> BankCardPublic:
    return BankCardPublic(card_id=card.card_id, masked_number=card.masked_number, verified_at=card.verified_at)


def _certificate(cert: Certificate) -> CertificatePublic:
    return CertificatePublic(
        certificate_id=cert.certificate_id,
        person_id=cert.person_id,
        kind=cert.kind.value,
        amount=str(cert.amount.to_decimal()),
        currency=cert.amount.currency,
        content_type=cert.content_type,
        size=cert.size,
        status=cert.status.value,
        reason=cert.reason,
        uploaded_at=cert.uploaded_at,
        reviewed_at=cert.reviewed_at,
    )


def _consent(record: ConsentRecord) -> ConsentPublic:
    return ConsentPublic(
        consent_id=record.consent_id,
        purpose=record.purpose.value,
        institution=record.institution,
        text_version=record.text_version,
        given_at=record.given_at,
        revoked_at=record.revoked_at,
    )


# ---- sign-up and log-in -----------------------------------------------------------


@router.post("/auth/otp", status_code=status.HTTP_202_ACCEPTED, response_model=OtpSentPublic)
def send_code(
    body: OtpRequest, container: ContainerDep, client: ClientAddress, _key: IdempotencyKey = None
) -> OtpSentPublic:
    """Text a one-time code: 1 a minute and 10 a day per number; 10 an hour and 30 a day per client."""
    sent = container.identity.otp.send_code(body.phone, OtpPurpose(body.purpose), client=client)
    return OtpSentPublic(masked_phone=sent.masked_phone, expires_at=sent.expires_at)


@router.post("/auth/sign-up", status_code=status.HTTP_201_CREATED, response_model=TokenPublic)
def sign_up(body: SignUp, container: ContainerDep, _key: IdempotencyKey = None) -> TokenPublic:
    return _token(container, container.identity.accounts.sign_up(body.phone, body.code, body.role))


@router.post("/auth/tokens", response_model=TokenPublic)
def log_in(body: SignUp, container: ContainerDep, _key: IdempotencyKey = None) -> TokenPublic:
    return _token(container, container.identity.accounts.log_in(body.phone, body.code, body.role))


@router.post("/auth/operator-tokens", response_model=TokenPublic)
def operator_log_in(
    body: OperatorLogin, container: ContainerDep, client: ClientAddress, _key: IdempotencyKey = None
) -> TokenPublic:
    """Password and authenticator code. A client that keeps failing is throttled (429); no account is locked."""
    principal = container.identity.accounts.operator_log_in(body.username, body.password, body.totp_code, client=client)
    return _token(container, principal)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
def log_out(token: BearerToken, container: ContainerDep, _key: IdempotencyKey = None) -> Response:
    """End the presented token's session on the server; the person's other tokens keep working."""
    container.identity.sessions.log_out(token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", response_model=PersonPublic)
def me(principal: Authenticated, container: ContainerDep) -> PersonPublic:
    if principal.is_operator:
        operator = container.identity.accounts.operator(principal.subject_id)
        return PersonPublic(
            subject_id=operator.operator_id,
            role=operator.role.value,
            masked_name=operator.username,
            masked_phone="",
            kyc_levels=[],
            timezone=container.profile.timezone,
        )
    return _person(container.identity.person(principal.subject_id))


# ---- a person's records -------------------------------------------------------------


@router.get("/people/{person_id}", response_model=PersonPublic)
def person(person_id: str, _who: OwnerOrPersonReader, container: ContainerDep) -> PersonPublic:
    return _person(container.identity.person(person_id))


@router.put("/people/{person_id}/timezone", response_model=PersonPublic)
def set_timezone(
    person_id: str, body: TimezoneUpdate, _who: OwnerOnly, container: ContainerDep, _key: IdempotencyKey = None
) -> PersonPublic:
    container.identity.accounts.set_timezone(person_id, body.timezone)
    return _person(container.identity.person(person_id))


@router.get("/people/{person_id}/kyc", response_model=list[KycPublic])
def kyc_levels(person_id: str, _who: OwnerOrPersonReader, container: ContainerDep) -> list[KycPublic]:
    return [_kyc(r) for r in container.identity.kyc_levels(person_id)]


@router.post("/people/{person_id}/kyc/identity", status_code=status.HTTP_201_CREATED, response_model=KycPublic)
def verify_identity(
    person_id: str, body: IdentityCreate, _who: OwnerOnly, container: ContainerDep, _key: IdempotencyKey = None
) -> KycPublic:
    return _kyc(container.identity.kyc.verify_identity(person_id, body.name, body.id_number, body.birth_date))


@router.post("/people/{person_id}/bank-cards", status_code=status.HTTP_201_CREATED, response_model=BankCardPublic)
def bind_bank_card(
    person_id: str, body: BankCardCreate, _who: OwnerOnly, container: ContainerDep, _key: IdempotencyKey = None
) -> BankCardPublic:
    return _card(container.identity.kyc.bind_bank_card(person_id, body.card_number, body.phone))


@router.get("/people/{person_id}/bank-cards", response_model=list[BankCardPublic])
def bank_cards(person_id: str, _who: OwnerOrPersonReader, container: ContainerDep) -> list[BankCardPublic]:
    return [_card(c) for c in container.identity.kyc.bank_cards(person_id)]


@router.post("/people/{person_id}/certificates", status_code=status.HTTP_201_CREATED, response_model=CertificatePublic)
def upload_certificate(
    person_id: str,
    kind: Annotated[str, Form(description="salary_flow, social_security, housing_fund, property, vehicle, deposit")],
    amount: Annotated[str, Form(description="declared monthly income (income records) or value (assets)")],
    file: Annotated[UploadFile, File(description=f"PDF, JPEG or PNG, at most {MAX_CERTIFICATE_BYTES} bytes")],
    _who: OwnerOnly,
    container: ContainerDep,
    _key: IdempotencyKey = None,
) -> CertificatePublic:
    # Read one byte past the cap: enough to refuse, never the whole of a huge upload.
    content = file.file.read(MAX_CERTIFICATE_BYTES + 1)
    cert = container.identity.certificates.upload(
        person_id,
        kind,
        Money.parse(amount, container.profile.currency),
        content,
        claimed_type=file.content_type,
        filename=file.filename,
    )
    return _certificate(cert)


@router.get("/people/{person_id}/certificates", response_model=list[CertificatePublic])
def certificates(person_id: str, _who: OwnerOrPersonReader, container: ContainerDep) -> list[CertificatePublic]:
    return [_certificate(c) for c in container.identity.certificates.list_for(person_id)]


@router.get("/people/{person_id}/certificates/{certificate_id}", response_model=CertificatePublic)
def certificate(
    person_id: str, certificate_id: str, _who: OwnerOrPersonReader, container: ContainerDep
) -> CertificatePublic:
    return _certificate(container.identity.certificates.get(person_id, certificate_id))


@router.get(
    "/people/{person_id}/certificates/{certificate_id}/file",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}, "image/jpeg": {}, "image/png": {}}}},
)
def certificate_file(person_id: str, certificate_id: str, _who: OwnerOrReviewer, container: ContainerDep) -> Response:
    found = container.identity.certificates.file(person_id, certificate_id)
    return Response(
        found.content, media_type=found.content_type, headers=served_headers(certificate_id, found.content_type)
    )


@router.post("/people/{person_id}/certificates/{certificate_id}/review", response_model=CertificatePublic)
def review_certificate(
    person_id: str,
    certificate_id: str,
    body: Review,
    reviewer: Reviewer,
    container: ContainerDep,
    _key: IdempotencyKey = None,
) -> CertificatePublic:
    cert = container.identity.certificates.review(
        person_id,
        certificate_id,
        approve=body.decision == "approve",
        reason=body.reason,
        reviewer_id=reviewer.subject_id,
    )
    return _certificate(cert)


@router.get("/certificates", response_model=list[CertificatePublic])
def certificate_queue(
    _who: Reviewer,
    container: ContainerDep,
    state: Annotated[Literal["pending", "approved", "rejected"], Query(alias="status")] = "pending",
) -> list[CertificatePublic]:
    return [_certificate(c) for c in container.identity.certificates.queue(CertificateStatus(state))]


@router.post("/people/{person_id}/consents", status_code=status.HTTP_201_CREATED, response_model=ConsentPublic)
def give_consent(
    person_id: str, body: ConsentCreate, _who: OwnerOnly, container: ContainerDep, _key: IdempotencyKey = None
) -> ConsentPublic:
    return _consent(container.identity.consents.give(person_id, body.purpose, body.text_version, body.institution))


@router.get("/people/{person_id}/consents", response_model=list[ConsentPublic])
def consents(person_id: str, _who: OwnerOrPersonReader, container: ContainerDep) -> list[ConsentPublic]:
    return [_consent(c) for c in container.identity.consents.list_for(person_id)]


@router.post("/people/{person_id}/consents/{consent_id}/revoke", response_model=ConsentPublic)
def revoke_consent(
    person_id: str, consent_id: str, _who: OwnerOnly, container: ContainerDep, _key: IdempotencyKey = None
) -> ConsentPublic:
    return _consent(container.identity.consents.revoke(person_id, consent_id))


# ---- operators ------------------------------------------------------------------------


@router.post("/people/{person_id}/unmasked", response_model=UnmaskedPublic)
def unmasked(
    person_id: str, body: UnmaskRequest, operator: Unmasker, container: ContainerDep, _key: IdempotencyKey = None
) -> UnmaskedPublic:
    """Personal data in clear, for a stated purpose; the view is written to the audit log."""
    view = container.identity.unmasked(operator, person_id, body.purpose)
    return UnmaskedPublic(
        person_id=view.person_id,
        name=view.name,
        phone=view.phone_e164,
        id_number=view.id_number,
        bank_cards=list(view.bank_cards),
    )


@router.get("/audit-log", response_model=list[AuditPublic])
def audit_log(
    _who: AuditReader, container: ContainerDep, person_id: Annotated[str | None, Query(max_length=40)] = None
) -> list[AuditPublic]:
    return [
        AuditPublic(
            actor_id=e.actor_id,
            actor_role=e.actor_role,
            person_id=e.person_id,
            fields=e.fields,
            purpose=e.purpose,
            at=e.at,
        )
        for e in container.identity.audit.entries(person_id)
    ]


@router.post("/operators", status_code=status.HTTP_201_CREATED, response_model=OperatorCreated)
def create_operator(
    body: OperatorCreate, _admin: OperatorAdmin, container: ContainerDep, _key: IdempotencyKey = None
) -> OperatorCreated:
    made = container.identity.accounts.create_operator(body.username, body.password, Role(body.role))
    return OperatorCreated(
        operator=_operator(made.operator),
        totp_secret=made.totp_secret,
        provisioning_uri=made.provisioning_uri,
    )


@router.get("/operators", response_model=list[OperatorPublic])
def operators(_admin: OperatorAdmin, container: ContainerDep) -> list[OperatorPublic]:
    return [_operator(o) for o in container.identity.accounts.operators()]


def _operator(operator: Operator) -> OperatorPublic:
    return OperatorPublic(
        operator_id=operator.operator_id,
        username=operator.username,
        role=operator.role.value,
        active=operator.active,
    )


@router.post("/operators/{operator_id}/disable", response_model=OperatorPublic)
def disable_operator(
    operator_id: str, admin: OperatorAdmin, container: ContainerDep, _key: IdempotencyKey = None
) -> OperatorPublic:
    """Refuse the operator's log-ins and end every session they have now."""
    return _operator(container.identity.accounts.disable_operator(operator_id, admin))


@router.post("/operators/{operator_id}/sessions/revoke", response_model=SessionsRevokedPublic)
def revoke_operator_sessions(
    operator_id: str, admin: OperatorAdmin, container: ContainerDep, _key: IdempotencyKey = None
) -> SessionsRevokedPublic:
    """End every session the operator has now; they may log in again."""
    container.identity.accounts.operator(operator_id)  # 404 operator_not_found for anyone else's id
    done = container.identity.sessions.revoke_all(operator_id, admin)
    return SessionsRevokedPublic(subject_id=done.subject_id, revoked_at=done.revoked_at)


# ---- development only (included by create_app outside production) --------------------


@dev_router.get("/dev/one-time-codes", response_model=list[DevCodePublic])
def dev_codes(
    request: Request, container: ContainerDep, phone: Annotated[str | None, Query(max_length=32)] = None
) -> list[DevCodePublic]:
    """The codes the development message sender 'sent', newest first (optionally for one number).

    Development and test only, and only to a client on this machine: a request from another
    address, or one a proxy forwarded, is refused (403 dev_codes_loopback_only). A live code
    signs anyone in as its number's owner.
    """
    ensure_loopback(request)
    sent = getattr(container.identity.sender, "sent", None)
    messages = sent() if callable(sent) else []
    if phone:
        e164 = container.identity.otp.phone(phone).e164
        messages = [m for m in messages if m.phone_e164 == e164]
    return [
        DevCodePublic(masked_phone=m.masked_phone, code=m.code, purpose=m.purpose, sent_at=m.sent_at) for m in messages
    ]
