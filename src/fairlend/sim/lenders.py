"""Other lenders in the simulated market: they inquire about, lend to and report the same people.

Two other institutions register at the bureau and act only through their
`bureau.client`, as a real lender's system would. A borrower who shops
around applies at some of them on the day they apply here: each consents to
that lender's inquiry and the lender pulls their report (a hard inquiry that
fairlend's own score then sees); half of those applications become an
account the lender reports opened. At every month's end each lender reports
its accounts' status; an account whose borrower is out of work is reported
overdue, after the negative-record notice the profile requires, and some of
those borrowers dispute the record, which the lender answers.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from fairlend.bureau.client import BureauClient, ConsentAttestation, InquiryPurpose
from fairlend.errors import DomainError
from fairlend.identity.model import ConsentPurpose
from fairlend.sim.traits import SimAgent
from fairlend.sim.world import World

LENDERS = ("Evergreen Consumer Finance (sim)", "Harbor Credit Union (sim)")
LENDERS_CN = ("恒通消费金融 (sim)", "海港信用社 (sim)")
ACCOUNT_SHARE = 0.5  # of the applications at another lender that become an account


@dataclass
class Account:
    ref: str
    agent: SimAgent
    employed: Callable[[], bool] | None  # is the borrower in work today
    amount: int  # minor units
    opened: date
    noticed: bool = False
    disputed: bool = False


class OtherLenders:
    def __init__(self, world: World) -> None:
        self.w = world
        self.clients: list[BureauClient] = []
        self.accounts: list[list[Account]] = []

    def register(self) -> None:
        admin = self.w.c.bureau
        if admin is None:
            return
        names = LENDERS if self.w.scheme == "us.ssn" else LENDERS_CN
        for name in names:
            credentials = admin.register_institution(name)
            self.clients.append(admin.client_for(credentials.institution_id))
            self.accounts.append([])

    def shop(
        self, person_id: str, agent: SimAgent, rng: random.Random, employed: Callable[[], bool] | None = None
    ) -> None:
        """The borrower applies at `shops_around` other lenders today: a consent and a hard inquiry each."""
        identity, report = self.w.identity, self.w.report
        for n, client in enumerate(self.clients[: agent.traits.shops_around]):
            institution = client.institution_id
            consent = identity.consents.give(person_id, ConsentPurpose.CREDIT_INQUIRY, "credit-inquiry/v1", institution)
            p = agent.person
            attestation = ConsentAttestation(
                consent.consent_id,
                InquiryPurpose.LOAN_APPROVAL,
                institution,
                "credit-inquiry/v1",
                consent.given_at,
                person_id_number=p.id_number,
            )
            try:
                with self.w.timer.timing("bureau.inquire"):
                    client.inquire(p.id_number, InquiryPurpose.LOAN_APPROVAL, name=p.name, consent=attestation)
            except DomainError as refused:
                report.inquiries[f"refused:{refused.code}"] += 1
                continue
            report.inquiries["other_lender"] += 1
            if rng.random() < ACCOUNT_SHARE:
                today = self.w.c.clock.business_date()
                amount = p.amount_yuan * 100  # minor units: both profiles' currencies have cents
                account = Account(f"SIM{n}-{p.index:06d}", agent, employed, amount, today)
                self.accounts[n].append(account)
                self._submit(client, [self._opened(account)])

    def month_end(self, today: date) -> None:
        """Every lender reports each account's status; an overdue one after its notice; some are disputed."""
        if (today + timedelta(days=1)).month == today.month:
            return
        for client, accounts in zip(self.clients, self.accounts, strict=True):
            records: list[dict[str, Any]] = []
            overdue: list[Account] = []
            for a in accounts:
                behind = a.employed is not None and not a.employed()
                if behind and not a.noticed:
                    a.noticed = True
                    records.append(
                        {
                            "record_id": f"{a.ref}:notice",
                            "type": "negative_notice",
                            "account_ref": a.ref,
                            "date": (today - timedelta(days=20)).isoformat(),
                        }
                    )
                installment = a.amount // 12 + a.amount // 100
                records.append(
                    {
                        "record_id": f"{a.ref}:status:{today:%Y-%m}",
                        "type": "status",
                        "account_ref": a.ref,
                        "date": today.isoformat(),
                        "balance": a.amount * 2 // 3,
                        "amount_overdue": installment if behind and a.noticed else 0,
                        "days_overdue": 15 if behind and a.noticed else 0,
                    }
                )
                if behind:
                    overdue.append(a)
            if records:
                self._submit(client, records)
            for a in overdue:
                self._maybe_dispute(client, a, today)

    def _opened(self, a: Account) -> dict[str, Any]:
        p = a.agent.person
        return {
            "record_id": f"{a.ref}:opened",
            "type": "account_opened",
            "account_ref": a.ref,
            "date": a.opened.isoformat(),
            "person": {"name": p.name, "id_number": p.id_number, "id_scheme": self.w.scheme},
            "account_type": "loan",
            "currency": self.w.profile.currency,
            "amount": a.amount,
            "term_months": 12,
            "due_schedule": {"frequency": "monthly", "installments": 12, "installment_amount": a.amount // 12 + 1},
        }

    def _submit(self, client: BureauClient, records: list[dict[str, Any]]) -> None:
        with self.w.timer.timing("bureau.submit_records"):
            ack = client.submit_records(records)
        self.w.report.bureau["applied"] += ack.applied
        self.w.report.bureau["rejected"] += len(ack.rejected)

    def _maybe_dispute(self, client: BureauClient, a: Account, today: date) -> None:
        access = self.w.c.bureau_access
        rng = random.Random(f"dispute:{a.ref}:{today}")
        if a.disputed or access is None or rng.random() >= a.agent.traits.disputes:
            return
        a.disputed = True
        p = a.agent.person
        try:
            with self.w.timer.timing("bureau.file_dispute"):
                mark = access().file_dispute(
                    p.id_number,
                    client.institution_id,
                    a.ref,
                    f"I am {p.name}; my payment for {today:%B %Y} was made. Correct the record.",
                    month=f"{today:%Y-%m}",
                )
                client.answer_dispute(mark.dispute_id, "verified", note="the payment arrived late; the record stands")
        except DomainError as refused:
            self.w.report.bureau[f"dispute_refused:{refused.code}"] += 1
            return
        self.w.report.bureau["disputes"] += 1
