"""The collector's workspace: the queue with filters, an account with 'allowed now', attempts, outcomes, promises."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.collections.model import Medium, PromiseStatus
from fairlend.collections.wiring import Collections
from fairlend.identity.model import Role
from tests.collections.conftest import BORROWER, LOAN, World
from tests.collections.test_desk import _repay
from tests.web.helpers import csrf, denied, field, sign_in

ACCOUNT = f"/operator/collections/loans/{LOAN}"


def _plan(container: Container, c: Collections) -> None:
    with container.uow() as uow:
        c.planner.run(uow, container.clock.business_date())
        uow.commit()


@pytest.mark.parametrize(
    ("lang", "words"), [("en", ["Collections queue", "Collection call"]), ("zh-CN", ["催收队列", "催收电话"])]
)
def test_the_queue_lists_the_days_accounts_with_filters_in_both_languages(
    api: TestClient, container: Container, world: World, lang: str, words: list[str]
) -> None:
    _plan(container, world.c)
    sign_in(api, container, "op_col", Role.COLLECTOR)
    page = api.get(f"/operator/collections?lang={lang}")
    assert page.status_code == 200 and all(w in page.text for w in words)
    assert f'href="{ACCOUNT}"' in page.text and "collection_call" not in page.text
    assert 'name="bucket"' in page.text and 'name="last_contact"' in page.text
    assert f'data-loan="{LOAN}"' not in api.get("/operator/collections?bucket=M2").text
    assert f'data-loan="{LOAN}"' in api.get("/operator/collections?bucket=M1&last_contact=never").text


def test_the_account_shows_the_loan_the_debtors_time_and_what_is_allowed_now(
    api: TestClient, container: Container, world: World
) -> None:
    sign_in(api, container, "op_col", Role.COLLECTOR)
    page = api.get(f"{ACCOUNT}?lang=en")
    assert page.status_code == 200
    assert "The debtor&#39;s local time" in page.text and "2026-03-02 10:00" in page.text
    assert "+86138****5678" in page.text and "+8613812345678" not in page.text
    assert 'data-medium="call" data-kind="debtor"' in page.text and "until 22:00" in page.text
    assert world.c.service.contacts_about(BORROWER) == []  # looking records nothing


def test_a_blocked_attempt_shows_its_rule_and_the_borrowers_words_and_is_logged(
    api: TestClient, container: Container, world: World, clock: FixedClock
) -> None:
    clock.set(datetime(2026, 3, 2, 15, 0, tzinfo=UTC))  # 23:00 in Shanghai
    sign_in(api, container, "op_col", Role.COLLECTOR)
    page = api.get(f"{ACCOUNT}?lang=zh-CN").text
    token, key = csrf(page), field(page, "form_key")
    got = api.post(
        f"{ACCOUNT}/attempt", data={"medium": "call", "template": "collection", "csrf_token": token, "form_key": key}
    )
    assert got.status_code == 409
    assert "CN-5" in got.text and "22:00至次日08:00不得催收" in got.text and "网关拦截了本次联系" in got.text
    (logged,) = world.c.service.contacts_about(BORROWER)
    assert logged.outcome == "blocked" and logged.collector_id == "op_col"


def test_an_allowed_call_then_its_outcome_and_a_promise_kept(
    api: TestClient, container: Container, world: World
) -> None:
    sign_in(api, container, "op_col", Role.COLLECTOR)
    account = api.get(ACCOUNT).text
    token = csrf(account)
    sent = api.post(
        f"{ACCOUNT}/attempt",
        data={"medium": "call", "template": "collection", "csrf_token": token, "form_key": field(account, "form_key")},
        follow_redirects=False,
    )
    assert sent.status_code == 303 and "sent=" in sent.headers["location"]
    (call,) = world.c.service.contacts_about(BORROWER)
    page = api.get(ACCOUNT + "?lang=en")
    assert 'name="log_id" value="' + call.id in page.text
    heard = api.post(
        f"{ACCOUNT}/outcome",
        data={"log_id": call.id, "result": "answered", "note": "will pay friday", "csrf_token": token},
        follow_redirects=False,
    )
    assert heard.status_code == 303 and world.c.desk.outcomes_for(LOAN)[call.id].note == "will pay friday"
    due = (container.clock.business_date() + timedelta(days=3)).isoformat()
    made = api.post(
        f"{ACCOUNT}/promise", data={"due_on": due, "amount": "300.00", "csrf_token": token}, follow_redirects=False
    )
    assert made.status_code == 303
    _repay(world, 30_000)
    (promise,) = world.c.desk.promises_for(LOAN)
    assert promise.status is PromiseStatus.KEPT
    assert "Kept" in api.get(ACCOUNT + "?lang=en").text and "已兑现" in api.get(ACCOUNT + "?lang=zh-CN").text


def test_an_attempt_to_a_contact_person_the_borrower_never_named_is_refused(
    api: TestClient, container: Container, world: World
) -> None:
    sign_in(api, container, "op_col", Role.COLLECTOR)
    account = api.get(ACCOUNT).text
    got = api.post(
        f"{ACCOUNT}/attempt?lang=en",
        data={
            "medium": "sms",
            "recipient": "cp:cp_nobody",
            "template": "free_text",
            "text": "pay",
            "csrf_token": csrf(account),
            "form_key": field(account, "form_key"),
        },
    )
    assert got.status_code == 422 and "The borrower named no such contact person" in got.text
    assert world.c.service.contacts_about(BORROWER) == []


def test_bad_promises_and_outcomes_come_back_in_the_pages_language(
    api: TestClient, container: Container, world: World
) -> None:
    sign_in(api, container, "op_col", Role.COLLECTOR)
    token = csrf(api.get(ACCOUNT).text)
    past = (container.clock.business_date() - timedelta(days=1)).isoformat()
    got = api.post(f"{ACCOUNT}/promise?lang=zh-CN", data={"due_on": past, "amount": "1", "csrf_token": token})
    assert got.status_code == 422 and "请填写今天起31天内的日期" in got.text
    got = api.post(f"{ACCOUNT}/outcome?lang=en", data={"log_id": "ctc_x", "result": "answered", "csrf_token": token})
    assert got.status_code == 422 and "No such contact attempt" in got.text


@pytest.mark.parametrize("role", [Role.COMPLIANCE, Role.UNDERWRITER, Role.BORROWER, Role.INVESTOR])
def test_the_collectors_pages_refuse_other_roles(
    api: TestClient, container: Container, world: World, role: Role
) -> None:
    sign_in(api, container, "someone", role)
    assert denied(api.get("/operator/collections", follow_redirects=False))
    assert denied(api.get(ACCOUNT, follow_redirects=False))
    posted = api.post(f"{ACCOUNT}/attempt", data={"medium": "call"}, follow_redirects=False)
    assert denied(posted)
    assert world.c.service.contacts_about(BORROWER) == []


def test_the_account_names_a_contact_person_masked_never_in_full(
    api: TestClient, container: Container, world: World
) -> None:
    person = world.c.service.name_contact_person(BORROWER, "李四光", "friend", "+8613912345678")
    code = next(v for (phone, _purpose), v in world.otp.sent.items() if phone == "+8613912345678")
    world.c.service.confirm_contact_person(person.id, code)
    sign_in(api, container, "op_col", Role.COLLECTOR)
    page = api.get(f"{ACCOUNT}?lang=zh-CN").text
    assert f'value="cp:{person.id}"' in page
    assert "李四光" not in page and "李*" in page  # the borrower's friend is not the collector's business


def test_the_same_attempt_form_sent_twice_contacts_the_debtor_once(
    api: TestClient, container: Container, world: World, clock: FixedClock
) -> None:
    sign_in(api, container, "op_col", Role.COLLECTOR)
    account = api.get(ACCOUNT).text
    data = {
        "medium": "sms",
        "template": "collection",
        "csrf_token": csrf(account),
        "form_key": field(account, "form_key"),
    }
    first = api.post(f"{ACCOUNT}/attempt", data=data, follow_redirects=False)
    again = api.post(f"{ACCOUNT}/attempt", data=data, follow_redirects=False)  # a double click
    assert first.status_code == again.status_code == 303 and first.headers["location"] == again.headers["location"]
    assert len(world.c.service.contacts_about(BORROWER)) == 1 and len(world.channel(Medium.SMS).sent) == 1
    # A blocked attempt replays as blocked, with its rules, and is logged once too.
    clock.set(datetime(2026, 3, 2, 15, 0, tzinfo=UTC))
    sign_in(api, container, "op_col", Role.COLLECTOR)  # a new shift: the day's session has ended
    night = api.get(ACCOUNT).text
    data = {"medium": "call", "template": "collection", "csrf_token": csrf(night), "form_key": field(night, "form_key")}
    blocked = [api.post(f"{ACCOUNT}/attempt", data=data) for _ in range(2)]
    assert [b.status_code for b in blocked] == [409, 409] and all("CN-5" in b.text for b in blocked)
    assert len(world.c.service.contacts_about(BORROWER)) == 2
    # The same key for another request is refused and contacts nobody.
    changed = api.post(f"{ACCOUNT}/attempt", data={**data, "medium": "sms"})
    assert changed.status_code == 422 and len(world.c.service.contacts_about(BORROWER)) == 2
