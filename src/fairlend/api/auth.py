"""Authentication and authorization for the API, in one place.

Routes declare what they need (`Authenticated`, `require_roles(...)`) and call
`ensure_can_read_owned(...)` for a borrower's or investor's resource; no route
decides access by itself. Tokens are checked by the `Authenticator` port that
bootstrap wires (identity's token service).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, NamedTuple, Protocol

from fastapi import Depends, Request

from fairlend.api.deps import get_container
from fairlend.api.reads import ReadRunner, read_runner
from fairlend.bootstrap import Container
from fairlend.errors import Forbidden, Unauthorized
from fairlend.identity.model import Principal, Role


class Authenticator(Protocol):
    def authenticate(self, token: str) -> Principal | None:
        """The principal a bearer token stands for, or None if it is not valid."""
        ...

    # The check's argument is the caller's open database connection (the API itself imports no SQL).
    def pending(self, token: str) -> Callable[[Any], Principal | None] | None:
        """`authenticate` without its read: None for a forged or expired token, else the check that
        reads the revocations on the caller's connection (the principal, or None once revoked)."""
        ...


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("not_authenticated", "send a bearer token in the Authorization header")
    return token.strip()


def principal_for(container: object, token: str) -> Principal | None:
    """Who a bearer token stands for now (None: forged, expired, revoked, or no authenticator wired)."""
    authenticator: Authenticator | None = getattr(container, "authenticator", None)
    return authenticator.authenticate(token) if authenticator and token else None


def _pending(container: object, token: str) -> Callable[[Any], Principal | None] | None:
    """The authenticator's check of a token whose signature and expiry hold (None: they fail, or none wired)."""
    authenticator: Authenticator | None = getattr(container, "authenticator", None)
    return authenticator.pending(token) if authenticator and token else None


def _checked(request: Request, token: str) -> tuple[bool, Principal | None]:
    checked: tuple[str, Principal | None] | None = getattr(request.state, "bearer_principal", None)
    if checked is not None and checked[0] == token:
        return True, checked[1]
    return False, None


def bearer_principal(request: Request, token: str) -> Principal | None:
    """`principal_for` the request's bearer token, looked up once per request.

    A mutating call asks twice, for its Idempotency-Key's owner and for the route's access: one
    read of the revocations answers both, so both see the same answer however a revocation
    races the request.
    """
    known, principal = _checked(request, token)
    if not known:
        principal = principal_for(get_container(request), token)
        request.state.bearer_principal = (token, principal)
    return principal


def bearer_owner(request: Request, token: str) -> Callable[[Any], Principal | None] | None:
    """`bearer_principal` split for an Idempotency-Key's claim: None at once for a forged or expired
    token (no I/O), else the check that reads the revocations on the claim's own connection, as the
    first statement of its transaction, and records the answer for the route's `Authenticated` (one
    read of the revocations answers both, as `bearer_principal` does)."""
    known, principal = _checked(request, token)
    if known:
        return None if principal is None else (lambda _conn: principal)
    check = _pending(get_container(request), token)
    if check is None:
        request.state.bearer_principal = (token, None)
        return None

    def confirmed(conn: Any) -> Principal | None:
        found = check(conn)
        request.state.bearer_principal = (token, found)
        return found

    return confirmed


async def current_principal(request: Request) -> Principal:
    token = _bearer(request)
    known, principal = _checked(request, token)
    if not known:  # the revocation read runs where reads run (api/reads.py); an answer known already reads nothing
        principal = await read_runner(request)(bearer_principal, request, token)
    if principal is None:
        raise Unauthorized("invalid_token", "the bearer token is not valid, has expired or was revoked")
    return principal


Authenticated = Annotated[Principal, Depends(current_principal)]


