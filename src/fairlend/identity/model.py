"""Who is acting: roles and the authenticated principal."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Role(enum.StrEnum):
    BORROWER = "borrower"
    INVESTOR = "investor"
    UNDERWRITER = "underwriter"
    COLLECTOR = "collector"
    COMPLIANCE = "compliance"
    ADMIN = "admin"

    @property
    def is_operator(self) -> bool:
        return self in OPERATOR_ROLES


OPERATOR_ROLES = frozenset({Role.UNDERWRITER, Role.COLLECTOR, Role.COMPLIANCE, Role.ADMIN})


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: a person's or operator's id and role."""

    subject_id: str  # brw_…, inv_… or op_…
    role: Role

    @property
    def is_operator(self) -> bool:
        return self.role.is_operator
