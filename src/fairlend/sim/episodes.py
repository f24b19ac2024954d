"""What the demo's people do beyond the daily book: the episodes that leave their own words and files behind.

A borrower names a contact person, who confirms with their own code; the
borrower the collector still called after settling complains in their own
words, with a screenshot, and the compliance officer looks the borrower up
in clear before acknowledging it; a few borrowers check their own credit
report and one applies for another loan; another lender reports some of
the same people, and one of them disputes that lender's overdue record.

People type their names, phones and ID numbers into such text, so the
demo's people do too: the raw scan of the database
(tests/test_pii_at_rest_demo.py) then looks for them wherever these
episodes store something. Every step is a context's service, as in demo.py.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from fairlend.bootstrap import Container
from fairlend.collections.model import ComplaintCategory
from fairlend.errors import Conflict
from fairlend.identity.model import ConsentPurpose, Principal, Role
from fairlend.identity.ports import DevMessageSender
from fairlend.money import Money
from fairlend.sim.people import FIRST_NAMES_US, GIVEN, SimBorrower, phone_number

OTHER_LENDER = "恒通消费金融 (demo)"
OTHER_LENDER_US = "Evergreen Consumer Finance (demo)"
CONTACT_PURPOSE = "confirm_contact"  # identity's OtpPurpose.CONFIRM_CONTACT (delivered by the contact gateway)
# A screenshot of the call log: PNG magic bytes, then what the picture shows.
SCREENSHOT = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True, slots=True)
class Enrolled:
    sim: SimBorrower
    person_id: str


@dataclass(frozen=True, slots=True)
class ContactPerson:
    name: str
    phone: str


def advance(container: Container, minutes: int) -> None:
    """Move a clock that can be set a few minutes on: contacts on one day happen one after another."""
    setter = getattr(container.clock, "set", None)
    if callable(setter):
        setter(container.clock.now() + timedelta(minutes=minutes))


def payslip(person: SimBorrower) -> bytes:
    """The smallest PDF the identity file sniffer accepts, naming its employee as a payslip does."""
    return (
        b"%PDF-1.4\n% fairlend demo payslip\n"
        + f"% employee {person.name} ID {person.id_number} card {person.card_number}\n".encode()
        + b"1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )


def contact_phone(seed: int, index: int, scheme: str = "cn.ric") -> str:
    if scheme == "us.ssn":
        return phone_number(seed, 3_000 + index, scheme)  # an area code no borrower's number has
    # 137 + two seed digits: never one of the borrowers' 139 numbers.
    return f"137{seed % 100:02d}{index:06d}"


def _us(container: Container) -> bool:
    return container.profile.id_number_scheme == "us.ssn"


def name_contact_person(
    container: Container, sender: DevMessageSender, borrower: Enrolled, seed: int
) -> ContactPerson | None:
    """The borrower names a sibling as contact person; the sibling confirms with the code sent to them."""
    collections = container.collections
    if collections is None:
        return None
    rng = random.Random(seed * 13 + borrower.sim.index)
    scheme = container.profile.id_number_scheme
    if _us(container):
        name = f"{rng.choice(FIRST_NAMES_US)} {borrower.sim.name.split()[-1]}"
    else:
        name = borrower.sim.name[0] + "".join(rng.choice(GIVEN) for _ in range(2))
    person = ContactPerson(name, contact_phone(seed, borrower.sim.index, scheme))
    relation = "brother" if _us(container) else "兄弟"
    named = collections.service.name_contact_person(borrower.person_id, person.name, relation, person.phone)
    e164 = container.identity.otp.phone(person.phone).e164
    code = sender.last_code(e164, CONTACT_PURPOSE)
    if code is None:
        raise Conflict("demo_code_missing", "the development sender kept no code for the contact person")
    collections.service.confirm_contact_person(named.id, code)
    return person


def complain(container: Container, borrower: Enrolled, loan_id: str, compliance_id: str) -> str:
    """The settled borrower complains about the call, attaches a screenshot; compliance acknowledges it."""
    collections = container.collections
    if collections is None:
        return ""
    who = borrower.sim
    text = (
        f"I am {who.name}, phone {who.phone}. I paid this loan off early and a collector still calls me "
        "and texts the friends in my address book. Stop it now."
        if _us(container)
        else f"我是{who.name}，手机 {who.phone}。这笔贷款已经提前还清，催收员还在给我打电话，"
        "还给我通讯录里的朋友发短信。请立即停止。"
    )
    filed = collections.complaints.file(borrower.person_id, loan_id, ComplaintCategory.CONTACT_AFTER_REPAYMENT, text)
    country = "+1" if _us(container) else "+86"
    shot = SCREENSHOT + f"call log: {country}{who.phone} 10:05 collector".encode()
    collections.complaints.attach(borrower.person_id, filed.id, "call-log.png", "image/png", shot)
    # To call the borrower back the officer sees the number in clear: an audit-logged view.
    container.identity.unmasked(
        Principal(compliance_id, Role.COMPLIANCE), borrower.person_id, f"complaint {filed.id}: call back {who.phone}"
    )
    collections.complaints.acknowledge(filed.id, compliance_id)
    return filed.id


def check_credit(container: Container, enrolled: list[Enrolled]) -> tuple[int, int]:
    """Two borrowers fetch their own report and score (soft inquiries); the first applies again (a hard one)."""
    origination = container.origination
    if origination is None:
        return 0, 0
    checks = applications = 0
    for n, e in enumerate(enrolled[:2]):
        container.identity.consents.give(
            e.person_id, ConsentPurpose.CREDIT_SELF_CHECK, "credit-self-check/v1", "fairlend"
        )
        origination.self_check(e.person_id)
        checks += 1
        if n == 0:
            origination.inquiry_disclosure(e.person_id)
            amount = Money.of(e.sim.amount_yuan, container.profile.currency)
            origination.apply(e.person_id, amount, 12, inquiry_disclosure_acknowledged=True)
            applications += 1
    return checks, applications


@dataclass(frozen=True, slots=True)
class OtherLender:
    name: str
    records_applied: int
    reported: tuple[Enrolled, ...]
    rejected: tuple[str, ...]
    dispute_id: str


def report_other_lender(container: Container, enrolled: list[Enrolled], seed: int, end: date) -> OtherLender | None:
    """A second institution reports a few accounts of the same people (bureau.client only); one is disputed."""
    admin = container.bureau
    if admin is None or not enrolled:
        return None
    us = _us(container)
    credentials = admin.register_institution(OTHER_LENDER_US if us else OTHER_LENDER)
    client = admin.client_for(credentials.institution_id)
    rng = random.Random(seed * 7 + 3)
    chosen = rng.sample(enrolled, k=min(3, len(enrolled)))
    records: list[dict[str, Any]] = []
    opened = end - timedelta(days=200)
    month_end = end.replace(day=1) - timedelta(days=1)
    refs: list[str] = []
    for n, e in enumerate(chosen):
        ref = f"HT-{seed}-{n + 1:04d}"
        refs.append(ref)
        amount = 1_000_000 * (n + 1)
        installment = amount // 12 + 5_000
        records.append(
            {
                "record_id": f"{ref}:opened",
                "type": "account_opened",
                "account_ref": ref,
                "date": opened.isoformat(),
                "person": {
                    "name": e.sim.name,
                    "id_number": e.sim.id_number,
                    "id_scheme": container.profile.id_number_scheme,
                },
                "account_type": "loan",
                "currency": container.profile.currency,
                "amount": amount,
                "term_months": 12,
                "due_schedule": {"frequency": "monthly", "installments": 12, "installment_amount": installment},
            }
        )
        overdue = n == len(chosen) - 1 and len(chosen) > 1  # the last of them is behind with this lender too
        if overdue:
            records.append(
                {
                    "record_id": f"{ref}:notice",
                    "type": "negative_notice",
                    "account_ref": ref,
                    "date": (month_end - timedelta(days=20)).isoformat(),
                }
            )
        records.append(
            {
                "record_id": f"{ref}:status:{month_end:%Y-%m}",
                "type": "status",
                "account_ref": ref,
                "date": month_end.isoformat(),
                "balance": amount * 7 // 12,
                "amount_overdue": installment if overdue else 0,
                "days_overdue": 12 if overdue else 0,
            }
        )
    ack = client.submit_records(records)
    rejected = tuple(f"the bureau rejected {r.record_id}: {r.code}" for r in ack.rejected)
    dispute_id = ""
    if len(chosen) > 1 and container.bureau_access is not None:
        # The person behind with this lender says, in their own words, that the record is wrong;
        # fairlend files it at the bureau for them and the lender answers.
        who = chosen[-1].sim
        mark = container.bureau_access().file_dispute(
            who.id_number,
            credentials.institution_id,
            refs[-1],
            f"I am {who.name} (SSN {who.id_number}); my {month_end:%B %Y} payment was made on time. Correct the record."
            if us
            else f"我是{who.name}（身份证 {who.id_number}），{month_end:%Y年%m月}的还款已按时支付，请更正逾期记录。",
            month=f"{month_end:%Y-%m}",
        )
        client.answer_dispute(
            mark.dispute_id, "verified", note=f"{who.name}'s payment arrived 12 days late; the record stands"
        )
        dispute_id = mark.dispute_id
    return OtherLender(
        f"{credentials.name} ({credentials.institution_id})", ack.applied, tuple(chosen), rejected, dispute_id
    )
