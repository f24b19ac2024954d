"""Matching a profile's phrases in a message, the way a determined writer would hide them.

Pure. A word list alone is talked past with "坐 牢", "ｊａｉｌ", "j.a.i.l", "ja1l" or a
Cyrillic "а". Every message is therefore reduced twice before matching:

- `words`: Unicode-normalised (NFKC: full-width to ASCII), case-folded, invisible
  format characters removed, look-alike letters mapped to Latin, digits inside
  words read as letters (l33t), then split into Latin words; a run of single
  letters ("j a i l") is joined into one word. An English phrase matches whole
  words of it, so "sue" is found in "we will sue" but not in "issue".
- `squeezed`: the same text with every character that is not a letter removed,
  so "坐-牢", "坐 牢" and "坐*牢" all read "坐牢". A phrase with a Chinese
  character matches anywhere in it (Chinese has no spaces to bound a word).

A phrase starting `re:` is a regular expression, searched in the normalised
text before any character is removed (amounts: `re:[¥￥]\\s*\\d`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

# Cyrillic and Greek letters that look like Latin ones (the ones a writer reaches for).
_CONFUSABLE = str.maketrans(
    {
        "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
        "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j", "ѕ": "s", "ԁ": "d",
        "ɡ": "g", "ӏ": "l", "ո": "n", "α": "a", "β": "b", "ε": "e", "ι": "i", "κ": "k", "ν": "v",
        "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ѵ": "v", "ԝ": "w",
    }
)  # fmt: skip
# Digits and signs used as letters inside a word ("ja1l", "47torney", "p0lice").
_LEET = {"0": "o", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "@": "a", "$": "s", "!": "i"}
# "1" and "|" are read as i or l: they become this mark, which a phrase's i and l both match.
AMBIGUOUS = "\u00b9"
_AMBIGUOUS_SIGNS = frozenset("1|")


def normalise(text: str) -> str:
    """NFKC, case-folded, without invisible format characters, look-alikes mapped to Latin."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    visible = "".join(ch for ch in folded if unicodedata.category(ch) != "Cf")
    return visible.translate(_CONFUSABLE)


def _latin(ch: str) -> bool:
    return (ch.isascii() and ch.isalpha()) or ch == AMBIGUOUS


def _deleet(text: str) -> str:
    """Read digits and signs as letters inside a word that has a Latin letter ("pub11sh", "10cked").

    A word here is what lies between spaces; amounts and times ("$45.10", "10:00") have
    no letter, so they are left alone.
    """
    out: list[str] = []
    for word in re.split(r"(\s+)", text):
        if any(ch.isascii() and ch.isalpha() for ch in word):
            word = "".join(AMBIGUOUS if ch in _AMBIGUOUS_SIGNS else _LEET.get(ch, ch) for ch in word)
        out.append(word)
    return "".join(out)


def _tokens(normalised: str) -> list[str]:
    return "".join(ch if _latin(ch) else " " for ch in _deleet(normalised)).split()


def words(normalised: str) -> str:
    """Latin words separated by single spaces, runs of single letters joined: " j a i l " -> " jail "."""
    joined: list[str] = []
    run: list[str] = []
    for token in _tokens(normalised):
        if len(token) == 1:
            run.append(token)
            continue
        if run:
            joined.append("".join(run))
        run = []
        joined.append(token)
    if run:
        joined.append("".join(run))
    return " " + " ".join(joined) + " "


def runs(normalised: str) -> str:
    """Only the runs of single letters, each joined, space-separated: "a w a r r a n t" -> " awarrant ".

    A word spelt out letter by letter may run into a one-letter word beside it ("a", "I"),
    so a phrase is looked for anywhere inside a run, not only as the whole of it.
    """
    found: list[str] = []
    run: list[str] = []
    for token in [*_tokens(normalised), ".."]:
        if len(token) == 1:
            run.append(token)
            continue
        if len(run) > 1:
            found.append("".join(run))
        run = []
    return " " + " ".join(found) + " "


def squeezed(normalised: str) -> str:
    """Every letter (Chinese or Latin) with nothing between: "坐 牢" -> "坐牢"."""
    return "".join(ch for ch in _deleet(normalised) if ch.isalpha() or ch == AMBIGUOUS)


@dataclass(frozen=True, slots=True)
class Reduced:
    """One message, reduced once for every matcher that reads it."""

    normalised: str
    words: str
    runs: str
    squeezed: str


def reduce(text: str) -> Reduced:
    norm = normalise(text)
    return Reduced(norm, words(norm), runs(norm), squeezed(norm))


def has_cjk(phrase: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in phrase)


class PhraseMatcher:
    """Compiled once per phrase list; `found(reduced)` says whether any phrase is in the message."""

    def __init__(self, phrases: Iterable[str]) -> None:
        word_phrases: list[str] = []
        squeezed_phrases: list[str] = []
        patterns: list[str] = []
        for phrase in phrases:
            if phrase.startswith("re:"):
                patterns.append(phrase[3:])
            elif has_cjk(phrase):
                squeezed_phrases.append(squeezed(normalise(phrase)))
            else:
                word_phrases.append(words(normalise(phrase)).strip())
        literal = [p for p in word_phrases if p]
        self._words = _alternation([" " + p + " " for p in literal])
        self._runs = _alternation([p.replace(" ", "") for p in literal])
        self._squeezed = _alternation([p for p in squeezed_phrases if p])
        self._pattern = re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None

    def found(self, message: Reduced) -> bool:
        return bool(
            (self._words is not None and self._words.search(message.words))
            or (self._runs is not None and message.runs.strip() and self._runs.search(message.runs))
            or (self._squeezed is not None and self._squeezed.search(message.squeezed))
            or (self._pattern is not None and self._pattern.search(message.normalised))
        )


def _literal(phrase: str) -> str:
    # A phrase's i and l also match the mark "1" and "|" became: "pub11sh" is "publish".
    return "".join(f"[{ch}{AMBIGUOUS}]" if ch in "il" else re.escape(ch) for ch in phrase)


def _alternation(literals: list[str]) -> re.Pattern[str] | None:
    if not literals:
        return None
    # Longest first, one alternation: the search runs in C, once per message.
    return re.compile("|".join(_literal(p) for p in sorted(set(literals), key=len, reverse=True)))


def phrase_problem(phrase: str) -> str | None:
    """Why a profile phrase cannot be used (None when it can): the loader names the field."""
    if not phrase.strip():
        return "an empty phrase would match every message"
    if phrase.startswith("re:"):
        try:
            compiled = re.compile(phrase[3:])
        except re.error as exc:
            return f"not a valid regular expression: {exc}"
        if compiled.search(""):
            return "the expression matches the empty message"
        return None
    body = words(normalise(phrase)).strip() if not has_cjk(phrase) else squeezed(normalise(phrase))
    if AMBIGUOUS in body:
        return "write the letters, not the digits: the matcher reads digits as letters itself"
    if not body:
        return "the phrase has no letters left once normalised"
    return None


@lru_cache(maxsize=64)
def matcher(phrases: tuple[str, ...]) -> PhraseMatcher:
    """One compiled matcher per phrase list (profiles are immutable, so their tuples are keys)."""
    return PhraseMatcher(phrases)
