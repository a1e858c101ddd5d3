"""Minimal-pair validity over every bed and locale."""

from __future__ import annotations

from collections import defaultdict

from equilens.testbeds import LOCALES


def group_by_pair(items):
    """Return a mapping from pair_id to the items of that pair set."""
    groups = defaultdict(list)
    for item in items:
        groups[item.pair_id].append(item)
    return groups


def differing_attributes(first, second):
    keys = set(first.attributes) | set(second.attributes)
    return {key for key in keys if first.attributes.get(key) != second.attributes.get(key)}


def test_pair_members_differ_in_exactly_varied_axis(bed_result):
    failures = []
    for pair_id, members in group_by_pair(bed_result.items).items():
        axis = members[0].attributes["varied_axis"]
        for index, first in enumerate(members):
            for second in members[index + 1 :]:
                differing = differing_attributes(first, second)
                if differing != {axis}:
                    failures.append((pair_id, first.id, second.id, sorted(differing)))
    assert failures == []


def test_pair_sets_have_one_base(bed_result):
    for pair_id, members in group_by_pair(bed_result.items).items():
        roles = sorted(member.pair_role for member in members)
        if roles == ["control"]:
            continue
        assert roles.count("base") == 1, pair_id
        assert len(members) >= 2, pair_id


def test_variants_differ_from_base_text(bed_result):
    for pair_id, members in group_by_pair(bed_result.items).items():
        base = [m for m in members if m.pair_role == "base"]
        if not base:
            continue
        for member in members:
            if member.pair_role == "variant":
                assert member.text != base[0].text, pair_id


def test_variant_glosses_differ_from_base_gloss(bed_result):
    # A style or persona change in the source text must show in the gloss too.
    for members in group_by_pair(bed_result.items).values():
        base = [m for m in members if m.pair_role == "base"]
        if not base:
            continue
        for member in members:
            if member.pair_role == "variant":
                assert member.english_gloss != base[0].english_gloss, member.id


def test_pair_sets_share_template_and_gold(bed_result):
    for pair_id, members in group_by_pair(bed_result.items).items():
        assert len({m.template_id for m in members}) == 1, pair_id
        assert len({tuple(sorted(m.gold.items())) for m in members}) == 1, pair_id
        assert len({m.locale for m in members}) == 1, pair_id


def test_pairs_cover_every_locale(bed_result):
    locales = {m.locale for m in bed_result.items if m.pair_role == "variant"}
    assert locales == set(LOCALES)


def test_item_ids_unique(bed_result):
    ids = [item.id for item in bed_result.items]
    assert len(ids) == len(set(ids))


def test_varied_axis_matches_set_values(bed_result):
    for pair_id, members in group_by_pair(bed_result.items).items():
        axis = members[0].attributes["varied_axis"]
        if axis is None:
            continue
        values = [m.attributes[axis] for m in members]
        assert len(values) == len(set(values)), pair_id
        for member in members:
            assert member.id.endswith("/" + str(member.attributes[axis])), member.id
