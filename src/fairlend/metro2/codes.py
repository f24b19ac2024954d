"""Metro 2's code tables and the rules that pick a code (pure).

Each rule names its source: RULES.md (CR-2 status codes, CR-4 the payment
history profile, CR-5 the date of first delinquency) or the CRRG as
moov-io/metro2 implements it (constants.go, validators.go).
"""

from __future__ import annotations

from datetime import date

# CR-2: account status by days past due (below 30 days an account is still current, 11).
_BUCKETS = ((180, "84", "6"), (150, "83", "5"), (120, "82", "4"), (90, "80", "3"), (60, "78", "2"), (30, "71", "1"))
CURRENT, PAID, COLLECTION, CHARGED_OFF, DELETE = "11", "13", "93", "97", "DA"
DELINQUENT_STATUSES = frozenset(code for _, code, _ in _BUCKETS)
# The statuses fairlend furnishes and its bureau accepts (CR-2); DA deletes the account (CRRG).
STATUSES = frozenset({CURRENT, PAID, COLLECTION, CHARGED_OFF, DELETE, *DELINQUENT_STATUSES})
# The lower bound of each delinquent status's days past due, to read days back from a status.
STATUS_DAYS = {code: days for days, code, _ in _BUCKETS}
# CRRG: a payment rating is reported with status 05, 13, 65, 88, 89, 94 and 95 only; of those fairlend uses 13.
RATINGS = frozenset({"0", "1", "2", "3", "4", "5", "6", "G", "L"})
# CR-4: the profile's characters; B no history before the account opened, D no data for the month,
# E zero balance and current, L charged off.
PROFILE_CHARACTERS = frozenset({"0", "1", "2", "3", "4", "5", "6", "B", "D", "E", "G", "H", "J", "K", "L"})
PROFILE_MONTHS = 24

# Compliance condition codes (CRRG; FCRA §623(a)(3)): XB disputed, investigation under way; XC
# investigation completed, consumer disagrees; XH previously disputed, investigation completed; XR remove
# the code reported before.
DISPUTED, DISAGREES, DISPUTE_RESOLVED, REMOVE_COMPLIANCE = "XB", "XC", "XH", "XR"
COMPLIANCE_CODES = frozenset({DISPUTED, DISAGREES, DISPUTE_RESOLVED, REMOVE_COMPLIANCE})
# Special comments fairlend furnishes (docs/bureau-reporting.md "Modified loans"): CP forbearance, CO
# modified, AC partial payment agreement, AU paid in full for less than the full balance.
SETTLED_FOR_LESS = "AU"
SPECIAL_COMMENTS = frozenset({"CP", "CO", "AC", "AU"})
# Consumer information indicator for bankruptcy (CRRG): A–E petitions filed, H discharged, Q removes.
BANKRUPTCY_INDICATORS = frozenset({"A", "B", "C", "D", "E", "F", "G", "H", "Q"})
ECOA_INDIVIDUAL, ECOA_JOINT, ECOA_DELETE = "1", "2", "Z"


def status_for(days_past_due: int) -> str:
    """CR-2: the account status of an open account `days_past_due` days late."""
    for days, code, _ in _BUCKETS:
        if days_past_due >= days:
            return code
    return CURRENT


def rating_for(days_past_due: int) -> str:
    """CR-4: the rating / profile character of a month whose worst was `days_past_due` days late."""
    for days, _, rating in _BUCKETS:
        if days_past_due >= days:
            return rating
    return "0"


def worse(a: str, b: str) -> str:
    """The worse of two profile characters (L beyond 6; B, D and E are no delinquency)."""
    order = "BDE0123456L"
    return a if order.index(a) >= order.index(b) else b


def month_key(day: date) -> int:
    return day.year * 12 + day.month - 1


def history_profile(months: dict[int, str], as_of: date, opened: date) -> str:
    """CR-4: 24 characters, newest first, starting with the month before the date of account information.

    `months` maps a month (`month_key`) to its worst character; a month the
    account was open but nobody reported is D, a month before it opened B.
    """
    current = month_key(as_of)
    first = month_key(opened)
    out = []
    for back in range(1, PROFILE_MONTHS + 1):
        month = current - back
        out.append("B" if month < first else months.get(month, "D"))
    return "".join(out)


def whole_dollars(cents: int) -> int:
    """CRRG: amounts in whole dollars. Rounded half up; an amount owed is never rounded down to nothing."""
    if cents <= 0:
        return 0
    return max(1, (cents + 50) // 100)
