"""The pauses: what the borrower opened about a loan holds collection back until it is answered.

Pure, like the rest of the policy (policy.py calls these; the dispatcher's
re-check of a stranded message calls them too, so a pause that began after
the decision still stops the message).

- P-3: an open credit-report dispute or complaint pauses collection contacts.
- P-10 (fairlend policy, docs/architecture.md "Rule ids"): the borrower's
  hardship request does the same while it is open; once a plan is in force
  and kept, the plan's reminders are the only messages about the loan (with
  what a request to stop everything still lets through: statements the law
  requires, answers to the borrower's own requests). A reminder of a plan
  payment when no plan is in force is refused too: it would tell of a plan
  the borrower no longer has (broken, ended) or never had.
"""

from __future__ import annotations

from fairlend.collections.model import HardshipState, Situation, Violation
from fairlend.jurisdiction.model import CollectionsProfile, TemplatePurpose

P_PAUSED = "P-3"
P_HARDSHIP = "P-10"

COLLECTION_PURPOSES = frozenset({TemplatePurpose.COLLECTION, TemplatePurpose.THIRD_PARTY})


def check_paused(situation: Situation, found: list[Violation]) -> None:
    if situation.open_dispute:
        found.append(Violation(P_PAUSED, "open_dispute", "a credit-report dispute about this loan is open"))
    if situation.open_complaint:
        found.append(Violation(P_PAUSED, "open_complaint", "a complaint about this loan is open"))


def check_hardship(
    situation: Situation, purpose: TemplatePurpose | None, rules: CollectionsProfile, found: list[Violation]
) -> None:
    """P-10, for every message about a loan (not only collection: a kept plan lets only its reminders through)."""
    state = situation.hardship
    if purpose is TemplatePurpose.PLAN_REMINDER:
        if state is not HardshipState.PLAN:
            found.append(Violation(P_HARDSHIP, "no_plan_in_force", "no hardship plan is in force on this loan"))
        return
    # Collection proper: a collector's own words (no purpose) or a collection or third-party template.
    if state is HardshipState.REQUEST and (purpose is None or purpose in COLLECTION_PURPOSES):
        found.append(
            Violation(P_HARDSHIP, "hardship_request_open", "the borrower's hardship request about this loan is open")
        )
    elif state is HardshipState.PLAN and (purpose is None or purpose not in rules.cease_exempt_purposes):
        # What survives a request to stop everything (P-6) survives a plan: the law's notices, answers.
        found.append(
            Violation(P_HARDSHIP, "hardship_plan_kept", "a hardship plan on this loan is kept: only its reminders go")
        )
