from datetime import time
from decimal import Decimal
from importlib import resources

import pytest

from fairlend.jurisdiction.loader import ProfileError, load_profile, parse_profile
from fairlend.jurisdiction.model import (
    CapCounting,
    CapScope,
    DeclineReason,
    NegativeNotice,
    StatusCodeSet,
    ThirdPartyAllowance,
)


def _cn_text() -> str:
    return resources.files("fairlend.jurisdiction").joinpath("cn.toml").read_text("utf-8")


def test_cn_profile_takes_the_strictest_chinese_rules() -> None:
    cn = load_profile("cn")
    assert cn.currency == "CNY"
    window = cn.collections.contact_window
    assert (window.start, window.end) == (time(8), time(22))
    caps = {cap.rule: cap for cap in cn.collections.call_caps}
    assert (caps["CN-5"].count, caps["CN-5"].counting, caps["CN-5"].scope) == (
        3,
        CapCounting.CONNECTED,
        CapScope.PER_DEBTOR,
    )
    assert (caps["CN-6"].count, caps["CN-6"].counting, caps["CN-6"].scope) == (
        6,
        CapCounting.ATTEMPTS,
        CapScope.PER_NUMBER,
    )
    assert cn.collections.third_party.allowed is ThirdPartyAllowance.PRE_AGREED_CONTACT_WHEN_UNREACHABLE
    assert cn.collections.third_party.disclosure == "never"
    assert cn.collections.collection_start_dpd == 3
    assert cn.collections.record_retention_years == 5
    assert cn.bureau.history_months == 60 and cn.bureau.dispute_deadline_days == 20
    assert cn.bureau.negative_notice is NegativeNotice.BEFORE and cn.bureau.negative_retention_years == 5
    assert cn.bureau.free_reports_per_year == 2 and cn.bureau.status_codes is StatusCodeSet.CN17
    assert cn.pricing.apr_cap == Decimal("0.24")


def test_us_profile_carries_regulation_f_and_fcra() -> None:
    us = load_profile("us")
    assert (us.collections.contact_window.start, us.collections.contact_window.end) == (time(8), time(21))
    (cap,) = us.collections.call_caps
    assert (cap.rule, cap.count, cap.window_days) == ("US-1", 7, 7)
    assert us.collections.quiet_days_after_conversation == 7
    assert us.collections.third_party.allowed is ThirdPartyAllowance.LOCATION_ONLY
    assert us.collections.record_retention_years == 3
    assert us.bureau.status_codes is StatusCodeSet.METRO2 and us.bureau.history_months == 24
    assert us.bureau.negative_retention_years == 7 and us.bureau.dispute_deadline_days == 30


def test_buckets_cover_every_day_past_due() -> None:
    cn = load_profile("cn")
    assert [cn.bucket_for(d).name for d in (0, 1, 30, 31, 61, 91, 181, 5000)] == [
        "current",
        "M1",
        "M1",
        "M2",
        "M3",
        "M4-M6",
        "M6+",
        "M6+",
    ]


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("count = 3\n", 'count = "three"\n', "collections.call_caps[0].count"),
        ('apr_cap = "0.24"', "apr_cap = 0.24", "pricing.apr_cap"),
        ('apr_cap = "0.24"', 'apr_cap = "2.4"', "pricing.apr_cap"),
        ('scope = "per_debtor"', 'scope = "per_galaxy"', "collections.call_caps[0].scope"),
        ("history_months = 60", "history_monthz = 60", "bureau.history_monthz"),
        ('start = "08:00"', 'start = "23:00"', "collections.contact_window"),
        ("min_dpd = 31", "min_dpd = 32", "delinquency_buckets[2].min_dpd"),
        # The content rules and templates moved into the profile: each bad one is named too.
        ('zh = ["坐牢"', 'zh = ["re:(unclosed"', "collections.content.prohibited[0].phrases.zh[0]"),
        ('zh = ["坐牢"', 'zh = ["re:x*"', "collections.content.prohibited[0].phrases.zh[0]"),
        ('zh = ["坐牢"', 'zh = ["  "', "collections.content.prohibited[0].phrases.zh[0]"),
        ("media = []", 'media = ["pigeon"]', "collections.content.opt_out.media[0]"),
        ("请转告{name}回电", "请转告{name}回电还欠款", "collections.content.templates[7].zh"),
        ("请转告{name}回电", "请转告{nmae}回电", "collections.content.templates[7].zh"),
        ("请与我们协商还款", "否则后果自负", "collections.content.templates[2].zh"),
        ('id = "collection"', 'id = "reminder"', "collections.content.templates[2].id"),
        (
            'cease_exempt_purposes = ["legal_notice"',
            'cease_exempt_purposes = ["collection"',
            "collections.cease_exempt_purposes[0]",
        ),
        ("answer_days = 15", "answer_days = 1", "collections.complaints"),
        ('purpose = "third_party"', 'purpose = "collection"', "collections.content.templates"),
        # The marketplace (MK-1, MK-2): partners never squeeze the platform below its share.
        ('share = "0.70"', 'share = "0.71"', "marketplace.funding_partners"),
        ('share = "0.70"', 'share = "0"', "marketplace.funding_partners[0].share"),
        ('id = "inv_partner_bank"', 'id = "partner_bank"', "marketplace.funding_partners[0].id"),
        ("retail = false ", "retail = true ", "marketplace.funding_partners"),
        ("note_minimum_minor = 5000", "note_minimum_minor = 0", "marketplace.note_minimum_minor"),
        ('servicing_fee_rate = "0.01"', 'servicing_fee_rate = "1.5"', "marketplace.servicing_fee_rate"),
        ('suitability_share = "0"', 'suitability_share = "-0.1"', "marketplace.investors.suitability_share"),
    ],
)
def test_a_bad_field_is_named(old: str, new: str, field: str) -> None:
    text = _cn_text()
    assert old in text
    with pytest.raises(ProfileError) as caught:
        parse_profile(text.replace(old, new, 1))
    assert caught.value.field == field


