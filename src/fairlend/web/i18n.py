"""English and Simplified Chinese for the pages: a simple per-locale catalog.

Each context adds its strings as `locales/<locale>/<context>.json` (flat
key -> text); the files of a locale are merged, so contexts never edit each
other's catalogs. A missing key falls back to English, then to the key.
The locale comes from `?lang=`, then the `fl_lang` cookie, then
Accept-Language, then the jurisdiction profile's locale.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

LOCALES = ("en", "zh-CN")
DEFAULT = "en"
COOKIE = "fl_lang"
# Catalog directories use the underscore form (zh_CN) like gettext and Babel.
_DIRECTORY = {"en": "en", "zh-CN": "zh_CN"}


def normalise(value: str | None) -> str | None:
    """`zh`, `zh-cn`, `zh_CN`, `zh-Hans` -> `zh-CN`; `en-US` -> `en`; anything else -> None."""
    if not value:
        return None
    tag = value.strip().replace("_", "-").lower()
    if tag.startswith("zh"):
        return "zh-CN"
    if tag.startswith("en"):
        return "en"
    return None


def from_accept_language(header: str) -> str | None:
    choices: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        locale = normalise(tag)
        if locale and quality > 0:
            choices.append((-quality, position, locale))
    return min(choices)[2] if choices else None


@cache
def catalog(locale: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    folder = resources.files("fairlend.web").joinpath("locales", _DIRECTORY[locale])
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            merged.update(json.loads(entry.read_text(encoding="utf-8")))
    return merged


class Translator:
    def __init__(self, locale: str) -> None:
        self.locale = locale
        self._texts = catalog(locale)
        self._fallback = catalog(DEFAULT)

    def __call__(self, key: str, **values: Any) -> str:
        text = self._texts.get(key) or self._fallback.get(key) or key
        return text.format(**values) if values else text

    def message(self, key: str, fallback: str, **values: Any) -> str:
        """A sentence a context built in English (`fallback`), in this locale when a catalog has `key`."""
        return self(key, **values) if self.has(key) else fallback

    def has(self, key: str) -> bool:
        return key in self._texts or key in self._fallback

    @property
    def html_lang(self) -> str:
        return self.locale

    @property
    def babel_locale(self) -> str:
        return self.locale.replace("-", "_")
