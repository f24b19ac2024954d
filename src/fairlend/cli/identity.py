"""`fairlend users ...`: operator accounts, starting with the first admin, and ending sessions."""

from __future__ import annotations

from typing import Annotated

import typer

from fairlend.identity.model import OPERATOR_ROLES, Role

app = typer.Typer(help="Operator accounts.", no_args_is_help=True)

ROLE_NAMES = ", ".join(sorted(r.value for r in OPERATOR_ROLES))


@app.command("create-operator")
def create_operator(
    role: Annotated[str, typer.Option(help=f"One of: {ROLE_NAMES}.")],
    username: Annotated[str, typer.Option(help="Log-in name: 3-60 of a-z, 0-9, '.', '_', '-'.")],
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            envvar="FAIRLEND_OPERATOR_PASSWORD",
            help="At least 12 characters; prompted for when not given (or FAIRLEND_OPERATOR_PASSWORD).",
        ),
    ],
) -> None:
    """Create an operator and print the TOTP secret to enrol an authenticator app (shown once)."""
    from fairlend.cli import UsageError, open_container, out

    if role not in {r.value for r in OPERATOR_ROLES}:
        raise UsageError("invalid_role", f"{role!r} is not an operator role")
    container = open_container(upgrade=container_is_sqlite())
    try:
        made = container.identity.accounts.create_operator(username, password, Role(role))
    finally:
        container.close()
    out.print(f"created {made.operator.role.value} {made.operator.username} ({made.operator.operator_id})")
    out.print(f"TOTP secret (shown once): {made.totp_secret}", markup=False, highlight=False)
    out.print(f"authenticator URI: {made.provisioning_uri}", markup=False, highlight=False)


def container_is_sqlite() -> bool:
    """The embedded database is migrated on first use, as `fairlend serve` does."""
    from fairlend.cli import load_settings

    return load_settings().is_sqlite


@app.command("revoke-sessions")
def revoke_sessions(
    subject_id: Annotated[str, typer.Argument(help="The person (brw_…, inv_…) or operator (op_…) whose sessions end.")],
) -> None:
    """End every session of a person or operator now (tokens and web log-ins); they may log in again."""
    from fairlend.cli import open_container, out

    container = open_container()
    try:
        done = container.identity.sessions.revoke_all(subject_id)
    finally:
        container.close()
    out.print(f"revoked every session of {done.subject_id} issued up to {done.revoked_at.isoformat()}")


@app.command("rotate-pii-keys")
def rotate_pii_keys() -> None:
    """Re-encrypt personal data still under an older key with the first key of FAIRLEND_PII_KEYS."""
    from fairlend.cli import open_container, out

    container = open_container()
    try:
        rewritten = container.identity.maintenance.rotate()
        if container.collections is not None:
            # What collections keeps about people is sealed by the same vault, in collections' own tables.
            rewritten += container.collections.service.reseal()
        if container.bureau is not None:
            # The bureau's keys derive from the same FAIRLEND_PII_KEYS: its files and disputes move with them.
            rewritten += container.bureau.rotate_keys()
        # Hardship evidence files are sealed by the same vault, in hardship's own table.
        rewritten += container.hardship.evidence.reseal()
        # Stored API answers (an unmasked view, a credit report) are sealed with the same keys.
        rewritten += container.idempotency.rotate()
        # The kept Metro 2 files (names and SSNs) are sealed with the same keys.
        rewritten += container.metro2.reseal()
    finally:
        container.close()
    out.print(f"re-encrypted {rewritten} values under key {container.identity.vault.current_key_id}")