class BearerCheck:
    """A bearer token whose signature and expiry hold, its revocation still to be read.

    For the busiest reads: the route passes `confirm` to its service call, which runs it as the
    first statement of the read's own transaction, so a request is one read transaction, not
    authentication's and the route's (docs/performance.md, "Sixth pass"). The revocation is
    read from the database on every request as `Authenticated` reads it: a token revoked by any
    process is refused on its next request. Until `confirm` has run, `principal` raises: a route
    that forgot to pass it fails loudly (500), it never acts for an unconfirmed token.
    """

    __slots__ = ("_check", "_principal")

    def __init__(self, check: Callable[[Any], Principal | None]) -> None:
        self._check = check
        self._principal: Principal | None = None

    def confirm(self, conn: Any) -> None:
        principal = self._check(conn)
        if principal is None:
            raise Unauthorized("invalid_token", "the bearer token is not valid, has expired or was revoked")
        self._principal = principal

    @property
    def principal(self) -> Principal:
        if self._principal is None:
            raise RuntimeError("the bearer token's revocation was never read: pass `confirm` to the route's read")
        return self._principal


def bearer_check_of(container: object, request: Request) -> BearerCheck:
    """The request's bearer token, its signature and expiry checked (no I/O); 401 `invalid_token` if either fails."""
    check = _pending(container, _bearer(request))
    if check is None:
        raise Unauthorized("invalid_token", "the bearer token is not valid, has expired or was revoked")
    return BearerCheck(check)


class HotRead(NamedTuple):
    """What a hot read route needs, from one plain call (`hot_read`) instead of a chain of `Depends`."""

    container: Container
    bearer: BearerCheck
    read: ReadRunner


def hot_read(request: Request) -> HotRead:
    """The container, the bearer token's check (`BearerCheck`, its revocation read in the route's own
    read transaction) and the read runner (`Reads`'s), in one call.

    FastAPI resolves each `Depends` of a route per request (solving, caching and calling each one,
    then validating the route's arguments): for the busiest read that was ~16 % of its samples
    (docs/performance.md, "Seventh pass"), several times the work the dependencies do. A route
    taking the `Request` and calling this gets the same checks with the same answers (a missing,
    garbled or expired token: the same 401 problem) and leaves nothing to resolve but its path.
    The OpenAPI document is the same: these dependencies declare no parameter of their own.
    """
    container = get_container(request)
    return HotRead(container, bearer_check_of(container, request), read_runner(request))


async def presented_token(request: Request, _principal: Authenticated) -> str:
    """The bearer token itself, once it has authenticated (log-out revokes exactly this one)."""
    return _bearer(request)


BearerToken = Annotated[str, Depends(presented_token)]


