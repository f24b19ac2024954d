"""Load and validate a jurisdiction profile from TOML.

The loader walks the `Profile` dataclasses' type hints, so the TOML file and
the model cannot drift apart silently: an unknown key, a missing key or a
value of the wrong type is refused with the dotted path of the bad field.
"""

from __future__ import annotations

import dataclasses
import enum
import re
import tomllib
import types
import typing
from datetime import time
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any

from fairlend.errors import Invalid
from fairlend.jurisdiction.model import (
    ContentProfile,
    FinanceProfile,
    HardshipProfile,
    MarketplaceProfile,
    Phrases,
    Profile,
    TemplatePurpose,
    ThirdPartyAllowance,
)
from fairlend.jurisdiction.phrases import matcher, phrase_problem, reduce

MEDIA = ("sms", "call", "email", "letter", "visit")
# What the gateway fills in a template; anything else would reach a person as "{oops}".
PLACEHOLDERS = frozenset({"amount", "dpd", "name", "code", "due_amount", "due_date"})
# Purposes a request to stop everything may never let through: they are collection itself.
NEVER_CEASE_EXEMPT = frozenset({TemplatePurpose.COLLECTION, TemplatePurpose.THIRD_PARTY})

BUILTIN_PROFILES = ("cn", "us")


class ProfileError(Invalid):
    def __init__(self, field: str, problem: str) -> None:
        super().__init__("invalid_profile", f"{field}: {problem}", field=field)
        self.field = field


