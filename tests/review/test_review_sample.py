"""Stratified review samples: allocation, weights, strata and seeded draws."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilens.errors import DataError
from equilens.review import allocate, draw_sample, load_run
from equilens.review._files import read_sample, write_sample
from equilens.review._sample import BANDS, estimate_threshold


@settings(max_examples=200, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 500), min_size=1, max_size=30),
    total=st.integers(1, 3000),
    minimum=st.integers(1, 20),
)
def test_allocate_bounds_and_total(sizes, total, minimum):
    sizes = np.array(sizes)
    counts = allocate(sizes, total, minimum)
    floor = np.minimum(sizes, minimum)

    assert (counts >= floor).all()
    assert (counts <= sizes).all()
    assert counts.sum() == min(max(total, floor.sum()), sizes.sum())


def test_allocate_proportional_above_minimum():
    # The two small strata keep their minimums (5, and all 2 items). The scale factor s
    # with 1000 s + 100 s + 5 + 2 = 120 is 113 / 1100, giving 102.73 and 10.27; rounding
    # by the largest remainder gives the spare draw to the first stratum.
    counts = allocate(np.array([1000, 100, 10, 2]), 120, 5)

    assert counts.tolist() == [103, 10, 5, 2]


def test_allocate_minimums_exceed_total():
    counts = allocate(np.array([50, 50, 50]), 6, 5)

    assert counts.tolist() == [5, 5, 5]


def test_sample_weights_sum_to_stratum_sizes(tabular_run_dir):
    run = load_run(tabular_run_dir)
    sample = draw_sample(run, size=80, min_per_stratum=4, seed=1)
    totals = sample.items.groupby("stratum")["weight"].sum()
    sizes = sample.strata.set_index("stratum")["size"]

    assert totals.to_dict() == pytest.approx(sizes.loc[totals.index].astype(float).to_dict())
    assert sample.items["weight"].sum() == pytest.approx(len(run.items))
    assert set(totals.index) == set(sizes.index)


def test_sample_oversamples_small_group(tabular_run_dir):
    run = load_run(tabular_run_dir)
    sample = draw_sample(run, size=60, min_per_stratum=5, seed=0)
    share = sample.items["group"].value_counts(normalize=True)
    population = run.items["region"].value_counts(normalize=True)

    assert share["c"] > population["c"]
    assert (sample.strata["sampled"] >= np.minimum(sample.strata["size"], 5)).all()
    assert sample.items.groupby("stratum").size().min() >= 1


def test_sample_strata_parts(tabular_run_dir):
    sample = draw_sample(load_run(tabular_run_dir), size=60, seed=0)
    items = sample.items

    assert set(items["group"]) == {"a", "b", "c"}
    assert set(items["predicted_label"]) <= {"favorable", "unfavorable"}
    assert set(items["confidence_band"]) <= set(BANDS)
    assert set(items["pair_status"]) == {"unpaired"}
    expected = items[["group", "predicted_label", "confidence_band", "pair_status"]].agg(
        " | ".join, axis=1
    )
    assert (items["stratum"] == expected).all()


def test_sample_same_seed_same_items(tabular_run_dir):
    run = load_run(tabular_run_dir)
    first = draw_sample(run, size=50, seed=7).items["item_id"].tolist()
    again = draw_sample(run, size=50, seed=7).items["item_id"].tolist()
    other = draw_sample(run, size=50, seed=8).items["item_id"].tolist()

    assert first == again
    assert first != other


def test_sample_size_above_population_takes_all(tabular_run_dir):
    run = load_run(tabular_run_dir)
    sample = draw_sample(run, size=10_000, seed=0)

    assert len(sample.items) == len(run.items)
    assert (sample.items["weight"] == 1.0).all()


def test_sample_text_items_have_texts(text_run_dir):
    run = load_run(text_run_dir)
    sample = draw_sample(run, size=120, seed=0)
    items = sample.items

    assert set(items["group"]) == {"en-US", "fi-FI"}
    assert items["text"].str.len().min() > 0
    finnish = items[items["locale"] == "fi-FI"]
    assert (finnish["english_gloss"] != finnish["text"]).all()
    assert set(items["pair_status"]) <= {"agrees", "flips", "unpaired"}
    assert "flips" in set(items["pair_status"])
    assert set(items.loc[items["locale"] == "en-US", "run"]) == {"vader-text"}
    assert set(items.loc[items["locale"] == "fi-FI", "run"]) == {"vader-gloss"}


def test_sample_text_thresholds_from_rules(text_run_dir):
    sample = draw_sample(load_run(text_run_dir), size=60, seed=0)
    edges = sample.settings["confidence_edges"]

    # VADER escalates at compound <= -0.05; the audit's scores are negated compounds.
    assert edges["vader-text"]["threshold"] == pytest.approx(0.05)
    assert edges["vader-gloss"]["threshold"] == pytest.approx(0.05)


def test_sample_model_run_restricts_items(text_run_dir):
    sample = draw_sample(load_run(text_run_dir), size=60, seed=0, model_runs=["vader-gloss"])

    assert set(sample.items["locale"]) == {"fi-FI"}


def test_sample_unknown_group_column(tabular_run_dir):
    with pytest.raises(DataError, match=r"'regoin'.*Did you mean 'region'"):
        draw_sample(load_run(tabular_run_dir), group=["regoin"])


def test_sample_unknown_model_run(text_run_dir):
    with pytest.raises(
        DataError, match=r"Model run 'vader'.*Runs: \['vader-text', 'vader-gloss'\]"
    ):
        draw_sample(load_run(text_run_dir), model_runs=["vader"])


def test_estimate_threshold_separated_and_not():
    scores = np.array([0.1, 0.2, 0.6, 0.9])

    assert estimate_threshold(scores, np.array([0, 0, 1, 1])) == pytest.approx(0.4)
    assert estimate_threshold(scores, np.array([1, 0, 1, 0])) == pytest.approx(0.4)


def test_sample_files_round_trip(text_run_dir, tmp_path):
    sample = draw_sample(load_run(text_run_dir), size=40, seed=0)
    write_sample(sample, tmp_path, run_dir=text_run_dir)

    again = read_sample(tmp_path)

    assert again.items["item_id"].tolist() == sample.items["item_id"].tolist()
    assert again.items["weight"].tolist() == pytest.approx(sample.items["weight"].tolist())
    assert again.items["text"].tolist() == sample.items["text"].tolist()
    assert again.scale == sample.scale
    assert again.settings["seed"] == 0
    assert len(again.strata) == len(sample.strata)


def test_read_sample_missing_folder(tmp_path):
    with pytest.raises(DataError, match="has no review.csv"):
        read_sample(tmp_path)
