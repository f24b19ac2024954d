"""A contact person's phone is sealed by identity's PII vault (DESIGN 4): never in
clear in the SQLite file or its WAL, nor in any PostgreSQL column; it still opens
to the number where collections needs it (codes, the gateway), survives key
rotation, and `fairlend verify` notices when it no longer opens."""

from __future__ import annotations

import base64
from datetime import timedelta
from pathlib import Path
from typing import cast

import pytest
import sqlalchemy as sa

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.collections.adapters import IdentitySealer
from fairlend.collections.fakes import InMemoryLending, InMemorySealer
from fairlend.collections.gateway import ContactRequest
from fairlend.collections.model import LoanFacts, LoanState, Medium, RecipientKind
from fairlend.collections.ports import CONTACT_PERSON_PHONE
from fairlend.collections.tables import contact_person
from fairlend.collections.wiring import Collections, wire_collections
from fairlend.db.schema import load_all
from fairlend.identity.pii import PiiVault, VaultError
from fairlend.jurisdiction.model import CeaseScope
from fairlend.money import Money
from tests.collections.conftest import BORROWER, CONTACT_PHONE, World
from tests.identity.helpers import cn_mobile, sender, sign_up

NEW_KEY = "k9:" + base64.b64encode(b"9" * 32).decode()


def _vault(container: Container, keys: str) -> IdentitySealer:
    return IdentitySealer(PiiVault(keys, container.settings.blind_index_key.get_secret_value()))


def _raw_sqlite(container: Container) -> tuple[bytes, set[str]]:
    database = Path(sa.engine.make_url(container.settings.database_url).database or "")
    files = [p for p in database.parent.glob(database.name + "*") if p.is_file()]
    return b"".join(p.read_bytes() for p in files), {p.name[len(database.name) :] for p in files}


def _raw_postgresql(container: Container) -> bytes:
    parts: list[bytes] = []
    with container.engine.connect() as conn:
        for table in load_all().sorted_tables:
            for row in conn.execute(sa.select(table)):
                for value in row:
                    parts.append(bytes(value) if isinstance(value, (bytes, memoryview)) else str(value).encode())
    return b"\n".join(parts)


def _sealed_phone(container: Container, contact_id: str) -> str:
    with container.engine.connect() as conn:
        return str(
            conn.execute(sa.select(contact_person.c.phone_sealed).where(contact_person.c.id == contact_id)).scalar_one()
        )


def test_a_contact_persons_phone_is_never_in_the_raw_database_in_clear(
    container: Container, clock: FixedClock, backend: str
) -> None:
    borrower_phone = cn_mobile()
    borrower = sign_up(container, borrower_phone).subject_id
    # identity's real codes and vault; a loan the test controls.
    c = wire_collections(container, lending=InMemoryLending())
    cast(InMemoryLending, c.lending).add(
        LoanFacts("loan_r", borrower, LoanState.ACTIVE, "CNY", Money(50_000, "CNY"), 10, "M1")
    )
    contact_phones = [cn_mobile(), cn_mobile()]
    people = [
        c.service.name_contact_person(borrower, name, "friend", phone)
        for name, phone in zip(("李四", "Wang Wu"), contact_phones, strict=True)
    ]
    # The consent code went out through the gateway (identity's SMS gateway), masked in the log.
    code = sender(container).last_code("+86" + contact_phones[0], "confirm_contact")
    assert code is not None
    assert code not in "".join(v.text for v in c.service.contacts_about(borrower))  # masked in the log
    c.service.confirm_contact_person(people[0].id, code)
    clock.advance(timedelta(minutes=2))  # identity allows one code a minute per number
    c.service.resend_contact_code(borrower, people[1].id)
    # The debtor does not answer for 3 days; then the confirmed contact person is asked to pass word on.
    assert c.gateway.attempt(ContactRequest("loan_r", Medium.CALL, collector_id="op_1")).allowed
    clock.advance(timedelta(days=3))
    restore = ContactRequest(
        "loan_r", Medium.SMS, RecipientKind.CONTACT_PERSON, contact_person_id=people[0].id, template="restore_contact"
    )
    decision = c.gateway.attempt(restore)
    assert decision.allowed, decision.violations
    assert sender(container).sent()[0].phone_e164 == "+86" + contact_phones[0]
    c.service.request_cease(borrower, CeaseScope.NUMBER, number=contact_phones[1])

    secrets = [p for phone in contact_phones for p in (phone, "+86" + phone)] + ["李四", "Wang Wu"]
    if backend == "sqlite":
        live, suffixes = _raw_sqlite(container)  # while connections are open: the WAL holds recent pages
        assert "-wal" in suffixes
        container.close()
        closed, _ = _raw_sqlite(container)  # after the checkpoint: the main file
        raw = live + closed
        assert len(closed) > 10_000  # the file really was read
    else:
        raw = _raw_postgresql(container)
        assert b"collections.ContactPersonNamed" in raw  # the dump covered the outbox too
    for person in people:
        assert person.phone_masked.encode() in raw  # the scan sees the contact_person rows
    for secret in secrets:
        assert secret.encode() not in raw, f"found {secret[:3]}… in clear"


