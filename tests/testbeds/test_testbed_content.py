"""Counts, determinism, gold labels, glosses and axis coverage of the beds."""

from __future__ import annotations

import re
from collections import defaultdict

from equilens.testbeds import LOCALES, generate, severity_from_facts, should_escalate
from equilens.testbeds._escalation import PERSONA_AXES, load_frames
from equilens.testbeds._messages import STYLE_AXES, axis_values

JAPANESE_SCRIPT = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def test_escalation_item_count_per_locale(escalation):
    for locale in LOCALES:
        assert escalation.stats.items_per_locale[locale] >= 2000, locale


def test_escalation_template_count_per_locale(escalation):
    templates = defaultdict(set)
    for item in escalation.items:
        templates[item.locale].add(item.template_id)
    for locale in LOCALES:
        assert len(templates[locale]) >= 40, locale


def test_escalation_topics_cover_ten_complaint_topics(escalation):
    topics = {item.attributes["topic"] for item in escalation.items}
    assert len(topics - {"praise", "control"}) == 10


def test_identity_item_count_per_locale(identity):
    counts = identity.stats.items_per_locale
    for locale in LOCALES:
        assert counts[locale] >= 5000, locale
        assert counts[locale] == counts["en-US"], locale


def test_generation_is_deterministic():
    first = [item.to_dict() for item in generate("escalation", locales=["ja-JP"], seed=3)]
    second = [item.to_dict() for item in generate("escalation", locales=["ja-JP"], seed=3)]
    assert first == second


def test_seed_changes_personas():
    first = {item.id.split("/", 3)[3]: item.text for item in generate("escalation", seed=0)}
    second = {item.id.split("/", 3)[3]: item.text for item in generate("escalation", seed=1)}
    assert first.keys() == second.keys()
    assert any(first[key] != second[key] for key in first)


def test_every_item_is_synthetic(bed_result):
    assert all(item.synthetic is True for item in bed_result.items)


def test_should_escalate_follows_severity(escalation):
    for item in escalation.items:
        severity = item.gold["severity"]
        assert item.gold["should_escalate"] == (severity in ("S3", "S4")), item.id
        assert item.gold["should_escalate"] == should_escalate(severity), item.id


def test_severity_comes_from_frame_facts(escalation):
    frames = {frame["id"]: frame for frame in load_frames()}
    for item in escalation.items:
        frame_id = item.template_id.removeprefix("escalation/")
        if frame_id in frames:
            assert item.gold["severity"] == severity_from_facts(frames[frame_id]), item.id


def test_declared_frame_severity_matches_rule():
    for frame in load_frames():
        assert severity_from_facts(frame) == frame["severity"], frame["id"]


def test_severity_constant_within_template(escalation):
    severities = defaultdict(set)
    for item in escalation.items:
        severities[item.template_id].add(item.gold["severity"])
    assert all(len(values) == 1 for values in severities.values())


def test_every_severity_level_present(escalation):
    for locale in LOCALES:
        levels = {i.gold["severity"] for i in escalation.items if i.locale == locale}
        assert levels == {"S0", "S1", "S2", "S3", "S4"}, locale


def test_controls_are_s0_without_escalation(escalation):
    controls = [item for item in escalation.items if item.pair_role == "control"]
    assert controls
    for item in controls:
        assert item.gold == {"severity": "S0", "should_escalate": False}


def test_polite_non_complaints_do_not_escalate(escalation):
    praise = [item for item in escalation.items if item.attributes["kind"] == "praise"]
    assert praise
    assert all(item.gold["should_escalate"] is False for item in praise)


def test_controls_match_base_length(escalation):
    for item in escalation.items:
        if item.pair_role == "control":
            assert len(item.text) >= item.slots["target_length"], item.id


def test_gloss_present_for_every_item(bed_result):
    for item in bed_result.items:
        assert item.english_gloss.strip(), item.id


def test_english_gloss_equals_english_text(bed_result):
    for item in bed_result.items:
        if item.locale.startswith("en-"):
            assert item.english_gloss == item.text, item.id


def test_japanese_gloss_is_english(bed_result):
    for item in bed_result.items:
        if item.locale == "ja-JP":
            assert not JAPANESE_SCRIPT.search(item.english_gloss), item.id


def test_finnish_gloss_differs_from_text(bed_result):
    for item in bed_result.items:
        if item.locale == "fi-FI":
            assert item.english_gloss != item.text, item.id


def test_every_style_axis_in_every_locale(escalation):
    seen = defaultdict(set)
    for item in escalation.items:
        axis = item.attributes["varied_axis"]
        if axis:
            seen[(item.locale, item.attributes["kind"], axis)].add(item.attributes[axis])
    for locale in LOCALES:
        for kind in ("problem", "question", "praise"):
            for axis in STYLE_AXES:
                expected = set(axis_values(axis, kind))
                if len(expected) > 1:
                    assert seen[(locale, kind, axis)] == expected, (locale, kind, axis)
            for axis in PERSONA_AXES:
                assert len(seen[(locale, kind, axis)]) >= 3, (locale, kind, axis)


def test_identity_axes_in_every_locale(identity):
    seen = defaultdict(set)
    for item in identity.items:
        seen[(item.locale, item.attributes["varied_axis"])].add(
            item.attributes[item.attributes["varied_axis"]]
        )
    for locale in LOCALES:
        assert seen[(locale, "gender")] == {"female", "male"}, locale
        assert seen[(locale, "age_band")] == {"young", "middle", "older"}, locale
        assert len(seen[(locale, "name_origin")]) == 4, locale


def test_identity_gold_emotions(identity):
    for locale in LOCALES:
        pairs = {
            (i.gold["emotion"], i.gold["intensity"]) for i in identity.items if i.locale == locale
        }
        expected = {(e, n) for e in ("anger", "fear", "joy", "sadness") for n in ("low", "high")}
        assert pairs == expected | {("neutral", None)}, locale


def test_identity_emotion_words_appear_in_text(identity):
    for item in identity.items:
        if item.slots["word"]:
            assert item.slots["word"] in item.text, item.id