def require_roles(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    allowed = frozenset(roles)

    async def check(principal: Authenticated) -> Principal:  # no I/O: kept off the thread pool
        if principal.role not in allowed:
            raise Forbidden("role_not_allowed", f"this needs one of: {', '.join(sorted(allowed))}")
        return principal

    return check


# ---- who may do what: the policy table every route refers to ----------------

# Operators who may read a person's identity records (masked) and certificates.
PERSON_READERS = frozenset({Role.UNDERWRITER, Role.COMPLIANCE, Role.ADMIN})
# Operators who review asset certificates and may open their files.
CERTIFICATE_REVIEWERS = frozenset({Role.UNDERWRITER, Role.ADMIN})
# Operators who may see personal data in clear (each view is audit-logged).
UNMASKERS = frozenset({Role.UNDERWRITER, Role.COMPLIANCE, Role.ADMIN})
# Operators who read the personal-data audit log.
AUDIT_READERS = frozenset({Role.COMPLIANCE, Role.ADMIN})
# Operators who manage operator accounts.
OPERATOR_ADMINS = frozenset({Role.ADMIN})
NOBODY: frozenset[Role] = frozenset()
# Operators who look loans up in the console (the lending API's `Operator`).
LOAN_OFFICERS = frozenset({Role.UNDERWRITER, Role.ADMIN})
# Operators who decide referred applications.
UNDERWRITERS = frozenset({Role.UNDERWRITER, Role.ADMIN})
# Operators who read end-of-day runs.
EOD_READERS = frozenset({Role.ADMIN})
# Who may run a failed end-of-day partition again (it moves money: accrual, fees, the journal).
EOD_RUNNERS = frozenset({Role.ADMIN})
# Operators who read the compliance statistics (blocked attempts, complaint clocks).
COMPLIANCE_READERS = frozenset({Role.COMPLIANCE, Role.ADMIN})
# Operators who read a borrower's collection records (contact log, cease requests, contact
# persons): collections work them, compliance audits them; underwriters have no need to know
# who a borrower named as a contact person.
COLLECTIONS_READERS = frozenset({Role.COLLECTOR, Role.COMPLIANCE, Role.ADMIN})
# Operators who work the collections queue: contact attempts (always through the gateway), call
# outcomes and promises to pay. Compliance audits their work and never does it.
COLLECTORS = frozenset({Role.COLLECTOR, Role.ADMIN})
# Operators who answer hardship requests: propose terms, approve another's proposal, decline.
HARDSHIP_OFFICERS = frozenset({Role.UNDERWRITER, Role.COLLECTOR, Role.ADMIN})
# ... and who read the queue and a borrower's requests and plans (compliance audits the clocks).
HARDSHIP_READERS = frozenset({Role.UNDERWRITER, Role.COLLECTOR, Role.COMPLIANCE, Role.ADMIN})
# Operators who read the books and close them (statements, provisions, the period close, exports).
# Finance alone, not admin: who administers the operator accounts does not also close the books
# (segregation of duties); reopening a month takes a second finance operator (four eyes).
FINANCE_OFFICERS = frozenset({Role.FINANCE})
# Operators who read the portfolio's analytics (vintages, losses, blocked attempts by collector): the
# people who answer for the book's risk and conduct. Not collectors: the page ranks collectors.
ANALYSTS = frozenset({Role.UNDERWRITER, Role.COMPLIANCE, Role.FINANCE, Role.ADMIN})


def owner_or(roles: frozenset[Role], param: str = "person_id") -> Callable[[Request, Principal], Awaitable[Principal]]:
    """The resource's owner (named by the `param` path parameter), or an operator in `roles`."""

    async def check(request: Request, principal: Authenticated) -> Principal:  # no I/O: kept off the thread pool
        ensure_can_read_owned(principal, request.path_params.get(param, ""), operator_roles=roles)
        return principal

    return check


# A person acting on their own records: nobody else, operators included.
OwnerOnly = Annotated[Principal, Depends(owner_or(NOBODY))]
# A person's records as their owner or an operator who may read them.
OwnerOrPersonReader = Annotated[Principal, Depends(owner_or(PERSON_READERS))]
OwnerOrReviewer = Annotated[Principal, Depends(owner_or(CERTIFICATE_REVIEWERS))]
Reviewer = Annotated[Principal, Depends(require_roles(*CERTIFICATE_REVIEWERS))]
Unmasker = Annotated[Principal, Depends(require_roles(*UNMASKERS))]
AuditReader = Annotated[Principal, Depends(require_roles(*AUDIT_READERS))]
OperatorAdmin = Annotated[Principal, Depends(require_roles(*OPERATOR_ADMINS))]
Collector = Annotated[Principal, Depends(require_roles(*COLLECTORS))]


def ensure_can_read_owned(
    principal: Principal, owner_id: str, *, operator_roles: frozenset[Role] | None = None
) -> None:
    """A person sees only their own resources; operators by role."""
    if principal.subject_id == owner_id:
        return
    allowed = operator_roles if operator_roles is not None else frozenset(Role) - {Role.BORROWER, Role.INVESTOR}
    if principal.role in allowed:
        return
    raise Forbidden("not_yours", "this resource belongs to someone else")
