"""The contact gateway's independent oracle: what RULES.md says each attempt must get.

Written from /work/shared/RULES.md, docs/collections.md ("The contact gateway",
"What the gateway decides") and the profiles' data (cn.toml, us.toml), not from
the gateway's code: it imports nothing from policy, content, gateway or the
phrase matcher. It keeps its own account of a borrower's world (loans, people,
numbers, requests, and every earlier attempt with what became of it) and, for
each attempt, names the exact set of rule ids that must block it (empty:
allowed). Content is read from the corpus's labels (oracle_corpus.py), never
from a word list. The world generator and the two drivers (pure policy,
storage) are in oracle_world.py and oracle_storage.py.

Readings taken where the specification leaves room (each decided from RULES.md):

1. A person is a number (P-8). An entry (contact person or third party) whose
   number is the debtor's registered number *is the debtor*: P-8 blocks it, and
   the rules for "anyone but the debtor" (P-9, CN-1/US-6, CN-1/US-5) do not
   apply, since the person reached is the debtor; the debtor's rules (window
   with the debtor's consent, caps, cease) do. The generator gives such
   entries the debtor's own time zone, so no reading of "whose local time"
   is needed for them.
2. CN-1/US-6's conditions (medium, who, unreachable, once) are about contacts
   about a loan. The contact person's consent request (about no loan) is
   governed by P-9 (only the consent template, only to a contact person), the
   window in the contact person's time, cease requests and US-9; otherwise
   no contact person could ever be asked. It does not count as a contact
   "about a loan" for the once-per-person limit.
3. In `us` (location only) a contact person is a third party like any other:
   their status (pending, confirmed, revoked) does not matter; in `cn` only a
   confirmed contact person may be reached about a loan.
4. Cease requests: one about a loan applies to attempts about that loan; one
   about every loan applies to every attempt, a consent request included.
   Only a request to stop all contact has exemptions (`cease_exempt_purposes`;
   free text never); a forbidden medium or number has none (US-8 has no
   exception). A number request stops texts and calls to that number (the
   media that reach a number), whatever entry carries it; e-mail, letters and
   visits to the debtor do not reach a phone number. Anyone but the debtor
   *is* their number, so an entry with a forbidden number is forbidden by any
   medium.
5. The contact window is half-open, [start, end): 22:00 in cn and 21:00 in us
   are outside (fairlend is stricter than the law on purpose). The debtor's
   consent adds its own hours to the window (the union, not the hull: a
   consent to 06:00-07:30 does not open 07:30-08:00). Letters are exempt; every
   other medium and every purpose is bound by it.
6. Call caps count earlier calls that may have reached the person (sent, not
   failed, not blocked) whose local date, in the current recipient's time
   zone, falls in the cap's window of whole days. `per_debtor` applies to
   calls to the debtor and counts calls to the debtor (any loan); `per_number`
   counts calls to the same number under any entry; `per_person_per_debt`
   counts calls about the same loan to the same person (the debtor whatever
   the entry, otherwise the same number). US-2's quiet days: the
   conversation's local day is day 1, the same person, the same loan.
7. "Unreachable" (cn): measured in elapsed time, `unreachable_days` x 24 h,
   from the first sent, unanswered (not connected) call to the debtor after
   the last answered one (any loan); a failed call rang nobody and is not
   evidence. With no such call the debtor is not unreachable.
8. "Once per person, ever": earlier contacts about a loan (any loan of this
   borrower) that reached the number as other than the debtor (sent, not
   failed). Numbers are not shared between borrowers in the fuzz: whether a
   per-number cap crosses borrowers is left open (see the report).
9. A third party's time zone, when the collector gives none, is the profile's.
10. Loan states: current and grace (0 days past due), overdue, charged off,
   settled (lending's facts, collections' record of the settlement, or both),
   disputed, complained (open or acknowledged), ceased, and the borrower's
   hardship request or kept plan (issue #15, P-10 in docs/architecture.md and
   docs/collections.md, "Hardship requests and plans").
11. P-10 is about messages about the loan in a request or plan. A request
   open: collection (free text, a collection or third-party template) is
   blocked, as under P-3. A plan kept: every message about the loan is
   blocked but the plan's reminder and what a request to stop everything
   lets through (`cease_exempt_purposes`). A plan reminder about a loan with
   no plan kept is blocked. P-10 lifts nothing else: the window, cease
   requests, caps and content rules apply to a plan reminder as to any text.
"""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from fairlend.collections.model import Medium
from fairlend.jurisdiction.model import CapCounting, CapScope, Profile, TemplatePurpose, ThirdPartyAllowance
from tests.collections.oracle_corpus import DEBT, OPT_OUT, template_labels
from tests.collections.oracle_steps import (
    COLLECTION_PURPOSES,
    CONSENT_TEMPLATE,
    DEBTOR,
    PERSON,
    PHONE,
    Borrower,
    Cease,
    Complaint,
    Confirm,
    Consent,
    Dispute,
    Hardship,
    Name,
    NewNumber,
    Person,
    Record,
    Resend,
    Revoke,
    Settle,
    Step,
    Target,
    Try,
    days_past_due,
)


