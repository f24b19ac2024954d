import pytest
from sqlalchemy import select

from fairlend.bootstrap import Container
from fairlend.errors import Conflict, Invalid
from fairlend.identity.model import CertificateKind, CertificateStatus, Role
from fairlend.identity.tables import identity_certificate, identity_certificate_file
from fairlend.money import Money
from tests.identity.helpers import sign_up

PDF = b"%PDF-1.4\n% salary flow 110101199003070011\n%%EOF"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_an_upload_is_sniffed_stored_encrypted_and_read_back(container: Container) -> None:
    who = sign_up(container)
    certificates = container.identity.certificates
    cert = certificates.upload(who.subject_id, "salary_flow", Money.of("8500.00", "CNY"), PDF, filename="flow.pdf")
    assert cert.status is CertificateStatus.PENDING and cert.content_type == "application/pdf"
    assert certificates.file(who.subject_id, cert.certificate_id).content == PDF
    with container.uow(read_only=True) as uow:
        stored = uow.conn.execute(select(identity_certificate_file.c.content)).scalar_one()
    assert b"110101199003070011" not in bytes(stored) and b"%PDF" not in bytes(stored)


def test_only_approved_certificates_reach_scoring(container: Container) -> None:
    who = sign_up(container)
    certificates = container.identity.certificates
    flow = certificates.upload(who.subject_id, CertificateKind.SALARY_FLOW, Money.of("9000", "CNY"), PDF)
    car = certificates.upload(who.subject_id, CertificateKind.VEHICLE, Money.of("120000", "CNY"), PNG)
    house = certificates.upload(who.subject_id, CertificateKind.PROPERTY, Money.of("2000000", "CNY"), PNG)
    assert {c.certificate_id for c in certificates.queue()} == {
        flow.certificate_id,
        car.certificate_id,
        house.certificate_id,
    }
    certificates.review(who.subject_id, flow.certificate_id, approve=True, reason="", reviewer_id="op_u")
    rejected = certificates.review(
        who.subject_id, car.certificate_id, approve=False, reason="the plate is unreadable", reviewer_id="op_u"
    )
    assert rejected.reason == "the plate is unreadable" and rejected.status is CertificateStatus.REJECTED
    facts = container.identity.approved_certificates(who.subject_id)
    assert [(f.certificate_id, f.kind, f.amount) for f in facts] == [
        (flow.certificate_id, CertificateKind.SALARY_FLOW, Money.of("9000", "CNY"))
    ]
    assert facts[0].approved_at == container.clock.now()
    assert [c.certificate_id for c in certificates.queue()] == [house.certificate_id]
    with pytest.raises(Conflict) as again:
        certificates.review(
            who.subject_id, flow.certificate_id, approve=False, reason="changed my mind", reviewer_id="op_u"
        )
    assert again.value.code == "certificate_already_reviewed"


def test_a_rejection_needs_a_reason(container: Container) -> None:
    who = sign_up(container)
    cert = container.identity.certificates.upload(who.subject_id, "deposit", Money.of("50000", "CNY"), PDF)
    with pytest.raises(Invalid) as caught:
        container.identity.certificates.review(
            who.subject_id, cert.certificate_id, approve=False, reason=" ", reviewer_id="op"
        )
    assert caught.value.code == "reason_required"


@pytest.mark.parametrize(
    ("content", "kwargs", "code"),
    [
        (b"GIF89a not accepted", {}, "file_type_mismatch"),
        (PNG, {"filename": "statement.pdf"}, "file_type_mismatch"),
        (PDF, {"claimed_type": "image/png"}, "file_type_mismatch"),
        (b"%PDF-" + b"0" * (10 * 1024 * 1024), {}, "file_too_large"),
    ],
)
def test_a_refused_file_stores_nothing(container: Container, content: bytes, kwargs: dict[str, str], code: str) -> None:
    who = sign_up(container)
    with pytest.raises(Invalid) as caught:
        container.identity.certificates.upload(
            who.subject_id, "housing_fund", Money.of("3000", "CNY"), content, **kwargs
        )
    assert caught.value.code == code
    with container.uow(read_only=True) as uow:
        assert uow.conn.execute(select(identity_certificate)).first() is None


def test_investors_upload_no_certificates_and_amounts_are_positive_in_the_profile_currency(
    container: Container,
) -> None:
    investor = sign_up(container, role=Role.INVESTOR)
    with pytest.raises(Invalid) as investor_refused:
        container.identity.certificates.upload(investor.subject_id, "deposit", Money.of("1", "CNY"), PDF)
    assert investor_refused.value.code == "not_a_borrower"
    borrower = sign_up(container)
    refusals = {
        "currency_mismatch": ("deposit", Money.of("1", "USD")),
        "invalid_amount": ("deposit", Money.zero("CNY")),
        "invalid_certificate_kind": ("jewellery", Money.of("1", "CNY")),
    }
    for code, (kind, amount) in refusals.items():
        with pytest.raises(Invalid) as refused:
            container.identity.certificates.upload(borrower.subject_id, kind, amount, PDF)
        assert refused.value.code == code
