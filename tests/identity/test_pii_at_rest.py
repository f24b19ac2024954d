"""After registering people, the raw database holds no ID number, card number or
mobile number in clear: the SQLite file bytes, and every PostgreSQL column."""

from pathlib import Path

import sqlalchemy as sa

from fairlend.bootstrap import Container
from fairlend.db.schema import load_all
from fairlend.identity.model import Principal, Role
from fairlend.money import Money
from tests.identity.helpers import dev_card, sign_up, verified_borrower


def _register_people(container: Container) -> list[str]:
    secrets: list[str] = []
    for name in ("张三", "李四", "Wang Wu"):
        who, phone, number = verified_borrower(container, name=name)
        card = dev_card()
        container.identity.kyc.bind_bank_card(who.subject_id, card)
        # A certificate that itself contains the ID number: files are encrypted too.
        container.identity.certificates.upload(
            who.subject_id, "salary_flow", Money.of("8000", "CNY"), b"%PDF-1.4 " + number.encode()
        )
        container.identity.consents.give(who.subject_id, "credit_inquiry", "ci/v1", institution="bureau")
        container.identity.reporting_identity(who.subject_id)
        container.identity.unmasked(Principal("op_c", Role.COMPLIANCE), who.subject_id, "audit check")
        secrets += [phone, "+86" + phone, number, card]
    investor_phone = "13700001234"
    sign_up(container, investor_phone, Role.INVESTOR)
    return [*secrets, investor_phone]


def test_no_personal_number_is_in_the_raw_database_in_clear(container: Container, backend: str) -> None:
    secrets = _register_people(container)
    masked = container.identity.otp.phone(secrets[0]).masked
    if backend == "sqlite":
        database = Path(sa.engine.make_url(container.settings.database_url).database or "")
        container.close()
        files = [p for p in database.parent.glob(database.name + "*") if p.is_file()]
        raw = b"".join(p.read_bytes() for p in files)
        assert len(raw) > 10_000  # the file really was read
    else:
        parts: list[bytes] = []
        with container.engine.connect() as conn:
            for table in load_all().sorted_tables:
                for row in conn.execute(sa.select(table)):
                    for value in row:
                        parts.append(bytes(value) if isinstance(value, (bytes, memoryview)) else str(value).encode())
        raw = b"\n".join(parts)
        assert b"identity.PersonRegistered" in raw  # the dump covered the outbox too
    assert masked.encode() in raw  # the scan sees the people table: the masked form is there
    for secret in secrets:
        assert secret.encode() not in raw, f"found {secret[:3]}… in clear"
