"""Loading of the YAML data files shipped in ``equilens/testbeds/data``."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from importlib import resources
from typing import Any

import yaml

from equilens.errors import DataError, did_you_mean

#: Locale codes that every bed supports, in output order.
LOCALES: tuple[str, ...] = ("en-US", "en-GB", "ja-JP", "fi-FI")

#: Language of each locale; en-US and en-GB share the English templates.
LANGUAGES: dict[str, str] = {"en-US": "en", "en-GB": "en", "ja-JP": "ja", "fi-FI": "fi"}


@functools.cache
def load_yaml(relative_path: str) -> Any:
    """Parse one data file, given by its path under ``testbeds/data``, and cache it."""
    path = resources.files("equilens.testbeds").joinpath("data")
    for part in relative_path.split("/"):
        path = path.joinpath(part)
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@functools.cache
def ordinary_words(language: str) -> frozenset[str]:
    """Return the bed's lexicon of ordinary words for `language`, lowercased.

    The lexicon is ``data/lexicon/<language>.txt``: one word per line, ``#`` starts a
    comment. Names in the name lists must not appear in it.
    """
    path = resources.files("equilens.testbeds").joinpath("data").joinpath("lexicon")
    path = path.joinpath(f"{language}.txt")
    words = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        word = line.split("#", 1)[0].strip()
        if word:
            words.add(word.lower())
    return frozenset(words)


def locale_settings(locale: str) -> dict[str, Any]:
    """Return the currency and variety settings of one locale from ``locales.yaml``."""
    return load_yaml("locales.yaml")[locale]


def resolve_locales(locales: Iterable[str] | None) -> list[str]:
    """Validate requested locale codes and return them in `LOCALES` order.

    Raises
    ------
    DataError
        If a code is not one of `LOCALES` or the list is empty.
    """
    if locales is None:
        return list(LOCALES)
    if isinstance(locales, str):
        locales = [locales]
    requested = list(locales)
    if not requested:
        raise DataError(f"No locale requested; choose from {', '.join(LOCALES)}.")
    for code in requested:
        if code not in LOCALES:
            raise DataError(
                f"Unknown locale {code!r}; supported locales are {', '.join(LOCALES)}."
                + did_you_mean(code, LOCALES)
            )
    return [code for code in LOCALES if code in requested]
