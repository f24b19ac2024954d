"""The collector's and the compliance officer's day in headless Chromium, in zh-CN and en.

Each test signs in through the operator log-in page and fails on a console
error, a 404 or 5xx response, or a form field without a label on any page it
visits (`Guard`). Collections runs over the in-memory ports (`world`), the
server over the same container, so the test moves the shared clock between
steps: night for a blocked call, day for an allowed one, the day after a
promise's date for a broken one.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pyotp
import pytest
from playwright.sync_api import ConsoleMessage, Locator, Page, Response, expect

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.collections.model import ComplaintCategory, ComplaintStatus
from fairlend.identity.model import Role
from tests.collections.conftest import BORROWER, LOAN, World
from tests.collections.test_desk import _repay

ACCOUNT = f"/operator/collections/loans/{LOAN}"
DAY = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, a Monday
EARLY = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)  # 07:30 in Shanghai the same Monday: before the window opens

UNLABELLED = """() => Array.from(document.querySelectorAll('input, select, textarea'))
  .filter(e => !['hidden', 'submit', 'button', 'reset'].includes((e.getAttribute('type') || '').toLowerCase()))
  .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
  .map(e => location.pathname + ': ' + e.outerHTML.slice(0, 120))"""

TEXTS = {
    "zh-CN": {
        "blocked": "网关拦截了本次联系",
        "cn5": "22:00至次日08:00不得催收",
        "sent": "网关已放行",
        "recorded": "通话结果已记录",
        "answered": "已接听",
        "kept": "已兑现",
        "broken_step": "承诺未兑现：再次联系",
        "missed": "已超期",
        "acknowledged": "已确认受理",
        "extended": "已延期一次",
        "answered_done": "已答复",
    },
    "en": {
        "blocked": "The gateway blocked this attempt",
        "cn5": "no collection between 22:00 and 08:00",
        "sent": "The gateway allowed it",
        "recorded": "Call outcome recorded",
        "answered": "Answered",
        "kept": "Kept",
        "broken_step": "Promise broken: call again",
        "missed": "Deadline missed",
        "acknowledged": "Acknowledged",
        "extended": "Extended once",
        "answered_done": "Answered",
    },
}


class Guard:
    """What must never happen on a page the test visits: console errors, 404s, 5xx, unlabelled fields."""

    def __init__(self, page: Page) -> None:
        self.found: list[str] = []
        self.visited: set[str] = set()
        # Documents the test means to get with a 4xx (a blocked attempt is 409): Chromium logs a
        # "Failed to load resource" console error for them, which is that status, not a script's error.
        self.expected: set[tuple[str, int]] = set()
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.found.append(f"page error: {error}"))
        page.on("response", self._response)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            url = str(message.location.get("url", "")).split("?")[0]
            if any(url.endswith(path) and f"status of {code} " in message.text for path, code in self.expected):
                return
            self.found.append(f"console error: {message.text} ({message.location.get('url', '')})")

    def _response(self, response: Response) -> None:
        if response.status == 404 or response.status >= 500:
            self.found.append(f"{response.status} {response.request.method} {response.url}")

    def look(self, page: Page) -> None:
        """Called on every page the test lands on: no form field without a label."""
        page.wait_for_load_state("load")
        self.visited.add(page.url.split("?")[0])
        self.found += page.evaluate(UNLABELLED)

    def assert_clean(self) -> None:
        assert self.found == [], "\n".join(self.found)


def _sign_in(page: Page, server: str, container: Container, username: str, secret: str, lang: str) -> None:
    page.goto(f"{server}/operator/login?lang={lang}")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", f"{username} password for the day")
    page.fill("input[name=totp_code]", pyotp.TOTP(secret).at(container.clock.now()))
    page.click("[data-testid=operator-login] button")
    page.wait_for_url(f"{server}/operator")


def _operator(container: Container, username: str, role: Role) -> str:
    return container.identity.accounts.create_operator(username, f"{username} password for the day", role).totp_secret


def _plan(container: Container, world: World) -> None:
    with container.uow() as uow:
        world.c.planner.run(uow, container.clock.business_date())
        uow.commit()


def _call_row(page: Page) -> Locator:
    return page.locator("[data-testid=allowed-now] tr[data-medium=call][data-kind=debtor]")


def _attempt_a_call(page: Page) -> None:
    form = page.get_by_test_id("attempt-form")
    form.locator("select[name=medium]").select_option("call")
    form.locator("select[name=recipient]").select_option("debtor")
    form.locator("select[name=template]").select_option("collection")
    form.locator("button").click()


def _promise(page: Page, due: date, amount: str) -> None:
    form = page.get_by_test_id("promise-form")
    form.locator("input[name=due_on]").fill(due.isoformat())
    form.locator("input[name=amount]").fill(amount)
    form.locator("button").click()


@pytest.mark.browser
@pytest.mark.backends("sqlite")
@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_a_collectors_day_queue_account_blocked_and_allowed_calls_an_outcome_and_promises_kept_and_broken(
    world: World, server: str, page: Page, container: Container, clock: FixedClock, lang: str
) -> None:
    texts = TEXTS[lang]
    guard = Guard(page)
    secret = _operator(container, "cora", Role.COLLECTOR)
    clock.set(EARLY)  # the collector starts before 08:00 (a session lasts 8 hours: the day fits in one)
    _plan(container, world)
    _sign_in(page, server, container, "cora", secret, lang)

    # The queue, filtered: the account is in M1 and was never contacted; nothing is in M2.
    page.goto(f"{server}/operator/collections")
    guard.look(page)
    filters = page.get_by_test_id("queue-filters")
    filters.locator("select[name=bucket]").select_option("M2")
    filters.locator("button").click()
    guard.look(page)
    expect(page.locator(f"tr[data-loan={LOAN}]")).to_have_count(0)
    filters.locator("select[name=bucket]").select_option("M1")
    filters.locator("select[name=last_contact]").select_option("never")
    filters.locator("button").click()
    guard.look(page)
    assert "bucket=M1" in page.url and "last_contact=never" in page.url
    page.locator(f"tr[data-loan={LOAN}] a").click()
    page.wait_for_url(re.compile(re.escape(ACCOUNT)))
    guard.look(page)
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.get_by_test_id("debtor-time")).to_contain_text("2026-03-02 07:30")

    # Before 08:00 the gateway says no: the preview shows it, and an attempt is blocked with its rule.
    expect(_call_row(page)).to_have_class("blocked")
    expect(_call_row(page)).to_contain_text("CN-5")
    guard.expected.add((f"{ACCOUNT}/attempt", 409))
    _attempt_a_call(page)
    guard.look(page)
    guard.expected.clear()
    blocked = page.get_by_test_id("blocked")
    expect(blocked).to_contain_text(texts["blocked"])
    expect(blocked).to_contain_text("CN-5")
    expect(blocked).to_contain_text(texts["cn5"])
    (logged,) = world.c.service.contacts_about(BORROWER)
    assert logged.outcome == "blocked" and logged.collector_id

    # In the morning the same call goes, and the collector records what they heard.
    clock.set(DAY)
    page.goto(f"{server}{ACCOUNT}")
    guard.look(page)
    expect(_call_row(page)).to_have_class("allowed")
    _attempt_a_call(page)
    guard.look(page)
    expect(page.get_by_test_id("sent")).to_contain_text(texts["sent"])
    outcome = page.get_by_test_id("outcome-form")
    outcome.locator("select[name=result]").select_option("answered")
    outcome.locator("input[name=note]").fill("will pay by Thursday")
    outcome.locator("button").click()
    guard.look(page)
    expect(page.get_by_test_id("recorded")).to_contain_text(texts["recorded"])
    expect(page.get_by_test_id("contact-log")).to_contain_text(texts["answered"])
    expect(page.get_by_test_id("contact-log")).to_contain_text("will pay by Thursday")

    # A promise kept: repayments reach the amount by the date.
    today = clock.business_date()
    _promise(page, today + timedelta(days=3), "300.00")
    guard.look(page)
    expect(page.get_by_test_id("promised")).to_be_visible()
    _repay(world, 30_000)
    page.reload()
    guard.look(page)
    expect(page.get_by_test_id("promises").locator("tr.promise-kept")).to_contain_text(texts["kept"])

    # A promise broken: nothing paid by its date; end of day puts the account back in the next day's queue.
    due = today + timedelta(days=1)
    _promise(page, due, "100")
    guard.look(page)
    expect(page.get_by_test_id("promises").locator("tr.promise-pending")).to_have_count(1)
    with container.uow() as uow:
        assert world.c.promises.run(uow, due) == 1
        uow.commit()
    clock.set(DAY + timedelta(days=2))
    clock.set_business_date(due + timedelta(days=1))
    _sign_in(page, server, container, "cora", secret, lang)  # a new day, a new session
    page.goto(f"{server}/operator/collections")
    guard.look(page)
    page.get_by_test_id("queue-filters").locator("select[name=promise]").select_option("broken")
    page.get_by_test_id("queue-filters").locator("button").click()
    guard.look(page)
    row = page.locator(f"tr[data-loan={LOAN}]")
    expect(row).to_have_class("late")
    expect(row).to_contain_text(texts["broken_step"])
    row.locator("a").click()
    guard.look(page)
    expect(page.get_by_test_id("promises").locator("tr.promise-broken")).to_have_count(1)

    assert {f"{server}/operator/collections", f"{server}{ACCOUNT}"} <= guard.visited
    guard.assert_clean()


@pytest.mark.browser
@pytest.mark.backends("sqlite")
@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_a_compliance_officer_answers_a_complaint_inside_its_clock_and_sees_a_missed_one(
    world: World, server: str, page: Page, container: Container, clock: FixedClock, lang: str
) -> None:
    texts = TEXTS[lang]
    guard = Guard(page)
    forgotten = world.c.complaints.file(BORROWER, LOAN, ComplaintCategory.OTHER, "nobody wrote back")
    clock.advance(timedelta(days=20))  # past both of its clocks
    fresh = world.c.complaints.file(BORROWER, LOAN, ComplaintCategory.HARASSMENT, "three calls before 8")
    secret = _operator(container, "cleo", Role.COMPLIANCE)
    _sign_in(page, server, container, "cleo", secret, lang)

    page.goto(f"{server}/operator/compliance")
    guard.look(page)
    late = page.locator(f"tr[data-complaint={forgotten.id}]")
    expect(late).to_have_class("late")
    expect(late).to_contain_text(texts["missed"])
    expect(page.locator(f"tr[data-complaint={fresh.id}]")).not_to_have_class("late")

    page.locator(f"tr[data-complaint={forgotten.id}] a").click()
    guard.look(page)
    expect(page.get_by_test_id("missed")).to_be_visible()
    page.go_back()

    page.locator(f"tr[data-complaint={fresh.id}] a").click()
    guard.look(page)
    expect(page.get_by_test_id("text")).to_contain_text("three calls before 8")
    expect(page.get_by_test_id("missed")).to_have_count(0)
    page.get_by_test_id("acknowledge-form").locator("button").click()
    guard.look(page)
    expect(page.get_by_test_id("done")).to_contain_text(texts["acknowledged"])
    page.get_by_test_id("extend-form").locator("input[name=reason]").fill("we are pulling the call recordings")
    page.get_by_test_id("extend-form").locator("button").click()
    guard.look(page)
    expect(page.get_by_test_id("done")).to_contain_text(texts["extended"])
    expect(page.get_by_test_id("extend-form")).to_have_count(0)  # once
    clock.advance(timedelta(hours=2))
    page.get_by_test_id("answer-form").locator("textarea[name=answer]").fill("We stopped the early calls.")
    page.get_by_test_id("answer-form").locator("button").click()
    guard.look(page)
    expect(page.get_by_test_id("status")).to_contain_text(texts["answered_done"])
    expect(page.get_by_test_id("answer")).to_contain_text("We stopped the early calls.")

    view = world.c.complaints.get(fresh.id)
    assert view.status is ComplaintStatus.ANSWERED and not view.ack_breached and not view.answer_breached
    assert view.extended_at is not None
    assert world.c.complaints.get(forgotten.id).answer_breached
    guard.assert_clean()
