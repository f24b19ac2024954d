"""Every reason and plan step the scorer can give has a sentence in each page language."""

from __future__ import annotations

import re

import pytest

from fairlend.scoring.model import ASSET_KINDS, FEATURES
from fairlend.web.i18n import LOCALES, Translator

LEVERS = {
    "verify_phone": {},
    "verify_identity": {},
    "verify_bank_card": {},
    "income_certificate": {"amount": "CNY 8,000.00"},
    "repay_overdue": {"amount": "CNY 91.68"},
    "pay_revolving": {"amount": "CNY 1,000.00", "utilisation": "50%"},
    "inquiries_expire": {"count": "2", "month": "2026-10", "days": "30", "date": "2026-11-30"},
    "record_removed": {"lender": "Bank A", "ended": "2024-01-31", "date": "2029-01-31"},
    "stay_clean": {"date": "2027-01-31", "months": "12"},
    **{f"asset_certificate.{kind.value}": {} for kind in ASSET_KINDS},
}


@pytest.mark.parametrize("locale", LOCALES)
def test_every_reason_has_a_sentence_and_english_matches_the_scorer(locale: str) -> None:
    t = Translator(locale)
    for feature in FEATURES:
        key = f"reason.{feature.name}"
        assert key in t._texts, f"{locale} lacks {key}"
        if locale == "en":
            assert t(key) == feature.describe


@pytest.mark.parametrize("locale", LOCALES)
def test_every_plan_step_has_a_sentence_that_names_all_its_values(locale: str) -> None:
    t = Translator(locale)
    for lever, params in LEVERS.items():
        key = f"plan.{lever}"
        assert key in t._texts, f"{locale} lacks {key}"
        text = t(key, **params)
        assert "{" not in text
        for value in params.values():
            if value and re.fullmatch(r"[\w ,.%-]+", value) and not value.startswith("20"):
                assert value in text or len(params) > 3, f"{key} in {locale} drops {value}"


def test_a_step_without_a_catalog_sentence_falls_back_to_the_scorers_english() -> None:
    assert Translator("zh-CN").message("plan.not_a_lever", "Do the thing") == "Do the thing"