def test_cn_funds_through_a_partner_and_the_platform_and_us_through_retail_investors() -> None:
    cn, us = load_profile("cn").marketplace, load_profile("us").marketplace
    # MK-1: no retail P2P in China; MK-2: the platform keeps at least 30 % of each loan.
    assert (cn.retail, cn.retail_rule, cn.platform_min_share, cn.platform_min_share_rule) == (
        False,
        "MK-1",
        Decimal("0.30"),
        "MK-2",
    )
    assert [(p.id, p.share) for p in cn.funding_partners] == [("inv_partner_bank", Decimal("0.70"))]
    assert (cn.borrower_cap_minor, cn.borrower_cap_all_minor) == (20_000_000, 100_000_000)
    # MK-5: verified investors within a suitability limit; $25 notes.
    assert (us.retail, us.funding_partners, us.note_minimum_minor) == (True, (), 2500)
    assert (us.investors.verified_required, us.investors.suitability_share) == (True, Decimal("0.10"))
    assert "guaranteed" in us.investors.risk_warning.en and "不保证" in cn.investors.risk_warning.zh


def test_a_missing_field_is_named() -> None:
    text = _cn_text().replace("free_reports_per_year = 2", "")
    with pytest.raises(ProfileError, match="bureau.free_reports_per_year: missing"):
        parse_profile(text)


def test_an_unknown_profile_is_refused() -> None:
    with pytest.raises(Exception, match="unknown_jurisdiction|no built-in profile"):
        load_profile("atlantis")


def test_both_profiles_carry_hardship_rules_with_their_re_age_policies() -> None:
    cn, us = load_profile("cn").hardship, load_profile("us").hardship
    assert (cn.reage.payments_required, cn.reage.consecutive_on_time, cn.reage.max_in_12_months) == (1, False, 0)
    assert (us.reage.payments_required, us.reage.consecutive_on_time) == (3, True)
    assert (us.reage.max_in_12_months, us.reage.max_in_5_years) == (1, 2)
    assert cn.interest_stop.max_periods == 60 and cn.interest_stop.enabled
    assert cn.answer_days == 15 and us.answer_days == 30
    assert cn.approval_threshold_minor == 200_000 and us.approval_threshold_minor == 50_000
    for rules in (cn, us):  # "more information needed" asks the borrower to ask again, not to wait
        assert DeclineReason.INCOMPLETE not in rules.cooldown_reasons
        assert DeclineReason.AFFORDABILITY in rules.cooldown_reasons


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ('max_discount = "0.50"', 'max_discount = "1.5"', "hardship.discounted_settlement.max_discount"),
        ("payments_required = 1", "payments_required = 0", "hardship.reage"),
        ('interest = "accrue"', 'interest = "sometimes"', "hardship.payment_holiday.interest"),
        ('consent_version = "hardship-consent-v1"', 'consent_version = ""', "hardship.consent_version"),
        ('cooldown_reasons = ["affordability"', 'cooldown_reasons = ["too_poor"', "hardship.cooldown_reasons[0]"),
    ],
)
def test_a_bad_hardship_rule_is_named(old: str, new: str, field: str) -> None:
    text = _cn_text()
    assert old in text
    with pytest.raises(ProfileError) as caught:
        parse_profile(text.replace(old, new, 1))
    assert caught.value.field == field