def _convert(value: Any, hint: Any, path: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _convert(value, inner, path)
    if origin is tuple:
        if not isinstance(value, list):
            raise ProfileError(path, f"expected a list, got {type(value).__name__}")
        return tuple(_convert(v, args[0], f"{path}[{i}]") for i, v in enumerate(value))
    if dataclasses.is_dataclass(hint):
        return _build(value, typing.cast(type, hint), path)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        try:
            return hint(value)
        except ValueError:
            choices = ", ".join(str(m.value) for m in hint)
            raise ProfileError(path, f"{value!r} is not one of {choices}") from None
    if hint is Decimal:
        if isinstance(value, float) or not isinstance(value, (str, int)):
            raise ProfileError(path, 'write rates as strings, e.g. "0.24"')
        try:
            return Decimal(value)
        except InvalidOperation:
            raise ProfileError(path, f"{value!r} is not a decimal number") from None
    if hint is time:
        if isinstance(value, time):
            return value
        try:
            return time.fromisoformat(str(value))
        except ValueError:
            raise ProfileError(path, f'{value!r} is not a time like "08:00"') from None
    if hint is bool:
        if not isinstance(value, bool):
            raise ProfileError(path, f"expected true or false, got {value!r}")
        return value
    if hint is int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise ProfileError(path, f"expected an integer, got {value!r}")
        return value
    if hint is str:
        if not isinstance(value, str):
            raise ProfileError(path, f"expected a string, got {value!r}")
        return value
    raise ProfileError(path, f"unsupported type {hint!r}")  # pragma: no cover - a model bug


def _build(data: Any, cls: type, path: str) -> Any:
    if not isinstance(data, dict):
        raise ProfileError(path or "<root>", f"expected a table, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    fields = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - fields)
    if unknown:
        raise ProfileError(_join(path, unknown[0]), "unknown field")
    kwargs = {}
    for name in fields:
        where = _join(path, name)
        if name not in data:
            raise ProfileError(where, "missing")
        kwargs[name] = _convert(data[name], hints[name], where)
    return cls(**kwargs)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _check(profile: Profile) -> None:
    window = profile.collections.contact_window
    if window.start >= window.end:
        raise ProfileError("collections.contact_window", "start must be before end")
    for i, cap in enumerate(profile.collections.call_caps):
        if cap.count < 1 or cap.window_days < 1:
            raise ProfileError(f"collections.call_caps[{i}]", "count and window_days must be at least 1")
    if profile.pricing.apr_cap <= 0 or profile.pricing.apr_cap > 1:
        raise ProfileError("pricing.apr_cap", 'must be a fraction between 0 and 1, e.g. "0.24"')
    expected_min = 0
    for i, bucket in enumerate(profile.delinquency_buckets):
        if bucket.min_dpd != expected_min:
            raise ProfileError(
                f"delinquency_buckets[{i}].min_dpd", f"expected {expected_min}, buckets must be contiguous"
            )
        if bucket.max_dpd is None:
            if i != len(profile.delinquency_buckets) - 1:
                raise ProfileError(f"delinquency_buckets[{i}].max_dpd", "only the last bucket is open-ended")
            break
        expected_min = bucket.max_dpd + 1
    else:
        raise ProfileError("delinquency_buckets", "the last bucket must be open-ended")
    if profile.bureau.history_months < 1:
        raise ProfileError("bureau.history_months", "must be at least 1")
    rules = profile.collections
    for i, purpose in enumerate(rules.cease_exempt_purposes):
        if purpose in NEVER_CEASE_EXEMPT:
            raise ProfileError(f"collections.cease_exempt_purposes[{i}]", f"{purpose.value} is collection itself")
    clocks = rules.complaints
    if clocks.acknowledge_days < 1 or clocks.answer_days < clocks.acknowledge_days or clocks.extension_days < 0:
        raise ProfileError("collections.complaints", "need 1 <= acknowledge_days <= answer_days, extension_days >= 0")
    _check_content(rules.content, rules.third_party.allowed)
    _check_marketplace(profile.marketplace)
    _check_hardship(profile.hardship)
    _check_finance(profile.finance)


def _check_finance(finance: FinanceProfile) -> None:
    codes = finance.class_codes()
    if not codes or finance.classes[0].from_dpd != 0:
        raise ProfileError("finance.classes", "the first class starts at 0 days past due")
    for i, (a, b) in enumerate(zip(finance.classes, finance.classes[1:], strict=False)):
        if b.from_dpd <= a.from_dpd:
            raise ProfileError(f"finance.classes[{i + 1}].from_dpd", "classes go from best to worst, later ones later")
    if len(set(codes)) != len(codes):
        raise ProfileError("finance.classes", "class codes must be distinct")
    for i, cls in enumerate(finance.classes):
        _fraction(cls.rate, f"finance.classes[{i}].rate")
    for name in ("restructured_floor", "lifetime_from", "default_from"):
        if getattr(finance, name) not in codes:
            raise ProfileError(f"finance.{name}", f"must be one of {', '.join(codes)}")
    if finance.restructured_observation_days < 0:
        raise ProfileError("finance.restructured_observation_days", "must be 0 or more")
    if not finance.lgd:
        raise ProfileError("finance.lgd", "at least one grade letter's loss given default")
    for i, grade in enumerate(finance.lgd):
        _fraction(grade.lgd, f"finance.lgd[{i}].lgd")
    if finance.non_accrual_dpd < 1:
        raise ProfileError("finance.non_accrual_dpd", "must be at least 1")


def _check_hardship(hardship: HardshipProfile) -> None:
    where = "hardship"
    if hardship.version < 1 or hardship.answer_days < 1 or hardship.break_grace_days < 0:
        raise ProfileError(where, "need version >= 1, answer_days >= 1, break_grace_days >= 0")
    if hardship.approval_threshold_minor < 0:
        raise ProfileError(f"{where}.approval_threshold_minor", "cannot be negative")
    if hardship.offer_valid_days < 1 or hardship.cooldown_days < 0:
        raise ProfileError(where, "need offer_valid_days >= 1 and cooldown_days >= 0")
    if not hardship.consent_version:
        raise ProfileError(f"{where}.consent_version", "name the text the borrower agrees to")
    reage = hardship.reage
    if reage.payments_required < 1 or reage.max_in_12_months < 0 or reage.max_in_5_years < 0:
        raise ProfileError(f"{where}.reage", "need payments_required >= 1 and limits >= 0 (0: none)")
    if reage.max_in_5_years and reage.max_in_12_months > reage.max_in_5_years:
        raise ProfileError(f"{where}.reage.max_in_12_months", "cannot exceed max_in_5_years")
    for name in (
        "payment_holiday",
        "term_extension",
        "reduced_installments",
        "interest_stop",
        "discounted_settlement",
        "operator_reschedule",
    ):
        if getattr(hardship, name).version < 1:
            raise ProfileError(f"{where}.{name}.version", "must be at least 1")
    if not 1 <= hardship.interest_stop.max_periods <= 600:
        raise ProfileError(f"{where}.interest_stop.max_periods", "between 1 and 600 periods")
    _fraction(hardship.reduced_installments.min_share, f"{where}.reduced_installments.min_share")
    _fraction(hardship.discounted_settlement.max_discount, f"{where}.discounted_settlement.max_discount")
    if hardship.discounted_settlement.pay_within_days < 1:
        raise ProfileError(f"{where}.discounted_settlement.pay_within_days", "must be at least 1")


def _fraction(value: Decimal, path: str, *, above_zero: bool = False) -> None:
    if value < 0 or value > 1 or (above_zero and value == 0):
        raise ProfileError(path, 'must be a fraction between 0 and 1, e.g. "0.30"')


def _check_marketplace(market: MarketplaceProfile) -> None:
    where = "marketplace"
    if market.note_minimum_minor < 1:
        raise ProfileError(f"{where}.note_minimum_minor", "must be at least 1 minor unit")
    if market.listing_days < 1:
        raise ProfileError(f"{where}.listing_days", "must be at least 1")
    for name in ("platform_min_share", "partial_funding_threshold", "servicing_fee_rate"):
        _fraction(getattr(market, name), f"{where}.{name}")
    _fraction(market.investors.suitability_share, f"{where}.investors.suitability_share")
    _fraction(market.investors.large_investment_share, f"{where}.investors.large_investment_share")
    partners = Decimal(0)
    seen: set[str] = set()
    for i, partner in enumerate(market.funding_partners):
        _fraction(partner.share, f"{where}.funding_partners[{i}].share", above_zero=True)
        if partner.id in seen or not partner.id.startswith("inv_"):
            raise ProfileError(f"{where}.funding_partners[{i}].id", f"{partner.id!r} is taken or not an inv_ id")
        seen.add(partner.id)
        partners += partner.share
    # MK-2: whatever the partners take, the platform keeps at least its minimum share.
    if partners + market.platform_min_share > 1:
        raise ProfileError(f"{where}.funding_partners", "the partners' shares leave the platform below its minimum")
    if market.retail and market.funding_partners:
        raise ProfileError(f"{where}.funding_partners", "partners co-fund only where retail investors are off")


def _check_phrases(phrases: Phrases, path: str) -> None:
    for lang in ("zh", "en"):
        for i, phrase in enumerate(getattr(phrases, lang)):
            problem = phrase_problem(phrase)
            if problem:
                raise ProfileError(f"{path}.{lang}[{i}]", problem)


def _check_content(content: ContentProfile, third_party: ThirdPartyAllowance) -> None:
    where = "collections.content"
    _check_phrases(content.debt, f"{where}.debt")
    for i, prohibited in enumerate(content.prohibited):
        _check_phrases(prohibited.phrases, f"{where}.prohibited[{i}].phrases")
    _check_phrases(content.opt_out.phrases, f"{where}.opt_out.phrases")
    _check_phrases(content.opt_out.refusals, f"{where}.opt_out.refusals")
    for i, medium in enumerate(content.opt_out.media):
        if medium not in MEDIA:
            raise ProfileError(f"{where}.opt_out.media[{i}]", f"{medium!r} is not one of {', '.join(MEDIA)}")
    debt = matcher(content.debt.all())
    prohibited_matchers = [(p.category, matcher(p.phrases.all())) for p in content.prohibited]
    seen: set[str] = set()
    for i, template in enumerate(content.templates):
        path = f"{where}.templates[{i}]"
        if template.id in seen or not template.id.isidentifier():
            raise ProfileError(f"{path}.id", f"{template.id!r} is taken or not a plain identifier")
        seen.add(template.id)
        for lang in ("en", "zh"):
            text = getattr(template, lang)
            try:
                names = set(re.findall(r"{(\w*)}", text))
                text.format(**dict.fromkeys(PLACEHOLDERS, "x"))
            except (KeyError, IndexError, ValueError) as exc:
                raise ProfileError(
                    f"{path}.{lang}", f"a placeholder is not one of {sorted(PLACEHOLDERS)}: {exc}"
                ) from None
            if names - PLACEHOLDERS:
                raise ProfileError(f"{path}.{lang}", f"unknown placeholder {sorted(names - PLACEHOLDERS)[0]!r}")
            reduced = reduce(text)
            for category, found in prohibited_matchers:
                if found.found(reduced):
                    raise ProfileError(f"{path}.{lang}", f"an approved message carries prohibited {category} content")
            # P-9: what goes to anyone but the debtor may not tell of the debt, by the profile's own words.
            if template.purpose in (TemplatePurpose.THIRD_PARTY, TemplatePurpose.CONSENT_REQUEST) and debt.found(
                reduced
            ):
                raise ProfileError(f"{path}.{lang}", "a message for someone other than the debtor tells of the debt")
    purposes = {t.purpose for t in content.templates}
    if third_party is not ThirdPartyAllowance.NONE and TemplatePurpose.THIRD_PARTY not in purposes:
        raise ProfileError(f"{where}.templates", "third parties may be contacted, but no third_party template exists")


def parse_profile(text: str, source: str = "<profile>") -> Profile:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(source, f"not valid TOML: {exc}") from None
    # TOML has no null; an open-ended bucket simply leaves out max_dpd.
    for bucket in data.get("delinquency_buckets", []):
        if isinstance(bucket, dict):
            bucket.setdefault("max_dpd", None)
    profile: Profile = _build(data, Profile, "")
    _check(profile)
    return profile


def load_profile(name_or_path: str) -> Profile:
    """A built-in profile by code (`cn`, `us`) or a profile file by path."""
    if name_or_path in BUILTIN_PROFILES:
        text = resources.files("fairlend.jurisdiction").joinpath(f"{name_or_path}.toml").read_text("utf-8")
        return parse_profile(text, f"{name_or_path}.toml")
    path = Path(name_or_path)
    if not path.is_file():
        raise Invalid("unknown_jurisdiction", f"no built-in profile or file named {name_or_path!r}")
    return parse_profile(path.read_text("utf-8"), str(path))
