"""P-8, a person is a number: who an attempt reaches, whatever entry it was made under.

The caps, "once" and the quiet days follow the keyed number wherever it appears,
and an entry carrying one of the debtor's own numbers is the debtor.
"""

from __future__ import annotations

from fairlend.collections.model import Attempt, PriorAttempt, RecipientKind, Situation


def is_debtor(kind: RecipientKind, number_key: str, debtor_keys: frozenset[str]) -> bool:
    return kind is RecipientKind.DEBTOR or (bool(number_key) and number_key in debtor_keys)


def same_person(prior: PriorAttempt, attempt: Attempt, debtor_keys: frozenset[str]) -> bool:
    """P-8: a number is one person wherever it appears, and the debtor is one person whatever the entry.

    So calls to a number count for whoever is reached on it now, even if it was the
    debtor's before; and calls to the debtor count whichever of their numbers was used.
    """
    if prior.number_key and prior.number_key == attempt.number_key:
        return True
    prior_debtor = is_debtor(prior.recipient_kind, prior.number_key, debtor_keys)
    attempt_debtor = is_debtor(attempt.recipient_kind, attempt.number_key, debtor_keys)
    if prior_debtor or attempt_debtor:
        return prior_debtor and attempt_debtor
    if prior.number_key and attempt.number_key:
        return False
    return prior.recipient_id == attempt.recipient_id


def reaches_debtor(attempt: Attempt, situation: Situation) -> bool:
    """The person this attempt reaches is the debtor: as the debtor, or on one of the debtor's numbers."""
    return is_debtor(attempt.recipient_kind, attempt.number_key, situation.debtor_keys)
