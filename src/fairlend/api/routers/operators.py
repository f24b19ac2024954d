"""Operators over HTTP: their accounts and sessions, personal data in clear for a stated purpose,
and the audit log of every such view. Access is decided by the policies in api/auth.py."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from fairlend.api.auth import AuditReader, OperatorAdmin, Unmasker
from fairlend.api.deps import ContainerDep, IdempotencyKey
from fairlend.identity.model import Operator, Role

router = APIRouter(tags=["identity"])


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
