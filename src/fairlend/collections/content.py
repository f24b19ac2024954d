"""What a message says: the profile's templates, and the content rules checked on every message.

Pure. The words, phrasings and templates are the jurisdiction profile's
(`collections.content` in cn.toml / us.toml); this module only applies them.
Every message is checked against both languages' lists (a message may mix
them), after the normalisation in `jurisdiction.phrases` that undoes the usual
ways of writing around a list (spacing, full-width letters, look-alikes, l33t).

A word list can never be complete, so the lists are the second line of
defence: the first is structural (P-9). Anyone but the debtor gets only an
approved template; a collector's own words go only to the debtor.
"""

from __future__ import annotations

from dataclasses import dataclass

from fairlend.collections.model import Medium
from fairlend.jurisdiction.model import ContentProfile, MessageTemplate, ProhibitedContent
from fairlend.jurisdiction.phrases import PhraseMatcher, matcher, reduce

# Cached answers per checker: templates make most messages identical.
_CACHE_LIMIT = 8192


@dataclass(frozen=True, slots=True)
class ContentFindings:
    prohibited: tuple[ProhibitedContent, ...]  # every prohibited kind the message carries
    tells_of_debt: bool
    has_opt_out: bool


class ContentRules:
    """The profile's content rules, compiled once; `findings(text)` for one message."""

    def __init__(self, content: ContentProfile) -> None:
        self.content = content
        self._debt = matcher(content.debt.all())
        self._prohibited: tuple[tuple[ProhibitedContent, PhraseMatcher], ...] = tuple(
            (p, matcher(p.phrases.all())) for p in content.prohibited
        )
        self._opt_out = matcher(content.opt_out.phrases.all())
        self._refusal = matcher(content.opt_out.refusals.all())
        self._opt_out_media = frozenset(Medium(m) for m in content.opt_out.media)
        self._cache: dict[str, ContentFindings] = {}

    def needs_opt_out(self, medium: Medium) -> bool:
        return bool(self.content.opt_out.rule) and medium in self._opt_out_media

    def findings(self, text: str) -> ContentFindings:
        found = self._cache.get(text)
        if found is None:
            reduced = reduce(text)
            found = ContentFindings(
                tuple(p for p, m in self._prohibited if m.found(reduced)),
                self._debt.found(reduced),
                self._opt_out.found(reduced) and not self._refusal.found(reduced),
            )
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[text] = found
        return found

    def tells_of_debt(self, text: str) -> bool:
        return self.findings(text).tells_of_debt


_RULES: dict[int, tuple[ContentProfile, ContentRules]] = {}


def content_rules(content: ContentProfile) -> ContentRules:
    """One compiled `ContentRules` per profile (profiles are loaded once and never change)."""
    held = _RULES.get(id(content))
    if held is None or held[0] is not content:
        held = (content, ContentRules(content))
        _RULES[id(content)] = held
    return held[1]


def render(template: MessageTemplate, locale: str, **values: str) -> str:
    text = template.zh if locale.lower().startswith("zh") else template.en
    return text.format(
        **{name: values.get(name, "") for name in ("amount", "dpd", "name", "code", "due_amount", "due_date")}
    )
