from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.errors import Conflict, Forbidden, Invalid, NotFound
from fairlend.identity.model import ConsentPurpose, KycLevel, Principal, Role
from fairlend.identity.tables import identity_consent
from tests.identity.helpers import dev_card, sign_up, verified_borrower


def test_a_credit_inquiry_consent_is_live_for_its_institution_until_revoked(
    container: Container, clock: FixedClock
) -> None:
    who = sign_up(container)
    consents = container.identity.consents
    given = consents.give(who.subject_id, "credit_inquiry", "credit-inquiry/v3", institution="fairlend-bureau")
    assert container.identity.live_consent(who.subject_id, ConsentPurpose.CREDIT_INQUIRY, "fairlend-bureau") == given
    assert container.identity.live_consent(who.subject_id, "credit_inquiry", "another-lender") is None
    assert container.identity.live_consent(who.subject_id, "marketing") is None
    clock.advance(timedelta(hours=1))
    revoked = consents.revoke(who.subject_id, given.consent_id)
    assert revoked.revoked_at == clock.now() and not revoked.is_live
    assert container.identity.live_consent(who.subject_id, "credit_inquiry", "fairlend-bureau") is None
    assert [c.text_version for c in consents.list_for(who.subject_id)] == ["credit-inquiry/v3"]
    with pytest.raises(Conflict) as twice:
        consents.revoke(who.subject_id, given.consent_id)
    assert twice.value.code == "consent_already_revoked"


def test_consent_rules(container: Container) -> None:
    who = sign_up(container)
    consents = container.identity.consents
    with pytest.raises(Invalid) as no_institution:
        consents.give(who.subject_id, "credit_inquiry", "v1")
    assert no_institution.value.code == "institution_required"
    for code, (purpose, version, institution) in {
        "institution_not_applicable": ("marketing", "v1", "someone"),
        "invalid_consent_purpose": ("address_book", "v1", ""),
        "invalid_text_version": ("data_processing", "", ""),
    }.items():
        with pytest.raises(Invalid) as refused:
            consents.give(who.subject_id, purpose, version, institution)
        assert refused.value.code == code
    assert consents.give(who.subject_id, "data_processing", "privacy/2026-01").is_live


def test_reporting_identity_is_clear_and_audit_logged_as_system_use(container: Container) -> None:
    who, phone, number = verified_borrower(container, name="赵六")
    identity = container.identity.reporting_identity(who.subject_id)
    assert (identity.name, identity.id_number, identity.id_scheme) == ("赵六", number, "cn.ric")
    point = container.identity.contact_point(who.subject_id)
    assert point.phone_e164 == "+86" + phone and point.timezone == "Asia/Shanghai"
    entries = container.identity.audit.entries(who.subject_id)
    assert [(e.actor_id, e.fields) for e in entries] == [("system", "phone"), ("system", "name,id_number")]
    unverified = sign_up(container)
    with pytest.raises(Conflict) as not_verified:
        container.identity.reporting_identity(unverified.subject_id)
    assert not_verified.value.code == "identity_not_verified"


def test_an_inquiry_subject_reads_in_clear_and_logs_only_with_a_live_consent(container: Container) -> None:
    who, _, number = verified_borrower(container, name="钱七")
    identity = container.identity
    without = identity.inquiry_subject(who.subject_id, "credit_inquiry", "fairlend")
    assert without.consent is None and without.identity is None
    assert KycLevel.IDENTITY_VERIFIED in {r.level for r in without.levels}
    assert identity.audit.entries(who.subject_id) == []
    given = identity.consents.give(who.subject_id, "credit_inquiry", "credit-inquiry/v3", institution="fairlend")
    other = identity.inquiry_subject(who.subject_id, "credit_inquiry", "another-lender")
    assert other.identity is None and identity.audit.entries(who.subject_id) == []
    found = identity.inquiry_subject(who.subject_id, "credit_inquiry", "fairlend")
    assert found.consent == given and found.identity is not None
    assert (found.identity.name, found.identity.id_number) == ("钱七", number)
    assert [(e.actor_id, e.fields, e.purpose) for e in identity.audit.entries(who.subject_id)] == [
        ("system", "name,id_number", "credit_inquiry")
    ]
    unverified = sign_up(container)
    identity.consents.give(unverified.subject_id, "credit_inquiry", "credit-inquiry/v3", institution="fairlend")
    bare = identity.inquiry_subject(unverified.subject_id, "credit_inquiry", "fairlend")
    assert bare.consent is not None and bare.identity is None
    assert identity.audit.entries(unverified.subject_id) == []
    with pytest.raises(NotFound) as nobody:
        identity.inquiry_subject("brw_nobody", "credit_inquiry", "fairlend")
    assert nobody.value.code == "person_not_found"


def test_a_consent_for_nobody_is_not_found_and_writes_nothing(container: Container) -> None:
    with pytest.raises(NotFound) as caught:
        container.identity.consents.give("brw_nobody", "data_processing", "privacy/2026-01")
    assert caught.value.code == "person_not_found"
    with container.uow(read_only=True) as uow:
        assert uow.conn.execute(select(func.count()).select_from(identity_consent)).scalar_one() == 0


def test_an_operator_view_in_clear_is_audit_logged_and_needs_a_role_and_a_reason(container: Container) -> None:
    who, phone, number = verified_borrower(container)
    card = dev_card()
    container.identity.kyc.bind_bank_card(who.subject_id, card)
    compliance = Principal("op_c", Role.COMPLIANCE)
    view = container.identity.unmasked(compliance, who.subject_id, "complaint 42")
    assert (view.phone_e164, view.id_number, view.bank_cards) == ("+86" + phone, number, (card,))
    entry = container.identity.audit.entries(who.subject_id)[0]
    assert (entry.actor_id, entry.actor_role, entry.purpose) == ("op_c", "compliance", "complaint 42")
    with pytest.raises(Forbidden) as collector:
        container.identity.unmasked(Principal("op_x", Role.COLLECTOR), who.subject_id, "curious")
    assert collector.value.code == "role_not_allowed"
    with pytest.raises(Invalid) as no_reason:
        container.identity.unmasked(compliance, who.subject_id, "  ")
    assert no_reason.value.code == "purpose_required"
    assert len(container.identity.audit.entries(who.subject_id)) == 1


def test_verified_among_and_same_person_among_answer_for_a_set_as_the_single_questions_do(
    container: Container,
) -> None:
    identity = container.identity
    borrower, _, number = verified_borrower(container, name="钱七")
    twin = sign_up(container, role=Role.INVESTOR)  # the borrower again, as an investor (same ID number)
    identity.kyc.verify_identity(twin.subject_id, "钱七", number, date(1990, 3, 7))
    stranger = sign_up(container, role=Role.INVESTOR)
    others = [twin.subject_id, stranger.subject_id, borrower.subject_id, "inv_nobody"]
    assert identity.verified_among(others) == {twin.subject_id, borrower.subject_id}
    assert identity.verified_among([]) == frozenset()
    alike = identity.same_person_among(borrower.subject_id, others)
    assert alike == {twin.subject_id, borrower.subject_id}
    assert alike == {o for o in others[:3] if identity.same_person(borrower.subject_id, o)}
    assert identity.same_person_among("brw_nobody", ["brw_nobody", stranger.subject_id]) == {"brw_nobody"}
