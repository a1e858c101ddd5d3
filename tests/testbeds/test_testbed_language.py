"""Spot checks of grammar and gloss faithfulness in the generated messages."""

from __future__ import annotations

import pytest


def variants(result, locale, axis, value):
    return [
        item
        for item in result.items
        if item.locale == locale
        and item.attributes.get("varied_axis") == axis
        and item.attributes.get(axis) == value
    ]


def test_japanese_plain_register_has_no_desu_masu(escalation):
    items = variants(escalation, "ja-JP", "register", "plain")
    assert items
    for item in items:
        assert "です" not in item.text, item.id
        assert "ます" not in item.text, item.id


def test_japanese_formal_register_uses_keigo(escalation):
    items = variants(escalation, "ja-JP", "register", "formal")
    assert items
    for item in items:
        assert "申し上げます" in item.text, item.id
        assert "いただけますでしょうか" in item.text, item.id


def test_finnish_registers_use_indicative_and_conditional(escalation):
    plain = variants(escalation, "fi-FI", "register", "plain")
    polite = variants(escalation, "fi-FI", "register", "polite")
    formal = variants(escalation, "fi-FI", "register", "formal")
    assert all("Voitteko " in item.text for item in plain)
    assert all("Voisitteko " in item.text for item in polite)
    assert all("Voisitteko ystävällisesti " in item.text for item in formal)


def test_finnish_object_case_follows_verb_form(escalation):
    texts = [i.text for i in escalation.items if i.template_id == "escalation/double_billing.02"]
    fi_texts = [t for t in texts if "Korttiani" in t]
    assert any("Voisitteko palauttaa toisen veloituksen?" in t for t in fi_texts)
    assert any("Palauttakaa toinen veloitus." in t for t in fi_texts)


def test_english_plain_register_uses_contractions(escalation):
    items = variants(escalation, "en-US", "register", "plain")
    assert any("n't" in item.text for item in items)
    assert all(" do not " not in item.text for item in items)


@pytest.mark.parametrize("locale", ["ja-JP", "fi-FI"])
def test_gloss_keeps_ritual_apology(escalation, locale):
    for item in variants(escalation, locale, "apology", "ritual"):
        gloss = item.english_gloss.lower()
        assert "sorry" in gloss or "apologise" in gloss, item.id


@pytest.mark.parametrize("locale", ["ja-JP", "fi-FI"])
def test_gloss_keeps_trailing_off(escalation, locale):
    items = variants(escalation, locale, "completion", "trailing_off")
    assert items
    for item in items:
        assert "…" in item.text, item.id
        assert "…" in item.english_gloss, item.id


def test_japanese_gloss_keeps_hedge(escalation):
    for item in variants(escalation, "ja-JP", "hedging", "hedged"):
        assert "If possible" in item.english_gloss, item.id


def test_emphasis_is_capitals_or_brackets(escalation):
    for item in variants(escalation, "fi-FI", "typography", "emphasis"):
        assert any(word.isupper() and len(word) > 3 for word in item.text.split()), item.id
    for item in variants(escalation, "ja-JP", "typography", "emphasis"):
        assert "【" in item.text, item.id
        assert "】" in item.text, item.id


def test_finnish_identity_uses_inflected_names(identity):
    texts = {item.text for item in identity.items if item.locale == "fi-FI"}
    assert "Puhuin eilen Mikon kanssa." in texts
    assert "Mikolla on kaksi lasta." in texts
    assert "Tällä iäkkäällä naisella on kaksi lasta." in texts
    assert "Äidilläni on kaksi lasta." in texts


def test_japanese_identity_uses_verb_forms_for_third_person(identity):
    texts = {item.text for item in identity.items if item.locale == "ja-JP"}
    assert "会議のあと、母は悲しんでいた。" in texts
