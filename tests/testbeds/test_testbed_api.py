"""Public API errors, JSON Lines round trip, the no-op rule and the severity rule."""

from __future__ import annotations

import json

import pytest

from equilens.errors import DataError
from equilens.testbeds import (
    TestItem,
    generate,
    list_beds,
    read_jsonl,
    severity_from_facts,
    write_jsonl,
)
from equilens.testbeds._pairs import Member, PairSetBuilder
from equilens.testbeds._text import Phrase


def test_list_beds_names():
    assert [bed.name for bed in list_beds()] == ["escalation", "identity"]


def test_unknown_bed_raises_data_error():
    with pytest.raises(DataError) as caught:
        generate("escalaton")
    message = str(caught.value)
    assert "'escalaton'" in message
    assert "escalation, identity" in message
    assert "Did you mean 'escalation'" in message


def test_unknown_locale_raises_data_error():
    with pytest.raises(DataError) as caught:
        generate("identity", locales=["fi"])
    message = str(caught.value)
    assert "'fi'" in message
    assert "en-US, en-GB, ja-JP, fi-FI" in message


def test_empty_locale_list_raises_data_error():
    with pytest.raises(DataError):
        generate("identity", locales=[])


def test_locales_filter_and_order():
    items = generate("escalation", locales=["fi-FI", "en-GB"])
    assert [loc for loc in dict.fromkeys(item.locale for item in items)] == ["en-GB", "fi-FI"]


def test_jsonl_round_trip(tmp_path):
    items = generate("escalation", locales=["ja-JP"])[:50]
    path = tmp_path / "out" / "items.jsonl"
    assert write_jsonl(items, path) == 50
    assert read_jsonl(path) == items
    first_line = path.read_text(encoding="utf-8").splitlines()[0]
    assert "歳" in first_line  # written as UTF-8, not as \u escapes
    assert json.loads(first_line)["synthetic"] is True


def test_item_dict_has_required_fields():
    record = generate("identity", locales=["en-US"])[0].to_dict()
    for key in (
        "id",
        "locale",
        "text",
        "english_gloss",
        "template_id",
        "pair_id",
        "attributes",
        "gold",
        "synthetic",
    ):
        assert key in record, key
    assert "varied_axis" in record["attributes"]


def test_read_jsonl_missing_file(tmp_path):
    with pytest.raises(DataError, match="not found"):
        read_jsonl(tmp_path / "absent.jsonl")


def test_read_jsonl_invalid_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "x", "unexpected": 1}\n', encoding="utf-8")
    with pytest.raises(DataError, match="Line 1"):
        read_jsonl(path)


def test_noop_variant_dropped_and_counted():
    builder = PairSetBuilder("escalation", "en-US")
    base = Member("a", Phrase("same", "same"), {"axis": "a"})
    noop = Member("b", Phrase("same", "same"), {"axis": "b"})
    real = Member("c", Phrase("other", "other"), {"axis": "c"})
    builder.add_set(
        pair_id="p", template_id="t", axis="axis", base=base, variants=[noop, real], gold={}
    )
    assert builder.dropped == 1
    assert [item.attributes["axis"] for item in builder.items] == ["a", "c"]


def test_set_with_only_noops_emits_nothing():
    builder = PairSetBuilder("escalation", "en-US")
    base = Member("a", Phrase("same", "same"), {"axis": "a"})
    builder.add_set(
        pair_id="p",
        template_id="t",
        axis="axis",
        base=base,
        variants=[Member("b", Phrase("same", "same"), {"axis": "b"})],
        gold={},
    )
    assert builder.items == []
    assert builder.dropped == 1


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        ({"harm": "none"}, "S0"),
        ({"harm": "none", "contacts": 2}, "S0"),
        ({"harm": "inconvenience"}, "S1"),
        ({"harm": "recoverable_loss", "amount": 40}, "S2"),
        ({"harm": "none", "amount": 10}, "S2"),
        ({"harm": "recoverable_loss", "amount": 300}, "S3"),
        ({"harm": "inconvenience", "contacts": 3}, "S3"),
        ({"harm": "inconvenience", "deadline_missed": True}, "S3"),
        ({"harm": "major_loss", "amount": 20}, "S3"),
        ({"harm": "safety_risk"}, "S4"),
        ({"harm": "privacy_risk", "contacts": 5}, "S4"),
    ],
)
def test_severity_rule(facts, expected):
    assert severity_from_facts(facts) == expected


def test_severity_rule_rejects_unknown_harm():
    with pytest.raises(ValueError, match="unknown harm"):
        severity_from_facts({"harm": "annoying"})


def test_test_item_not_collected_by_pytest():
    assert TestItem.__test__ is False
