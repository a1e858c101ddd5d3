"""Vetting of the name lists against the beds' lexicon of ordinary words."""

from __future__ import annotations

import re

import pytest

from equilens.testbeds import LOCALES
from equilens.testbeds._data import LANGUAGES, load_yaml, ordinary_words
from equilens.testbeds._personas import excluded_names, is_ordinary_word, load_names

WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")


def template_words(language):
    """Return every lowercased word in the escalation and identity templates of a language."""
    words = set()

    def walk(node):
        if isinstance(node, str):
            words.update(match.lower() for match in WORD.findall(node))
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(load_yaml(f"escalation/{language}.yaml"))
    walk(load_yaml(f"identity/{language}.yaml"))
    return frozenset(words)


@pytest.mark.parametrize("locale", LOCALES)
def test_no_name_is_an_ordinary_word(locale):
    language = LANGUAGES[locale]
    extra = template_words(language) if language != "ja" else frozenset()
    offenders = [
        part.text
        for part in load_names(locale).all_parts()
        if is_ordinary_word(part.text, language, extra)
    ]
    assert offenders == []


@pytest.mark.parametrize("locale", LOCALES)
def test_no_name_is_excluded(locale):
    excluded = set(excluded_names(LANGUAGES[locale]))
    names = {part.text for part in load_names(locale).all_parts()}
    assert names & excluded == set()


@pytest.mark.parametrize("language", ["en", "fi", "ja"])
def test_excluded_names_are_in_lexicon(language):
    for name in excluded_names(language):
        assert is_ordinary_word(name, language), name


@pytest.mark.parametrize("language", ["en", "fi"])
def test_exclusion_rule_catches_known_words(language):
    sample = {"en": ["Rose", "Bill", "Mark"], "fi": ["Onni", "Toivo", "Armas", "Aino"]}
    for name in sample[language]:
        assert is_ordinary_word(name, language), name


def test_japanese_kanji_noun_names_are_caught():
    for name in ["光", "翼", "林", "森"]:
        assert is_ordinary_word(name, "ja"), name


@pytest.mark.parametrize("language", ["en", "fi", "ja"])
def test_lexicon_is_not_empty(language):
    assert len(ordinary_words(language)) > 100


@pytest.mark.parametrize("locale", LOCALES)
def test_name_rows_aligned_across_origins(locale):
    sizes = {len(origin.families) for origin in load_names(locale).origins.values()}
    assert len(sizes) == 1
    assert len(load_names(locale).origins) == 4


def test_finnish_names_have_case_forms():
    for origin in load_names("fi-FI").origins.values():
        for family in origin.families:
            for given in (family.female, family.male):
                assert set(given.forms) == {"gen", "ade"}, given.text
                assert given.forms["gen"].endswith("n"), given.text
                assert given.forms["ade"].endswith(("lla", "llä")), given.text