def _add(found: dict[str, str], rule: str, why: str) -> None:
    """Every rule named once; every reason kept (a reason starts with the kind of check, up to the colon)."""
    if rule not in found:
        found[rule] = why
    elif why not in found[rule].split(" + "):
        found[rule] = f"{found[rule]} + {why}"


def kinds(why: str) -> list[str]:
    return [part.split(":", 1)[0] for part in why.split(" + ")]


class Oracle:
    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        rules = profile.collections
        self.rules = rules
        self.purposes = {t.id: t.purpose for t in rules.content.templates}
        self.labels = {t.id: template_labels(profile, t.id) for t in rules.content.templates}
        self.prohibited = tuple((p.category, p.rule) for p in rules.content.prohibited)
        self.longest_cap = max([c.window_days for c in rules.call_caps] + [rules.quiet_days_after_conversation, 1])

    # -- who is reached -------------------------------------------------------------------------

    def target(self, b: Borrower, t: Try) -> Target:
        if t.who == DEBTOR:
            return Target(b.number, b.tz, True, b.id)
        if t.who == PERSON:
            p = b.persons[t.person]
            return Target(p.number, p.tz, p.number == b.number, p.id)
        return Target(t.number, t.tp_tz or self.profile.timezone, t.number == b.number, f"tp:{t.number}")

    # -- the decision -------------------------------------------------------------------------------

    def expect(self, b: Borrower, t: Try) -> dict[str, str]:
        """Rule id -> why, for every rule the attempt breaks; empty when it must go."""
        r = self.rules
        found: dict[str, str] = {}
        who = self.target(b, t)
        free = t.text is not None
        purpose = None if free else self.purposes[t.template]
        labels = t.text.labels if t.text is not None else self.labels[t.template]
        collection = free or purpose in COLLECTION_PURPOSES
        loan = b.loans.get(t.loan) if t.loan else None

        if loan is not None:
            if loan.settled:
                _add(found, "P-2", "settled: the loan is settled")
            if collection and (loan.dispute or loan.complaints):
                _add(found, "P-3", "paused: a dispute or complaint is open")
            if purpose is TemplatePurpose.PLAN_REMINDER:
                if loan.hardship != "plan":
                    _add(found, "P-10", "hardship: a plan reminder with no plan kept")
            elif loan.hardship == "request" and collection:
                _add(found, "P-10", "hardship: collection while a hardship request is open")
            elif loan.hardship == "plan" and (free or purpose not in r.cease_exempt_purposes):
                _add(found, "P-10", "hardship: anything but the plan's reminder while a plan is kept")
            if collection and days_past_due(self.profile, loan, t.at) <= r.collection_start_dpd:
                _add(found, r.collection_start_rule, "start_day: collection before its start day")

        for c in b.ceases:
            if c.loan is not None and c.loan != t.loan:
                continue
            if c.scope == "all" and (free or purpose not in r.cease_exempt_purposes):
                _add(found, r.cease_rule, "cease_all: the borrower asked to stop all contact")
            elif c.scope == "medium" and c.medium is t.medium:
                _add(found, r.cease_scoped_rule, "cease_medium: the borrower forbade this medium")
            elif c.scope == "number" and c.number == who.number and (t.medium in PHONE or t.who != DEBTOR):
                _add(found, r.cease_scoped_rule, "cease_number: the borrower forbade this number")

        if t.who != DEBTOR and who.is_debtor:
            _add(found, "P-8", "person_is_number: the debtor's own number under another entry")

        if not who.is_debtor:
            allowed_purposes = {TemplatePurpose.THIRD_PARTY}
            if t.who == PERSON:
                allowed_purposes.add(TemplatePurpose.CONSENT_REQUEST)
            if free or purpose not in allowed_purposes:
                _add(
                    found,
                    r.content.third_party_rule,
                    "template_only: not the debtor, an approved third-party template only",
                )
            if loan is not None:
                why = self._third_party(b, t, who)
                if why:
                    _add(found, r.third_party.rule, why)
            if DEBT in labels:
                _add(found, r.content.disclosure_rule, "disclosure: tells someone else of the debt")

        for category, rule in self.prohibited:
            if category in labels:
                _add(found, rule, f"prohibited_{category}: {category}")

        opt_out = r.content.opt_out
        if opt_out.rule and t.medium.value in opt_out.media and OPT_OUT not in labels:
            _add(found, opt_out.rule, "opt_out: no opt-out")

        if t.medium is not Medium.LETTER:
            why = self._window(b, t, who)
            if why:
                _add(found, r.contact_window.rule, why)

        if t.medium is Medium.CALL:
            self._caps(b, t, who, found)
        return found

    def _third_party(self, b: Borrower, t: Try, who: Target) -> str:
        tp = self.rules.third_party
        why = []
        if t.medium not in PHONE:
            why.append("third_party_medium: not the debtor, by phone only")
        if tp.allowed is ThirdPartyAllowance.NONE:
            why.append("third_party_none: no third party at all")
        if tp.allowed is ThirdPartyAllowance.PRE_AGREED_CONTACT_WHEN_UNREACHABLE:
            if t.who != PERSON or b.persons[t.person].status != "confirmed":
                why.append("third_party_who: not a confirmed contact person")
            if tp.unreachable_days > 0 and (
                b.silent_since is None or t.at - b.silent_since < timedelta(days=tp.unreachable_days)
            ):
                why.append(f"unreachable: the debtor is not unreachable (silent since {b.silent_since})")
        if b.reached_as_other[who.number] >= tp.max_contacts_per_person:
            why.append("once: this number was already reached as someone other than the debtor")
        return " + ".join(why)

    def _window(self, b: Borrower, t: Try, who: Target) -> str:
        r = self.rules
        local = t.at.astimezone(ZoneInfo(who.tz))
        now = local.time()
        if r.blocked_weekdays and local.weekday() in r.blocked_weekdays:
            return "window: a blocked weekday"
        inside = r.contact_window.start <= now < r.contact_window.end
        if not inside and who.is_debtor and r.consent_may_widen_window and b.consent is not None:
            inside = b.consent[0] <= now < b.consent[1]
        return "" if inside else f"window: outside at {local:%H:%M:%S} {who.tz}"

    def _same_person(self, b: Borrower, e: Record, who: Target) -> bool:
        if who.is_debtor:
            return e.who == DEBTOR or e.number == b.number
        return e.number == who.number

    def _caps(self, b: Borrower, t: Try, who: Target, found: dict[str, str]) -> None:
        r = self.rules
        zone = ZoneInfo(who.tz)
        today = t.at.astimezone(zone).date()
        oldest = t.at - timedelta(days=self.longest_cap + 1)
        recent: list[tuple[Record, date]] = []
        for e in reversed(b.calls):
            if e.at < oldest:
                break
            recent.append((e, e.at.astimezone(zone).date()))
        for cap in r.call_caps:
            first = today - timedelta(days=cap.window_days - 1)
            n = 0
            for e, day in recent:
                if day < first or day > today:
                    continue
                if cap.counting is CapCounting.CONNECTED and not e.connected:
                    continue
                if cap.scope is CapScope.PER_DEBTOR:
                    same = who.is_debtor and (e.who == DEBTOR or e.number == b.number)
                elif cap.scope is CapScope.PER_NUMBER:
                    same = bool(who.number) and e.number == who.number
                elif cap.scope is CapScope.PER_DEBT:
                    same = bool(t.loan) and e.loan == t.loan
                else:
                    same = bool(t.loan) and e.loan == t.loan and self._same_person(b, e, who)
                n += same
            if n >= cap.count:
                _add(found, cap.rule, f"cap_{cap.scope.value}: {n} earlier calls in {cap.window_days} days")
        quiet = r.quiet_days_after_conversation
        if quiet and t.loan:
            for e, day in recent:
                if (
                    e.conversation
                    and e.loan == t.loan
                    and 0 <= (today - day).days < quiet
                    and self._same_person(b, e, who)
                ):
                    _add(found, r.quiet_days_rule, f"quiet_days: a conversation on {day}")
                    break

    # -- what became of it ------------------------------------------------------------------------

    def record(self, b: Borrower, t: Try, allowed: bool) -> Record:
        who = self.target(b, t)
        sent = allowed and not t.fail
        call = t.medium is Medium.CALL
        rec = Record(
            t.loan, t.who, who.entry, who.number, t.medium, t.at, sent,
            sent and call and t.connected, sent and call and t.connected and t.conversation,
        )  # fmt: skip
        b.history.append(rec)
        if not sent:
            return rec
        if call:
            b.calls.append(rec)
            if t.who == DEBTOR:
                if rec.connected:
                    b.silent_since = None
                elif b.silent_since is None:
                    b.silent_since = t.at
        if t.loan and t.who != DEBTOR:
            b.reached_as_other[who.number] += 1
        return rec

    def apply(self, b: Borrower, step: Step) -> None:
        """A step that changes the world (not an attempt)."""
        if isinstance(step, Settle):
            loan = b.loans[step.loan]
            loan.lending_settled |= step.how in ("both", "lending")
            loan.event_settled |= step.how in ("both", "event")
        elif isinstance(step, Dispute):
            b.loans[step.loan].dispute = step.open
        elif isinstance(step, Hardship):
            b.loans[step.loan].hardship = step.state
        elif isinstance(step, Complaint):
            if step.action == "file":
                b.loans[step.loan].complaints += 1
            elif step.action == "answer":
                b.loans[step.loan].complaints -= 1
        elif isinstance(step, Cease):
            b.ceases.append(step)
        elif isinstance(step, Consent):
            b.consent = (step.start, step.end)
        elif isinstance(step, Confirm):
            b.persons[step.person].status = "confirmed"
        elif isinstance(step, Revoke):
            b.persons[step.person].status = "revoked"
        elif isinstance(step, NewNumber):
            b.number = step.number

    def consent_try(self, b: Borrower, step: Name | Resend) -> Try:
        """The consent request a Name or Resend sends (the person is already recorded as pending)."""
        if isinstance(step, Name):
            b.persons[step.person] = Person(step.person, step.number, step.tz, "pending")
        return Try(step.at, "", Medium.SMS, PERSON, person=step.person, template=CONSENT_TEMPLATE,
                   collector="system", fail=step.fail)  # fmt: skip

    def consent_done(self, b: Borrower, step: Name | Resend, allowed: bool) -> None:
        """Naming someone whose consent request did not go out leaves no contact person behind."""
        if isinstance(step, Name) and (not allowed or step.fail):
            b.persons.pop(step.person, None)
