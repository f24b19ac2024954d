from __future__ import annotations

from datetime import date

import pytest

from fairlend.bootstrap import Container
from fairlend.errors import Forbidden
from fairlend.origination.adapters import IdentityAdapter
from fairlend.origination.fakes import FakeBureau, FakeLending
from fairlend.origination.ports import ReportAccount
from fairlend.origination.service import OriginationService
from tests.identity.helpers import verified_borrower
from tests.origination.support import yuan


def _service(container: Container) -> tuple[OriginationService, FakeBureau]:
    assert container.scoring is not None
    bureau = FakeBureau(container.clock.business_date())
    service = OriginationService(
        container.uow,
        container.clock,
        container.profile,
        container.scoring,
        IdentityAdapter(container.identity),
        bureau,
        FakeLending(),
    )
    return service, bureau


def test_the_identity_adapter_maps_kyc_and_consent_from_the_real_identity_service(container: Container) -> None:
    who, _, number = verified_borrower(container)
    adapter = IdentityAdapter(container.identity)
    levels = adapter.kyc_levels(who.subject_id)
    assert levels.identity_verified and not levels.bank_card_verified
    assert adapter.reporting_identity(who.subject_id).id_number == number
    assert adapter.live_consent(who.subject_id, "credit_inquiry", "fairlend") is None
    given = container.identity.consents.give(
        who.subject_id, "credit_inquiry", "credit-inquiry/v1", institution="fairlend"
    )
    live = adapter.live_consent(who.subject_id, "credit_inquiry", "fairlend")
    assert live is not None and live.consent_id == given.consent_id
    assert adapter.live_consent(who.subject_id, "credit_inquiry", "another-lender") is None


def test_apply_with_real_identity_needs_its_consent_before_the_hard_inquiry(container: Container) -> None:
    service, bureau = _service(container)
    who, _, number = verified_borrower(container)
    bureau.accounts[number] = [ReportAccount("bank_a", True, date(2018, 1, 1), yuan(1_000), yuan(20_000))]
    with pytest.raises(Forbidden):
        service.apply(who.subject_id, yuan(3_000), 12, inquiry_disclosure_acknowledged=True)
    assert bureau.hard_inquiry_count(number) == 0
    given = container.identity.consents.give(
        who.subject_id, "credit_inquiry", "credit-inquiry/v1", institution="fairlend"
    )
    view = service.apply(who.subject_id, yuan(3_000), 12, inquiry_disclosure_acknowledged=True)
    assert bureau.hard_inquiry_count(number) == 1
    assert bureau.attestations[0].consent_id == given.consent_id
    assert view.decision in {"approve", "decline", "refer"} and view.score > 0
