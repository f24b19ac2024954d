from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import insert

from fairlend.bootstrap import Container, bootstrap
from fairlend.clock import FixedClock
from fairlend.config import Settings
from fairlend.errors import Conflict, Invalid
from fairlend.identity.accounts import execute_unique
from fairlend.identity.checks import check_id_number
from fairlend.identity.model import KycLevel, OtpPurpose, Role
from fairlend.identity.tables import identity_person
from tests.identity.helpers import cn_id_number, code_for, sign_up

TODAY = date(2026, 3, 2)


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=date(1940, 1, 1), max_value=date(2008, 3, 2)), st.integers(0, 999))
def test_every_adult_resident_id_number_passes_and_any_other_birth_date_is_refused(born: date, sequence: int) -> None:
    number = cn_id_number(born, sequence=sequence)
    assert check_id_number(number, "cn.ric", born, TODAY).birth_date == born
    with pytest.raises(Invalid) as caught:
        check_id_number(number, "cn.ric", born + timedelta(days=1), TODAY)
    assert caught.value.code in ("id_birth_date_mismatch", "under_age")


def test_a_person_sets_their_own_time_zone_for_contact_windows(container: Container) -> None:
    who = sign_up(container)
    assert container.identity.accounts.set_timezone(who.subject_id, "Asia/Urumqi") == "Asia/Urumqi"
    assert container.identity.contact_point(who.subject_id).timezone == "Asia/Urumqi"
    for bad in ("Mars/Olympus", "", "../etc/passwd"):
        with pytest.raises(Invalid) as refused:
            container.identity.accounts.set_timezone(who.subject_id, bad)
        assert refused.value.code == "invalid_timezone"
    assert container.identity.person(who.subject_id).timezone == "Asia/Urumqi"


def test_a_unique_clash_that_slips_past_the_check_is_a_conflict_not_a_crash(container: Container) -> None:
    who = sign_up(container)
    with container.uow(read_only=True) as uow:
        row = uow.conn.execute(identity_person.select()).one()
    duplicate = dict(row._mapping) | {"id": "brw_duplicate"}
    with container.uow() as uow, pytest.raises(Conflict) as caught:
        execute_unique(uow, Conflict("phone_already_registered", "taken"), insert(identity_person).values(**duplicate))
    assert caught.value.code == "phone_already_registered"
    assert container.identity.person(who.subject_id).person_id == who.subject_id


@pytest.mark.backends("sqlite")
def test_the_us_profile_takes_us_mobiles_and_social_security_numbers(
    tmp_path: Path, clock: FixedClock, sqlite_template: Path
) -> None:
    import shutil

    shutil.copyfile(sqlite_template, tmp_path / "us.db")
    us = bootstrap(
        Settings(environment="test", database_url=f"sqlite:///{tmp_path}/us.db", data_dir=tmp_path, jurisdiction="us"),
        clock=clock,
    )
    try:
        phone = "4155552671"
        us.identity.otp.send_code(phone, OtpPurpose.SIGN_UP)
        who = us.identity.accounts.sign_up(phone, code_for(us, phone, OtpPurpose.SIGN_UP), Role.BORROWER)
        with pytest.raises(Invalid) as wrong_region:
            us.identity.otp.send_code("13912345678", OtpPurpose.SIGN_UP)
        assert wrong_region.value.code in ("phone_wrong_region", "invalid_phone")
        record = us.identity.kyc.verify_identity(who.subject_id, "Ada Lovelace", "536-90-4399", date(1980, 1, 1))
        assert record.level is KycLevel.IDENTITY_VERIFIED
        facts = us.identity.person(who.subject_id)
        assert facts.masked_phone == "415***2671"
        reporting = us.identity.reporting_identity(who.subject_id)
        assert (reporting.id_number, reporting.id_scheme) == ("536904399", "us.ssn")
        with pytest.raises(Invalid) as young:
            other = sign_up(us, "4155552672")
            us.identity.kyc.verify_identity(other.subject_id, "Kid", "536-90-4398", date(2010, 1, 1))
        assert young.value.code == "under_age"
    finally:
        us.close()


def test_sign_up_codes_do_not_open_log_in(container: Container, clock: FixedClock) -> None:
    phone = "13900009999"
    sign_up(container, phone)
    clock.advance(timedelta(minutes=1, seconds=1))
    container.identity.otp.send_code(phone, OtpPurpose.SIGN_UP)
    with pytest.raises(Invalid) as refused:
        container.identity.accounts.log_in(phone, code_for(container, phone, OtpPurpose.SIGN_UP), Role.BORROWER)
    assert refused.value.code == "code_expired"
