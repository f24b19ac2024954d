"""Reading the audit log: filters, keyset pages both ways, the batched export, and no number in clear."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.errors import Invalid
from fairlend.identity.model import AuditAction, AuditEntry, AuditFilter, Principal, Role, mask_numbers_in_text
from fairlend.identity.sessions import SESSION, SESSIONS
from fairlend.identity.tables import identity_audit
from tests.identity.helpers import dev_card, sign_up, verified_borrower

COMPLIANCE = Principal("op_comp", Role.COMPLIANCE)
UNDERWRITER = Principal("op_uw", Role.UNDERWRITER)


def _views(container: Container, person_id: str, count: int, by: Principal = COMPLIANCE) -> None:
    for n in range(count):
        container.identity.unmasked(by, person_id, f"check {n}")


def test_each_row_says_what_happened_from_its_fields() -> None:
    at = datetime(2026, 3, 2, tzinfo=UTC)
    view = AuditEntry("op_c", "compliance", "brw_1", "name,phone,id_number,bank_cards", "complaint 7", at)
    assert view.action is AuditAction.VIEWED_IN_CLEAR
    assert view.field_names == ("name", "phone", "id_number", "bank_cards")
    logout = AuditEntry("brw_1", "borrower", "brw_1", SESSION, "logout", at)
    revoked = AuditEntry("op_a", "admin", "brw_1", SESSIONS, "sessions_revoked", at)
    assert (logout.action, revoked.action) == (AuditAction.LOGGED_OUT, AuditAction.SESSIONS_REVOKED)
    assert logout.field_names == revoked.field_names == ()


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("called 13912345678 twice", "called *******5678 twice"),
        ("ID 11010119900307001X", "ID **************001X"),
        ("card 6222 0212 3456 7890", "card ************7890"),
        ("客户13912345678投诉", "客户*******5678投诉"),
        ("+86 139-1234-5678", "*********5678"),
        ("complaint 42 of 2026-03-05", "complaint 42 of 2026-03-05"),
        ("about brw_0123456789abcdefghjkmnpqrs", "about brw_0123456789abcdefghjkmnpqrs"),
    ],
)
def test_a_number_typed_into_free_text_is_masked_and_dates_and_ids_are_not(typed: str, shown: str) -> None:
    assert mask_numbers_in_text(typed) == shown


def test_filters_by_subject_and_actor_and_reads_newest_first(container: Container) -> None:
    a, b = sign_up(container), sign_up(container)
    _views(container, a.subject_id, 2)
    _views(container, b.subject_id, 1)
    _views(container, a.subject_id, 1, UNDERWRITER)
    log = container.identity.audit
    everyone = log.page(AuditFilter()).entries
    assert [e.purpose for e in everyone] == ["check 0", "check 0", "check 1", "check 0"]
    assert [e.entry_id for e in everyone] == sorted((e.entry_id for e in everyone), reverse=True)
    of_a = log.page(AuditFilter(person_id=a.subject_id)).entries
    assert {e.person_id for e in of_a} == {a.subject_id} and len(of_a) == 3
    by_uw = log.page(AuditFilter(actor_id=UNDERWRITER.subject_id)).entries
    assert [(e.actor_id, e.actor_role, e.person_id) for e in by_uw] == [("op_uw", "underwriter", a.subject_id)]
    both = log.page(AuditFilter(person_id=b.subject_id, actor_id=UNDERWRITER.subject_id))
    assert both.entries == () and both.older is None and both.newer is None


def test_days_are_whole_days_in_the_platforms_time_zone(container: Container, clock: FixedClock) -> None:
    who = sign_up(container)
    # Shanghai is UTC+8: 15:59 UTC is 23:59 on the 2nd, 16:00 UTC is 00:00 on the 3rd.
    for instant in ("2026-03-01T16:00:00", "2026-03-02T15:59:00", "2026-03-02T16:00:00"):
        clock.set(datetime.fromisoformat(instant).replace(tzinfo=UTC))
        container.identity.contact_point(who.subject_id, purpose=instant)
    log = container.identity.audit
    second = log.page(AuditFilter(since=date(2026, 3, 2), until=date(2026, 3, 2))).entries
    assert [e.purpose for e in second] == ["2026-03-02T15:59:00", "2026-03-01T16:00:00"]
    assert [e.purpose for e in log.page(AuditFilter(since=date(2026, 3, 3))).entries] == ["2026-03-02T16:00:00"]
    assert len(log.page(AuditFilter(until=date(2026, 3, 1))).entries) == 0


def test_pages_walk_every_matching_row_once_back_and_forth(container: Container) -> None:
    who, other = sign_up(container), sign_up(container)
    for _ in range(7):
        _views(container, who.subject_id, 1)
        _views(container, other.subject_id, 1)  # interleaved rows the filter skips
    log = container.identity.audit
    mine = AuditFilter(person_id=who.subject_id)
    first = log.page(mine, limit=3)
    assert first.newer is None and first.older is not None
    second = log.page(mine, before=first.older, limit=3)
    third = log.page(mine, before=second.older, limit=3)
    assert third.older is None and third.newer is not None and len(third.entries) == 1
    walked = [e.entry_id for p in (first, second, third) for e in p.entries]
    assert walked == [e.entry_id for e in log.page(mine, limit=50).entries] and len(set(walked)) == 7
    back = log.page(mine, after=third.newer, limit=3)
    assert back.entries == second.entries and back.newer == second.newer and back.older == second.older
    top = log.page(mine, after=back.newer, limit=3)
    assert top.entries == first.entries and top.newer is None


def test_the_export_reads_every_matching_row_in_batches_and_checks_the_filter_at_once(
    container: Container,
) -> None:
    who = sign_up(container)
    _views(container, who.subject_id, 5)
    _views(container, sign_up(container).subject_id, 1)
    log = container.identity.audit
    exported = list(log.export(AuditFilter(person_id=who.subject_id), batch=2))
    assert [e.purpose for e in exported] == [f"check {n}" for n in (4, 3, 2, 1, 0)]
    with pytest.raises(Invalid) as reversed_days:
        log.export(AuditFilter(since=date(2026, 3, 5), until=date(2026, 3, 4)))  # before any row is read
    assert reversed_days.value.code == "audit_dates_reversed"


@pytest.mark.parametrize(
    ("which", "code"),
    [
        (AuditFilter(since=date(2026, 3, 5), until=date(2026, 3, 4)), "audit_dates_reversed"),
        (AuditFilter(until=date.max), "audit_date_invalid"),
        (AuditFilter(since=date.min), "audit_date_invalid"),
        (AuditFilter(person_id="brw\x00x"), "audit_filter_invalid"),
        (AuditFilter(actor_id="op_" + "x" * 40), "audit_filter_invalid"),
        (AuditFilter(actor_id="１２３"), "audit_filter_invalid"),
    ],
)
def test_a_filter_that_cannot_match_is_refused_with_a_code(container: Container, which: AuditFilter, code: str) -> None:
    with pytest.raises(Invalid) as refused:
        container.identity.audit.page(which)
    assert refused.value.code == code


def test_cursors_and_page_sizes_out_of_range_are_refused(container: Container) -> None:
    log = container.identity.audit
    for kwargs, code in (
        ({"before": 5, "after": 3}, "audit_cursor_conflict"),
        ({"limit": 0}, "audit_page_size"),
        ({"limit": 1001}, "audit_page_size"),
    ):
        with pytest.raises(Invalid) as refused:
            log.page(AuditFilter(), **kwargs)  # type: ignore[arg-type]
        assert refused.value.code == code


def test_a_number_typed_as_the_reason_is_neither_stored_nor_shown_in_clear(container: Container) -> None:
    who, phone, number = verified_borrower(container)
    card = dev_card()
    container.identity.kyc.bind_bank_card(who.subject_id, card)
    container.identity.unmasked(COMPLIANCE, who.subject_id, f"caller gave {number} and {card}")
    with container.uow(read_only=True) as uow:
        stored = uow.conn.execute(sa.select(identity_audit.c.purpose)).scalar_one()
    [entry] = container.identity.audit.entries(who.subject_id)
    for text in (stored, entry.purpose):
        assert number not in text and card not in text and number[-4:] in text
    # A row written before masking existed is masked when read.
    with container.uow() as uow:
        uow.conn.execute(sa.update(identity_audit).values(purpose=f"old row {phone}"))
        uow.commit()
    assert container.identity.audit.entries(who.subject_id)[0].purpose == f"old row *******{phone[-4:]}"


def test_contact_points_read_together_are_logged_one_row_a_person_in_each_chain(container: Container) -> None:
    who, other = sign_up(container), sign_up(container)
    container.identity.contact_point(who.subject_id, purpose="alone")  # a chain that already has a row
    points = container.identity.contact_points([who.subject_id, other.subject_id, "nobody"], purpose="together")
    assert set(points) == {who.subject_id, other.subject_id}
    assert points[who.subject_id] == container.identity.contact_point(who.subject_id, purpose="alone again")
    log = container.identity.audit
    mine = [e.purpose for e in log.page(AuditFilter(person_id=who.subject_id)).entries]
    assert mine == ["alone again", "together", "alone"]
    assert [e.purpose for e in log.page(AuditFilter(person_id=other.subject_id)).entries] == ["together"]
    assert [d for d in container.verify() if d.check == "identity.audit"] == []
    assert container.identity.contact_points([]) == {}