@pytest.mark.backends("sqlite")
def test_the_stored_phone_is_sealed_for_contact_persons_only_and_opens_to_the_number(
    container: Container, clock: FixedClock
) -> None:
    c = cast(Collections, container.collections)
    phone = cn_mobile()
    person = c.service.name_contact_person(BORROWER, "李四", "friend", phone)
    sealed = _sealed_phone(container, person.id)
    vault = container.identity.vault
    assert sealed.startswith(vault.current_key_id + ":") and phone not in sealed
    assert vault.decrypt(sealed, CONTACT_PERSON_PHONE) == "+86" + phone
    # Bound to its purpose: it cannot pass for a borrower's phone in identity's tables.
    with pytest.raises(VaultError):
        vault.decrypt(sealed, "phone")
    # Sealing twice gives two ciphertexts: equal numbers are not visible as equal values.
    clock.advance(timedelta(minutes=2))  # identity allows one code a minute per number
    again = c.service.name_contact_person("brw_2", "李四", "friend", phone)
    assert _sealed_phone(container, again.id) != sealed


@pytest.mark.backends("sqlite")
def test_rotation_reseals_contact_persons_phones_so_the_old_key_can_go(container: Container, clock: FixedClock) -> None:
    phone = cn_mobile()
    c = cast(Collections, container.collections)
    person = c.service.name_contact_person(BORROWER, "李四", "friend", phone)
    old_keys = container.settings.pii_keys.get_secret_value()
    both = wire_collections(container, lending=InMemoryLending(), sealer=_vault(container, f"{NEW_KEY},{old_keys}"))
    # The contact person's row (phone and name) and the two log rows of the consent message.
    assert both.service.reseal() == 3
    assert both.service.reseal() == 0
    assert _sealed_phone(container, person.id).startswith("k9:")
    only_new = wire_collections(container, lending=InMemoryLending(), sealer=_vault(container, NEW_KEY))
    assert only_new.service.verify() == []
    assert only_new.service.contact_person(person.id).name == "李四"
    # Opening still reaches the person: the code identity sent is checked against their number.
    code = sender(container).last_code("+86" + phone, "confirm_contact")
    assert code is not None
    assert only_new.service.confirm_contact_person(person.id, code).status.value == "confirmed"


def test_verify_names_a_contact_person_whose_phone_no_key_opens_or_whose_number_key_is_wrong(world: World) -> None:
    person = world.c.service.name_contact_person(BORROWER, "李四", "friend", CONTACT_PHONE)
    assert CONTACT_PHONE not in _sealed_phone(world.container, person.id)
    assert world.container.verify() == []
    with world.container.engine.begin() as conn:
        conn.execute(sa.update(contact_person).values(number_key="0" * 32))
    assert [(d.check, d.subject) for d in world.container.verify()] == [("contact_person.number_key", person.id)]
    stranger = wire_collections(world.container, lending=world.lending, sealer=InMemorySealer())
    found = {(d.check, d.subject) for d in stranger.service.verify()}
    assert {("contact_person.phone", person.id), ("contact_person.name", person.id)} <= found
    # The consent message's texts do not open either: the chain check names the borrower's log.
    assert any(check == "contact_log" and BORROWER in subject for check, subject in found)


@pytest.mark.backends("sqlite")
def test_the_rotate_pii_keys_command_reseals_contact_persons_phones_too(container: Container, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from fairlend.cli import app

    c = cast(Collections, container.collections)
    person = c.service.name_contact_person(BORROWER, "李四", "friend", cn_mobile())
    old_keys = container.settings.pii_keys.get_secret_value()
    env = {
        "FAIRLEND_DATABASE_URL": container.settings.database_url,
        "FAIRLEND_DATA_DIR": str(tmp_path),
        "FAIRLEND_ENVIRONMENT": "test",
        "FAIRLEND_PII_KEYS": f"{NEW_KEY},{old_keys}",
    }
    result = CliRunner().invoke(app, ["users", "rotate-pii-keys"], env=env)
    assert result.exit_code == 0, result.output
    # The contact person's row and the two log rows of the consent message: nothing of anybody else.
    assert "re-encrypted 3 values under key k9" in result.output
    assert _sealed_phone(container, person.id).startswith("k9:")
