"""Page routes: thin like the API's, they parse a form, call one service, render.

Who may see a page is decided by the same policy sets as the API
(api/auth.py); a page never reads tables.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, select_autoescape

from fairlend.api.auth import CERTIFICATE_REVIEWERS, ensure_can_read_owned
from fairlend.api.deps import ContainerDep
from fairlend.api.routers.identity import parse_amount
from fairlend.bootstrap import Container
from fairlend.errors import DomainError
from fairlend.identity.checks import MAX_CERTIFICATE_BYTES
from fairlend.identity.model import OPERATOR_ROLES, CertificateKind, KycLevel, OtpPurpose, Principal, Role
from fairlend.web import i18n, session

router = APIRouter(include_in_schema=False)
dev_router = APIRouter(include_in_schema=False)

_environment = Environment(loader=PackageLoader("fairlend.web", "templates"), autoescape=select_autoescape())
templates = Jinja2Templates(env=_environment)


class PageRedirect(Exception):
    """Raised by a page that needs someone signed in (or someone else)."""

    def __init__(self, location: str) -> None:
        self.location = location


def _locale(request: Request, container: Container) -> str:
    return (
        i18n.normalise(request.query_params.get("lang"))
        or i18n.normalise(request.cookies.get(i18n.COOKIE))
        or i18n.from_accept_language(request.headers.get("accept-language", ""))
        or i18n.normalise(container.profile.locale)
        or i18n.DEFAULT
    )


def render(
    request: Request, container: Container, template: str, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    locale = _locale(request, container)
    t = i18n.Translator(locale)
    who = session.principal(request, container)
    response = templates.TemplateResponse(
        request,
        template,
        {
            "t": t,
            "locale": locale,
            "locales": i18n.LOCALES,
            "who": who,
            "csrf_field": session.CSRF_FIELD,
            "csrf_token": session.csrf_token(request),
            "dev": container.settings.environment != "production",
            **context,
        },
        status_code=status_code,
    )
    if request.query_params.get("lang") and i18n.normalise(request.query_params.get("lang")):
        response.set_cookie(i18n.COOKIE, locale, max_age=365 * 86400, samesite="lax", path="/")
    session.remember_csrf(request, response, container)
    return response


def error_text(request: Request, container: Container, exc: DomainError) -> str:
    t = i18n.Translator(_locale(request, container))
    key = f"error.{exc.code}"
    return t(key) if t.has(key) else exc.detail


def _require(request: Request, container: Container, allowed: Callable[[Principal], bool], login: str) -> Principal:
    who = session.principal(request, container)
    if who is None:
        raise PageRedirect(login)
    if not allowed(who):
        raise PageRedirect("/?denied=1")
    return who


def borrower(request: Request, container: Container) -> Principal:
    return _require(request, container, lambda p: p.role is Role.BORROWER, "/login?role=borrower")


def person(request: Request, container: Container) -> Principal:
    return _require(request, container, lambda p: not p.is_operator, "/login")


def operator(request: Request, container: Container, roles: frozenset[Role] = OPERATOR_ROLES) -> Principal:
    return _require(request, container, lambda p: p.role in roles, "/operator/login")


def _check_csrf(request: Request, submitted: str | None) -> None:
    if not session.csrf_ok(request, submitted):
        raise PageRedirect("/?csrf=1")


def _redirect(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303)


Csrf = Annotated[str | None, Form(alias=session.CSRF_FIELD)]


# ---- home and people's sign-up / log-in ----------------------------------------------


@router.get("/", response_class=HTMLResponse)
def home(request: Request, container: ContainerDep) -> HTMLResponse:
    return render(request, container, "home.html", denied=bool(request.query_params.get("denied")))


def _auth_page(request: Request, container: Container, mode: str, **context: Any) -> HTMLResponse:
    role = request.query_params.get("role", context.pop("role", "borrower"))
    role = role if role in ("borrower", "investor") else "borrower"
    return render(request, container, "auth.html", mode=mode, role=role, **context)


@router.get("/signup", response_class=HTMLResponse)
def signup_page(request: Request, container: ContainerDep) -> HTMLResponse:
    return _auth_page(request, container, "sign_up")


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, container: ContainerDep) -> HTMLResponse:
    return _auth_page(request, container, "log_in")


def _send(request: Request, container: Container, mode: str, phone: str, role: str, csrf: str | None) -> HTMLResponse:
    _check_csrf(request, csrf)
    try:
        sent = container.identity.otp.send_code(phone, OtpPurpose(mode))
    except DomainError as exc:
        return _auth_page(request, container, mode, role=role, phone=phone, error=error_text(request, container, exc))
    return _auth_page(request, container, mode, role=role, phone=phone, sent_to=sent.masked_phone)


def _finish(
    request: Request, container: Container, mode: str, phone: str, code: str, role: str, csrf: str | None
) -> Response:
    _check_csrf(request, csrf)
    try:
        accounts = container.identity.accounts
        who = accounts.sign_up(phone, code, role) if mode == "sign_up" else accounts.log_in(phone, code, role)
    except DomainError as exc:
        sent_to = container.identity.otp.phone(phone).masked if exc.code.startswith("code_wrong") else None
        return _auth_page(
            request, container, mode, role=role, phone=phone, sent_to=sent_to, error=error_text(request, container, exc)
        )
    response = _redirect("/borrower" if who.role is Role.BORROWER else "/investor")
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
def logout(request: Request, csrf: Csrf = None) -> Response:
    _check_csrf(request, csrf)
    response = _redirect("/")
    session.end(response)
    return response


# ---- borrower and investor portals ------------------------------------------------------


@router.get("/borrower", response_class=HTMLResponse)
def borrower_home(request: Request, container: ContainerDep) -> HTMLResponse:
    who = borrower(request, container)
    return _portal(request, container, who)


@router.get("/investor", response_class=HTMLResponse)
def investor_home(request: Request, container: ContainerDep) -> HTMLResponse:
    who = _require(request, container, lambda p: p.role is Role.INVESTOR, "/login?role=investor")
    return _portal(request, container, who)


def _portal(request: Request, container: Container, who: Principal) -> HTMLResponse:
    facts = container.identity.person(who.subject_id)
    return render(
        request,
        container,
        "portal.html",
        facts=facts,
        levels=container.identity.kyc_levels(who.subject_id),
        all_levels=list(KycLevel),
    )


def _kyc_page(request: Request, container: Container, who: Principal, **context: Any) -> HTMLResponse:
    return render(
        request,
        container,
        "kyc.html",
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
    _check_csrf(request, csrf)
    try:
        born = _parse_date(birth_date)
        container.identity.kyc.verify_identity(who.subject_id, name, id_number, born)
    except DomainError as exc:
        return _kyc_page(request, container, who, error=error_text(request, container, exc), status_code=422)
    return _redirect("/borrower/kyc")


@router.post("/borrower/kyc/bank-card", response_class=HTMLResponse)
def kyc_bank_card(
    request: Request, container: ContainerDep, card_number: Annotated[str, Form()], csrf: Csrf = None
) -> Response:
    who = person(request, container)
    _check_csrf(request, csrf)
    try:
        container.identity.kyc.bind_bank_card(who.subject_id, card_number)
    except DomainError as exc:
        return _kyc_page(request, container, who, error=error_text(request, container, exc), status_code=422)
    return _redirect("/borrower/kyc")


def _parse_date(raw: str) -> date:
    from fairlend.errors import Invalid

    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise Invalid("invalid_birth_date", "give the birth date as YYYY-MM-DD") from None


def _certificates_page(request: Request, container: Container, who: Principal, **context: Any) -> HTMLResponse:
    return render(
        request,
        container,
        "certificates.html",
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
    _check_csrf(request, csrf)
    try:
        container.identity.certificates.upload(
            who.subject_id,
            kind,
            parse_amount(amount, container.profile.currency),
            file.file.read(MAX_CERTIFICATE_BYTES + 1),
            claimed_type=file.content_type,
            filename=file.filename,
        )
    except DomainError as exc:
        return _certificates_page(request, container, who, error=error_text(request, container, exc), status_code=422)
    return _redirect("/borrower/certificates")


# ---- operator console ---------------------------------------------------------------------


@router.get("/operator/login", response_class=HTMLResponse)
def operator_login_page(request: Request, container: ContainerDep) -> HTMLResponse:
    return render(request, container, "operator_login.html")


@router.post("/operator/login", response_class=HTMLResponse)
def operator_login(
    request: Request,
    container: ContainerDep,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    totp_code: Annotated[str, Form()],
    csrf: Csrf = None,
) -> Response:
    _check_csrf(request, csrf)
    try:
        who = container.identity.accounts.operator_log_in(username, password, totp_code)
    except DomainError as exc:
        return render(
            request,
            container,
            "operator_login.html",
            error=error_text(request, container, exc),
            username=username,
            status_code=401,
        )
    response = _redirect("/operator")
    session.start(response, container, who)
    return response


@router.get("/operator", response_class=HTMLResponse)
def operator_home(request: Request, container: ContainerDep) -> HTMLResponse:
    who = operator(request, container)
    return render(request, container, "operator_home.html", reviewer=who.role in CERTIFICATE_REVIEWERS)


@router.get("/operator/review", response_class=HTMLResponse)
def review_page(request: Request, container: ContainerDep) -> HTMLResponse:
    operator(request, container, CERTIFICATE_REVIEWERS)
    return render(request, container, "review.html", queue=container.identity.certificates.queue())


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
    _check_csrf(request, csrf)
    try:
        container.identity.certificates.review(
            person_id, certificate_id, approve=decision == "approve", reason=reason, reviewer_id=who.subject_id
        )
    except DomainError as exc:
        return render(
            request,
            container,
            "review.html",
            queue=container.identity.certificates.queue(),
            error=error_text(request, container, exc),
            status_code=422,
        )
    return _redirect("/operator/review")


@router.get("/operator/certificates/{person_id}/{certificate_id}")
def certificate_file(request: Request, container: ContainerDep, person_id: str, certificate_id: str) -> Response:
    who = operator(request, container, CERTIFICATE_REVIEWERS)
    ensure_can_read_owned(who, person_id, operator_roles=CERTIFICATE_REVIEWERS)
    found = container.identity.certificates.file(person_id, certificate_id)
    return Response(found.content, media_type=found.content_type, headers={"Cache-Control": "no-store"})


# ---- development only -----------------------------------------------------------------------


@dev_router.get("/dev/codes", response_class=HTMLResponse)
def dev_codes(request: Request, container: ContainerDep) -> HTMLResponse:
    sent = getattr(container.identity.sender, "sent", None)
    return render(request, container, "dev_codes.html", messages=sent() if callable(sent) else [])


def mount_web(app: FastAPI, container: Container) -> None:
    """The pages and their static files, all served from the package (no CDN)."""

    @app.exception_handler(PageRedirect)
    async def _redirect_to(request: Request, exc: PageRedirect) -> Response:
        return RedirectResponse(exc.location, status_code=303)

    app.include_router(router)
    if container.settings.environment != "production":
        app.include_router(dev_router)
    static = resources.files("fairlend.web").joinpath("static")
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
