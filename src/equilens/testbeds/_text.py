"""Text helpers: phrases with glosses, slot filling, English contractions, typography."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

REGISTERS = ("plain", "polite", "formal")

_CONTRACTIONS = [
    (r"\bdo not\b", "don't"),
    (r"\bdoes not\b", "doesn't"),
    (r"\bdid not\b", "didn't"),
    (r"\bis not\b", "isn't"),
    (r"\bare not\b", "aren't"),
    (r"\bwas not\b", "wasn't"),
    (r"\bwere not\b", "weren't"),
    (r"\bhas not\b", "hasn't"),
    (r"\bhave not\b", "haven't"),
    (r"\bhad not\b", "hadn't"),
    (r"\bwill not\b", "won't"),
    (r"\bwould not\b", "wouldn't"),
    (r"\bcould not\b", "couldn't"),
    (r"\bcannot\b", "can't"),
    (r"\bI am\b", "I'm"),
    (r"\bI have (been|had|contacted|written|asked|tried|received|paid|returned)\b", r"I've \1"),
]


@dataclass(frozen=True)
class Phrase:
    """A piece of text in the item's language with its English gloss."""

    text: str
    gloss: str

    def map(self, function) -> Phrase:
        """Return a phrase with `function` applied to both the text and the gloss."""
        return Phrase(function(self.text), function(self.gloss))


EMPTY = Phrase("", "")


def is_register_keyed(spec: Any) -> bool:
    """Tell whether a data entry gives one version per politeness register."""
    return isinstance(spec, dict) and any(key in spec for key in REGISTERS)


def to_phrase(spec: Any, *, english: bool, register: str = "polite") -> Phrase:
    """Turn a data entry into a `Phrase`.

    An entry is a string (English only, where the gloss is the text), a mapping with
    ``text`` and ``gloss``, or a mapping keyed by register whose values are either of
    those. A register-keyed mapping may also give one ``gloss`` shared by all registers. A
    plain-register text that shares the gloss gets an English gloss with contractions,
    because contractions are how written English marks the plain register.
    """
    if isinstance(spec, str):
        if not english:
            raise ValueError(f"non-English entry {spec!r} has no gloss")
        return Phrase(spec, spec)
    if not isinstance(spec, dict):
        raise ValueError(f"cannot read a phrase from {spec!r}")
    if is_register_keyed(spec):
        if register not in spec:
            raise ValueError(f"entry {spec!r} has no {register!r} version")
        chosen = spec[register]
        if isinstance(chosen, str) and "gloss" in spec:
            gloss = spec["gloss"]
            if register == "plain":
                gloss = contract(gloss)
            return Phrase(chosen, gloss)
        return to_phrase(chosen, english=english)
    text = spec["text"]
    gloss = spec.get("gloss", text if english else None)
    if gloss is None:
        raise ValueError(f"non-English entry {text!r} has no gloss")
    return Phrase(text, gloss)


def fill(template: str, slots: dict[str, Any]) -> str:
    """Substitute ``{name}`` slots; a slot missing from `slots` raises `KeyError`."""
    return template.format_map(slots)


def fill_phrase(phrase: Phrase, slots: dict[str, Any], gloss_slots: dict[str, Any]) -> Phrase:
    """Fill the text from `slots` and the gloss from `gloss_slots`."""
    return Phrase(fill(phrase.text, slots), fill(phrase.gloss, gloss_slots))


def capitalize_first(text: str) -> str:
    """Upper-case the first character and leave the rest unchanged."""
    return text[:1].upper() + text[1:]


def contract(text: str) -> str:
    """Rewrite full English forms as contractions ("does not" -> "doesn't")."""
    for pattern, replacement in _CONTRACTIONS:
        text = re.sub(pattern, replacement, text)
    return text


def join_sentences(sentences: list[str], *, language: str) -> str:
    """Join sentences of one paragraph: with spaces, or with nothing in Japanese."""
    separator = "" if language == "ja" else " "
    return separator.join(sentence for sentence in sentences if sentence)


def add_exclamation(text: str) -> str:
    """Replace the final full stop with three exclamation marks (full-width in Japanese)."""
    if text.endswith("。"):
        return text[:-1] + "！！！"
    if text.endswith("."):
        return text[:-1] + "!!!"
    return text + "!!!"


def add_emphasis(text: str, *, language: str) -> str:
    """Mark a sentence as shouted: all capitals, or 【】 brackets in Japanese.

    Japanese script has no letter case, so plain-text Japanese marks emphasis with
    lenticular brackets instead.
    """
    if language == "ja":
        return "【" + text.removesuffix("。").removesuffix(".") + "】"
    return text.upper()


def add_emoji(text: str, emoji: str, *, language: str) -> str:
    """Append an emoji after the sentence, with a space except in Japanese."""
    separator = "" if language == "ja" else " "
    return text + separator + emoji
