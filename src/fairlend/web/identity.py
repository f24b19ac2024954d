"""Identity's pages: sign-up and log-in by one-time code, KYC, asset certificates,
operator log-in and certificate review, the audit log (identity_audit.py), and the
development code page."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from fairlend.api.auth import CERTIFICATE_REVIEWERS, ensure_can_read_owned
from fairlend.api.deps import ContainerDep, client_of, ensure_loopback
from fairlend.bootstrap import Container
from fairlend.errors import DomainError, Invalid
from fairlend.identity.certificates import served_headers
from fairlend.identity.checks import MAX_CERTIFICATE_BYTES
from fairlend.identity.model import CertificateKind, KycLevel, OtpPurpose, Principal, Role
from fairlend.money import Money
from fairlend.web import identity_audit, session
from fairlend.web.rendering import (
    Csrf,
    borrower,
    check_csrf,
    error_text,
    operator,
    person,
    redirect,
    render,
    require,
)

router = APIRouter(include_in_schema=False)
dev_router = APIRouter(include_in_schema=False)
router.include_router(identity_audit.router)  # the audit log page and its CSV, in their own module


# ---- home and people's sign-up / log-in ----------------------------------------------


@router.get("/", response_class=HTMLResponse)
def home(request: Request, container: ContainerDep) -> HTMLResponse:
    return render(request, container, "home.html", denied=bool(request.query_params.get("denied")))


def _auth_page(request: Request, container: Container, mode: str, **context: Any) -> HTMLResponse:
    role = request.query_params.get("role", context.pop("role", "borrower"))
    role = role if role in ("borrower", "investor") else "borrower"
    return render(request, container, "identity/auth.html", mode=mode, role=role, **context)


@router.get("/signup", response_class=HTMLResponse)
def signup_page(request: Request, container: ContainerDep) -> HTMLResponse:
    return _auth_page(request, container, "sign_up")


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, container: ContainerDep) -> HTMLResponse:
    return _auth_page(request, container, "log_in")


def _send(request: Request, container: Container, mode: str, phone: str, role: str, csrf: str | None) -> HTMLResponse:
    check_csrf(request, csrf)
    try:
        sent = container.identity.otp.send_code(phone, OtpPurpose(mode), client=client_of(request))
    except DomainError as exc:
        return _auth_page(request, container, mode, role=role, phone=phone, error=error_text(request, container, exc))
    return _auth_page(request, container, mode, role=role, phone=phone, sent_to=sent.masked_phone)


def _finish(
    request: Request, container: Container, mode: str, phone: str, code: str, role: str, csrf: str | None
) -> Response:
    check_csrf(request, csrf)
    try:
        accounts = container.identity.accounts
        who = accounts.sign_up(phone, code, role) if mode == "sign_up" else accounts.log_in(phone, code, role)
    except DomainError as exc:
        sent_to = container.identity.otp.phone(phone).masked if exc.code.startswith("code_wrong") else None
        return _auth_page(
            request, container, mode, role=role, phone=phone, sent_to=sent_to, error=error_text(request, container, exc)
        )
    response = redirect("/borrower" if who.role is Role.BORROWER else "/investor")
    session.start(response, container, who)
    return response


@router.post("/signup/code", response_class=HTMLResponse)
def signup_code(
    request: Request,
    container: ContainerDep,
    phone: Annotated[str, Form()],
    role: Annotated[str, Form()],
    csrf: Csrf = None,
) -> HTMLResponse:
    return _send(request, container, "sign_up", phone, role, csrf)


@router.post("/signup")
def signup(
    request: Request,
    container: ContainerDep,
    phone: Annotated[str, Form()],
    code: Annotated[str, Form()],
    role: Annotated[str, Form()],
    csrf: Csrf = None,
) -> Response:
    return _finish(request, container, "sign_up", phone, code, role, csrf)


@router.post("/login/code", response_class=HTMLResponse)
def login_code(
    request: Request,
    container: ContainerDep,
    phone: Annotated[str, Form()],
    role: Annotated[str, Form()],
    csrf: Csrf = None,
) -> HTMLResponse:
    return _send(request, container, "log_in", phone, role, csrf)


@router.post("/login")
def login(
    request: Request,
    container: ContainerDep,
    phone: Annotated[str, Form()],
    code: Annotated[str, Form()],
    role: Annotated[str, Form()],
    csrf: Csrf = None,
) -> Response:
    return _finish(request, container, "log_in", phone, code, role, csrf)


@router.post("/logout")
def logout(request: Request, container: ContainerDep, csrf: Csrf = None) -> Response:
    check_csrf(request, csrf)
    response = redirect("/")
    session.end(request, response, container)
    return response


# ---- borrower and investor portals ------------------------------------------------------


@router.get("/borrower", response_class=HTMLResponse)
def borrower_home(request: Request, container: ContainerDep) -> HTMLResponse:
    who = borrower(request, container)
    return _portal(request, container, who)


@router.get("/investor", response_class=HTMLResponse)
def investor_home(request: Request, container: ContainerDep) -> HTMLResponse:
    who = require(request, container, lambda p: p.role is Role.INVESTOR, "/login?role=investor")
    return _portal(request, container, who)


def _portal(request: Request, container: Container, who: Principal) -> HTMLResponse:
    facts = container.identity.person(who.subject_id)
    return render(
        request,
        container,
        "identity/portal.html",
        facts=facts,
        levels=container.identity.kyc_levels(who.subject_id),
        all_levels=list(KycLevel),
    )


def _kyc_page(request: Request, container: Container, who: Principal, **context: Any) -> HTMLResponse:
    return render(
        request,
        container,
        "identity/kyc.html",
        facts=container.identity.person(who.subject_id),
        levels=container.identity.kyc_levels(who.subject_id),
        cards=container.identity.kyc.bank_cards(who.subject_id),
        **context,
    )


@router.get("/borrower/kyc", response_class=HTMLResponse)
def kyc_page(request: Request, container: ContainerDep) -> HTMLResponse:
    return _kyc_page(request, container, person(request, container))


@router.post("/borrower/kyc/identity", response_class=HTMLResponse)
def kyc_identity(
    request: Request,
    container: ContainerDep,
    name: Annotated[str, Form()],
    id_number: Annotated[str, Form()],
    birth_date: Annotated[str, Form()],
    csrf: Csrf = None,
) -> Response:
    who = person(request, container)
    check_csrf(request, csrf)
    try:
        born = _parse_date(birth_date)
        container.identity.kyc.verify_identity(who.subject_id, name, id_number, born)
    except DomainError as exc:
        return _kyc_page(request, container, who, error=error_text(request, container, exc), status_code=422)
    return redirect("/borrower/kyc")


@router.post("/borrower/kyc/bank-card", response_class=HTMLResponse)
def kyc_bank_card(
    request: Request, container: ContainerDep, card_number: Annotated[str, Form()], csrf: Csrf = None
) -> Response:
    who = person(request, container)
    check_csrf(request, csrf)
    try:
        container.identity.kyc.bind_bank_card(who.subject_id, card_number)
    except DomainError as exc:
        return _kyc_page(request, container, who, error=error_text(request, container, exc), status_code=422)
    return redirect("/borrower/kyc")


def _parse_date(raw: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise Invalid("invalid_birth_date", "give the birth date as YYYY-MM-DD") from None


def _certificates_page(request: Request, container: Container, who: Principal, **context: Any) -> HTMLResponse:
    return render(
        request,
        container,
        "identity/certificates.html",
        certificates=container.identity.certificates.list_for(who.subject_id),
        kinds=list(CertificateKind),
        max_mb=MAX_CERTIFICATE_BYTES // (1024 * 1024),
        **context,
    )


@router.get("/borrower/certificates", response_class=HTMLResponse)
def certificates_page(request: Request, container: ContainerDep) -> HTMLResponse:
    return _certificates_page(request, container, borrower(request, container))


@router.post("/borrower/certificates", response_class=HTMLResponse)
def upload_certificate(
    request: Request,
    container: ContainerDep,
    kind: Annotated[str, Form()],
    amount: Annotated[str, Form()],
    file: Annotated[UploadFile, File()],
    csrf: Csrf = None,
) -> Response:
    who = borrower(request, container)
    check_csrf(request, csrf)
    try:
        container.identity.certificates.upload(
            who.subject_id,
            kind,
            Money.parse(amount, container.profile.currency, grouping=True),
            file.file.read(MAX_CERTIFICATE_BYTES + 1),
            claimed_type=file.content_type,
            filename=file.filename,
        )
    except DomainError as exc:
        return _certificates_page(request, container, who, error=error_text(request, container, exc), status_code=422)
    return redirect("/borrower/certificates")


# ---- operator console ---------------------------------------------------------------------


@router.get("/operator/login", response_class=HTMLResponse)
def operator_login_page(request: Request, container: ContainerDep) -> HTMLResponse:
    return render(request, container, "identity/operator_login.html")


@router.post("/operator/login", response_class=HTMLResponse)
def operator_login(
    request: Request,
    container: ContainerDep,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    totp_code: Annotated[str, Form()],
    csrf: Csrf = None,
) -> Response:
    check_csrf(request, csrf)
    try:
        who = container.identity.accounts.operator_log_in(username, password, totp_code, client=client_of(request))
    except DomainError as exc:
        return render(
            request,
            container,
            "identity/operator_login.html",
            error=error_text(request, container, exc),
            username=username,
            status_code=401,
        )
    response = redirect("/operator")
    session.start(response, container, who)
    return response


@router.get("/operator", response_class=HTMLResponse)
def operator_home(request: Request, container: ContainerDep) -> HTMLResponse:
    who = operator(request, container)
    return render(request, container, "identity/operator_home.html", reviewer=who.role in CERTIFICATE_REVIEWERS)


@router.get("/operator/review", response_class=HTMLResponse)
def review_page(request: Request, container: ContainerDep) -> HTMLResponse:
    operator(request, container, CERTIFICATE_REVIEWERS)
    return render(request, container, "identity/review.html", queue=container.identity.certificates.queue())


@router.post("/operator/review/{person_id}/{certificate_id}", response_class=HTMLResponse)
def review(
    request: Request,
    container: ContainerDep,
    person_id: str,
    certificate_id: str,
    decision: Annotated[str, Form()],
    csrf: Csrf = None,
    reason: Annotated[str, Form()] = "",
) -> Response:
    who = operator(request, container, CERTIFICATE_REVIEWERS)
    check_csrf(request, csrf)
    try:
        container.identity.certificates.review(
            person_id, certificate_id, approve=decision == "approve", reason=reason, reviewer_id=who.subject_id
        )
    except DomainError as exc:
        return render(
            request,
            container,
            "identity/review.html",
            queue=container.identity.certificates.queue(),
            error=error_text(request, container, exc),
            status_code=422,
        )
    return redirect("/operator/review")


@router.get("/operator/certificates/{person_id}/{certificate_id}")
def certificate_file(request: Request, container: ContainerDep, person_id: str, certificate_id: str) -> Response:
    who = operator(request, container, CERTIFICATE_REVIEWERS)
    ensure_can_read_owned(who, person_id, operator_roles=CERTIFICATE_REVIEWERS)
    found = container.identity.certificates.file(person_id, certificate_id)
    return Response(
        found.content, media_type=found.content_type, headers=served_headers(certificate_id, found.content_type)
    )


# ---- development only -----------------------------------------------------------------------


@dev_router.get("/dev/codes", response_class=HTMLResponse)
def dev_codes(request: Request, container: ContainerDep) -> HTMLResponse:
    ensure_loopback(request)  # live codes, for this machine only (a 403 page elsewhere)
    sent = getattr(container.identity.sender, "sent", None)
    return render(request, container, "identity/dev_codes.html", messages=sent() if callable(sent) else [])
