"""Identity over HTTP: one-time codes, tokens, a person's record, KYC, bank cards and consent
(certificates and operators have routers of their own). Access is decided by the policies in
api/auth.py, never here."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import BaseModel, BeforeValidator, Field
from pydantic_core import PydanticCustomError

from fairlend.api.amounts import CODE_CONTEXT
from fairlend.api.auth import (
    Authenticated,
    BearerToken,
    OwnerOnly,
    OwnerOrPersonReader,
)
from fairlend.api.deps import ClientAddress, ContainerDep, IdempotencyKey, ensure_loopback
from fairlend.identity.model import (
    BankCard,
    ConsentRecord,
    KycRecord,
    OtpPurpose,
    PersonFacts,
    Principal,
)

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
