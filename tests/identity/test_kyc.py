from datetime import date

import pytest
from sqlalchemy import select

from fairlend.bootstrap import Container
from fairlend.db.tables import outbox
from fairlend.errors import Conflict, Invalid, NotFound
from fairlend.identity.model import KycLevel, KycMethod
from fairlend.identity.tables import identity_bank_card, identity_person
from tests.identity.helpers import cn_id_number, dev_card, sign_up, verified_borrower


def test_identity_verification_records_the_level_time_and_method(container: Container) -> None:
    who = sign_up(container)
    number = cn_id_number(date(1990, 3, 7))
    record = container.identity.kyc.verify_identity(who.subject_id, "张三", number, date(1990, 3, 7))
    assert record.level is KycLevel.IDENTITY_VERIFIED and record.method is KycMethod.ID_NUMBER_CHECK
    assert record.verified_at == container.clock.now()
    facts = container.identity.person(who.subject_id)
    assert facts.masked_name == "张*"
    assert KycLevel.IDENTITY_VERIFIED in facts.kyc_levels


@pytest.mark.parametrize(
    ("born", "declared", "code"),
    [
        (date(1990, 3, 7), date(1990, 3, 8), "id_birth_date_mismatch"),
        (date(2010, 1, 1), date(2010, 1, 1), "under_age"),
    ],
)
def test_a_refused_identity_changes_nothing(container: Container, born: date, declared: date, code: str) -> None:
    who = sign_up(container)
    with pytest.raises(Invalid) as caught:
        container.identity.kyc.verify_identity(who.subject_id, "李四", cn_id_number(born), declared)
    assert caught.value.code == code
    with container.uow(read_only=True) as uow:
        row = uow.conn.execute(select(identity_person)).one()
    assert row.id_number_cipher is None and row.name_cipher is None
    assert container.identity.person(who.subject_id).kyc_levels == frozenset({KycLevel.PHONE_VERIFIED})


def test_one_borrower_account_per_id_number(container: Container) -> None:
    _, _, number = verified_borrower(container)
    other = sign_up(container)
    with pytest.raises(Conflict) as caught:
        container.identity.kyc.verify_identity(other.subject_id, "张三", number, date(1990, 3, 7))
    assert caught.value.code == "id_number_already_registered"


def test_a_test_range_card_binds_and_reaches_bank_card_verified(container: Container) -> None:
    who, _, _ = verified_borrower(container)
    card = dev_card()
    bound = container.identity.kyc.bind_bank_card(who.subject_id, card)
    assert bound.masked_number == "**** " + card[-4:]
    levels = {r.level: r.method for r in container.identity.kyc_levels(who.subject_id)}
    assert levels[KycLevel.BANK_CARD_VERIFIED] is KycMethod.FOUR_ELEMENTS
    assert [c.masked_number for c in container.identity.kyc.bank_cards(who.subject_id)] == [bound.masked_number]
    with pytest.raises(Conflict) as twice:
        container.identity.kyc.bind_bank_card(who.subject_id, card)
    assert twice.value.code == "card_already_bound"


def test_cards_outside_the_test_range_or_failing_luhn_bind_nothing(container: Container) -> None:
    who, _, _ = verified_borrower(container)
    with pytest.raises(Invalid) as refused:
        container.identity.kyc.bind_bank_card(who.subject_id, dev_card(prefix="62170000"))
    assert refused.value.code == "bank_card_not_verified"
    card = dev_card()
    with pytest.raises(Invalid) as luhn:
        container.identity.kyc.bind_bank_card(who.subject_id, card[:-1] + str((int(card[-1]) + 3) % 10))
    assert luhn.value.code == "card_failed_luhn"
    with container.uow(read_only=True) as uow:
        assert uow.conn.execute(select(identity_bank_card)).first() is None


def test_a_card_needs_a_verified_identity_first(container: Container) -> None:
    who = sign_up(container)
    with pytest.raises(Conflict) as caught:
        container.identity.kyc.bind_bank_card(who.subject_id, dev_card())
    assert caught.value.code == "identity_not_verified"


def test_the_four_elements_reach_the_bank_verifier(container: Container) -> None:
    seen: list[dict[str, str]] = []

    class Recording:
        def verify(self, *, name: str, id_number: str, card_number: str, phone_e164: str) -> bool:
            seen.append({"name": name, "id": id_number, "card": card_number, "phone": phone_e164})
            return True

    container.identity.kyc._verifier = Recording()
    who, phone, number = verified_borrower(container, name="王五")
    card = dev_card(prefix="62170000")
    container.identity.kyc.bind_bank_card(who.subject_id, card)
    assert seen == [{"name": "王五", "id": number, "card": card, "phone": "+86" + phone}]


def _events(container: Container, person_id: str) -> list[str]:
    with container.uow(read_only=True) as uow:
        rows = uow.conn.execute(
            select(outbox.c.event_type).where(outbox.c.aggregate_id == person_id).order_by(outbox.c.position)
        )
        return [r.event_type for r in rows]


def test_the_first_card_reaches_bank_card_verified_once_and_a_second_card_only_binds(container: Container) -> None:
    who, _, _ = verified_borrower(container)
    before = _events(container, who.subject_id)
    container.identity.kyc.bind_bank_card(who.subject_id, dev_card())
    first = _events(container, who.subject_id)[len(before) :]
    assert first == ["identity.BankCardBound", "identity.KycLevelReached"]
    container.identity.kyc.bind_bank_card(who.subject_id, dev_card())
    second = _events(container, who.subject_id)[len(before) + len(first) :]
    assert second == ["identity.BankCardBound"]
    levels = [r.level for r in container.identity.kyc_levels(who.subject_id)]
    assert levels.count(KycLevel.BANK_CARD_VERIFIED) == 1
    assert len(container.identity.kyc.bank_cards(who.subject_id)) == 2


def test_a_card_bound_already_is_refused_before_the_bank_is_asked(container: Container) -> None:
    who, _, _ = verified_borrower(container)
    card = dev_card()
    container.identity.kyc.bind_bank_card(who.subject_id, card)
    asked: list[str] = []

    class Counting:
        def verify(self, *, name: str, id_number: str, card_number: str, phone_e164: str) -> bool:
            asked.append(card_number)
            return True

    container.identity.kyc._verifier = Counting()
    with pytest.raises(Conflict) as twice:
        container.identity.kyc.bind_bank_card(who.subject_id, card)
    assert twice.value.code == "card_already_bound" and asked == []


def test_binding_a_card_for_nobody_is_not_found(container: Container) -> None:
    with pytest.raises(NotFound) as caught:
        container.identity.kyc.bind_bank_card("brw_nobody", dev_card())
    assert caught.value.code == "person_not_found"


def test_a_second_account_with_a_verified_id_number_leaves_it_unverified(container: Container) -> None:
    _, _, number = verified_borrower(container)
    other = sign_up(container)
    with pytest.raises(Conflict):
        container.identity.kyc.verify_identity(other.subject_id, "张三", number, date(1990, 3, 7))
    facts = container.identity.person(other.subject_id)
    assert facts.kyc_levels == frozenset({KycLevel.PHONE_VERIFIED}) and facts.masked_name == ""
