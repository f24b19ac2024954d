"""The case fairlend exists for: a repaid loan, and collectors who keep calling.

The loan is settled (lending publishes LoanSettled in the settling transaction);
a collector then tries the borrower and the borrower's contact person. Both
attempts are blocked with P-2, both are on the borrower's page, and both are in
the evidence package with the chain verified.
"""

from __future__ import annotations

from datetime import timedelta

from fairlend.clock import FixedClock
from fairlend.collections.gateway import ContactRequest
from fairlend.collections.model import Medium, RecipientKind
from tests.collections.conftest import BORROWER, CONTACT_PHONE, LOAN, World


def _confirmed_contact_person(world: World) -> str:
    person = world.c.service.name_contact_person(BORROWER, "王五", "colleague", CONTACT_PHONE)
    code = next(v for (phone, _), v in world.otp.sent.items() if phone == CONTACT_PHONE)
    world.c.service.confirm_contact_person(person.id, code)
    return person.id


def test_after_repayment_calls_to_the_borrower_and_a_contact_person_are_blocked_and_shown(
    world: World, clock: FixedClock
) -> None:
    contact_id = _confirmed_contact_person(world)
    # Before repayment: the collector works the queue as planned.
    with world.container.uow() as uow:
        planned = world.c.planner.run(uow, clock.business_date())
        uow.commit()
    assert planned >= 1
    assert world.c.gateway.attempt(ContactRequest(LOAN, Medium.CALL, collector_id="op_7")).allowed

    # The borrower repays; lending settles the loan and publishes LoanSettled in that transaction.
    clock.advance(timedelta(hours=2))
    world.settle()
    assert all(t.status == "cancelled" for t in world.c.service.tasks_for_loan(LOAN))

    # Lending's read model may lag; the gateway still knows, from the settling transaction.
    clock.advance(timedelta(hours=1))
    to_borrower = world.c.gateway.attempt(ContactRequest(LOAN, Medium.CALL, collector_id="op_7"))
    to_contact = world.c.gateway.attempt(
        ContactRequest(
            LOAN,
            Medium.CALL,
            RecipientKind.CONTACT_PERSON,
            contact_person_id=contact_id,
            template="restore_contact",
            collector_id="op_7",
        )
    )
    assert "P-2" in to_borrower.rules and "P-2" in to_contact.rules
    assert len(world.channel(Medium.CALL).sent) == 1  # only the call made before repayment

    page = world.c.service.contacts_about(BORROWER)
    blocked = {v.id: v for v in page if v.outcome == "blocked"}
    assert set(blocked) == {to_borrower.log_id, to_contact.log_id}
    for view in blocked.values():
        p2 = next(r for r in view.rules if r.rule == "P-2")
        assert "settled" in p2.en and "结清" in p2.zh

    # lending's own facts now say settled too; the evidence package shows the settlement date.
    world.lending.settle(LOAN, clock.business_date())
    for lang in ("zh-CN", "en"):
        package = world.c.service.evidence_package(BORROWER, LOAN, lang)
        # The consent request and the call before repayment (each recorded, then resolved), the two blocked.
        assert package.chain_problem is None and package.chain_records == 6
        assert {r.id for r in package.blocked} == {to_borrower.log_id, to_contact.log_id}
        # The call made before repayment is not held against the lender; the two after it are.
        assert {r.id for r in package.after_settlement} == {to_borrower.log_id, to_contact.log_id}
        assert LOAN in package.letter_to_lender and LOAN in package.report_to_authority
        pdf = world.c.service.evidence_pdf(BORROWER, LOAN, lang)
        assert pdf.startswith(b"%PDF")
        # Ids and rule names are set in a Latin font, so they are plain in the (uncompressed) PDF.
        assert to_borrower.log_id.encode() in pdf and to_contact.log_id.encode() in pdf and b"P-2" in pdf
    zh = world.c.service.evidence_package(BORROWER, LOAN, "zh-CN").letter_to_lender
    assert "结清之后" in zh and "共尝试联系2次" in zh and "拦截2次" in zh
    en = world.c.service.evidence_package(BORROWER, LOAN, "en").letter_to_lender
    assert "after it was repaid you tried to contact people about it 2 times" in en


def test_settlement_rolled_back_leaves_the_tasks_pending(world: World, clock: FixedClock) -> None:
    with world.container.uow() as uow:
        world.c.planner.run(uow, clock.business_date())
        uow.commit()
    world.settle(commit=False)
    tasks = world.c.service.tasks_for_loan(LOAN)
    assert tasks and all(t.status == "pending" for t in tasks)
    assert world.c.gateway.attempt(ContactRequest(LOAN, Medium.CALL)).allowed
