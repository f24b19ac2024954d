import base64

import pytest
from sqlalchemy import select, update

from fairlend.bootstrap import Container
from fairlend.identity.model import Principal, Role
from fairlend.identity.pii import PiiVault
from fairlend.identity.service import IdentityService
from fairlend.identity.tables import identity_certificate_file, identity_person
from fairlend.money import Money
from tests.identity.helpers import dev_card, verified_borrower

NEW_KEY = "k9:" + base64.b64encode(b"9" * 32).decode()


def _with_vault(container: Container, keys: str) -> IdentityService:
    vault = PiiVault(keys, container.settings.blind_index_key.get_secret_value())
    current = container.identity
    return IdentityService(
        container.uow, vault, container.profile, current.sender, current.kyc._verifier, current.tokens
    )


def test_rotation_moves_every_value_to_the_new_key_and_nothing_is_lost(container: Container) -> None:
    who, phone, number = verified_borrower(container)
    card = dev_card()
    container.identity.kyc.bind_bank_card(who.subject_id, card)
    cert = container.identity.certificates.upload(who.subject_id, "deposit", Money.of("10", "CNY"), b"%PDF-1 x")
    container.identity.accounts.create_operator("ops", "operator password", Role.ADMIN)
    old_keys = container.settings.pii_keys.get_secret_value()
    rotated = _with_vault(container, f"{NEW_KEY},{old_keys}")
    assert rotated.maintenance.rotate() == 6  # phone, name, ID number, card, TOTP secret, certificate file
    assert rotated.maintenance.rotate() == 0
    only_new = _with_vault(container, NEW_KEY)
    view = only_new.unmasked(Principal("op_c", Role.COMPLIANCE), who.subject_id, "rotation check")
    assert (view.phone_e164, view.id_number, view.bank_cards) == ("+86" + phone, number, (card,))
    assert only_new.certificates.file(who.subject_id, cert.certificate_id).content == b"%PDF-1 x"
    assert only_new.maintenance.verify() == []


def test_verify_finds_values_no_configured_key_opens_and_indexes_that_do_not_match(container: Container) -> None:
    who, _, _ = verified_borrower(container)
    assert container.identity.maintenance.verify() == []
    assert "identity" in container.verifiers
    with container.uow() as uow:
        uow.conn.execute(update(identity_person).values(phone_index="0" * 64))
        uow.commit()
    found = container.identity.maintenance.verify()
    assert [(d.check, d.subject) for d in found] == [("identity.blind_index", who.subject_id)]
    stranger = _with_vault(container, NEW_KEY)
    assert {d.check for d in stranger.maintenance.verify()} == {"identity.decrypt"}
    with container.uow(read_only=True) as uow:
        assert uow.conn.execute(select(identity_person.c.phone_cipher)).scalar_one().startswith("k1:")


@pytest.mark.parametrize("keys", ["", "k1:short"])
def test_a_vault_without_usable_keys_refuses_to_start(keys: str) -> None:
    from fairlend.identity.pii import VaultError

    with pytest.raises(VaultError):
        PiiVault(keys, "x")


def test_verify_opens_every_certificate_file_and_names_one_no_key_opens(container: Container) -> None:
    who, _, _ = verified_borrower(container)
    money = Money.of("10", "CNY")
    kept = container.identity.certificates.upload(who.subject_id, "deposit", money, b"%PDF-1 kept")
    broken = container.identity.certificates.upload(who.subject_id, "deposit", money, b"%PDF-1 broken")
    assert container.identity.maintenance.verify() == []
    with container.uow() as uow:
        # A file whose key id names a key nobody configured (a retired key dropped too early).
        uow.conn.execute(
            update(identity_certificate_file)
            .where(identity_certificate_file.c.certificate_id == broken.certificate_id)
            .values(key_id="k0")
        )
        uow.commit()
    found = container.identity.maintenance.verify()
    assert [(d.check, d.subject) for d in found] == [("identity.decrypt", f"{who.subject_id}/{broken.certificate_id}")]
    assert "certificate file" in found[0].detail and kept.certificate_id not in found[0].subject


def test_rotation_moves_certificate_files_a_batch_at_a_time(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fairlend.identity import maintenance

    monkeypatch.setattr(maintenance, "FILE_BATCH", 2)
    who, _, _ = verified_borrower(container)
    uploads = [
        container.identity.certificates.upload(who.subject_id, "deposit", Money.of("10", "CNY"), f"%PDF-1 {n}".encode())
        for n in range(5)
    ]
    rotated = _with_vault(container, f"{NEW_KEY},{container.settings.pii_keys.get_secret_value()}")
    assert rotated.maintenance.rotate() == 3 + 5  # phone, name, ID number; five files
    only_new = _with_vault(container, NEW_KEY)
    assert only_new.maintenance.verify() == []
    assert [only_new.certificates.file(who.subject_id, c.certificate_id).content for c in uploads] == [
        f"%PDF-1 {n}".encode() for n in range(5)
    ]
