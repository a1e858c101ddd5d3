"""Tests of the DuckDB prediction cache."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from equilens.errors import EquilensError
from equilens.store import CachedPrediction, PredictionCache, text_sha256


def test_text_sha256_exact_bytes():
    assert text_sha256("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert text_sha256("abc ") != text_sha256("abc")


def test_cache_round_trip(tmp_path):
    predictions = [
        CachedPrediction(text_sha256("a"), "ok", label="escalate", score=0.25),
        CachedPrediction(text_sha256("b"), "ok", label=1, score=None, truncated=True),
        CachedPrediction(text_sha256("c"), "unparseable", message="I cannot tell"),
        CachedPrediction(text_sha256("d"), "ok", label=np.int64(3)),
    ]

    with PredictionCache(tmp_path / "cache.duckdb") as cache:
        stored = cache.store("model:1", predictions)
        found = cache.lookup("model:1", [text_sha256(text) for text in "abcde"])

    assert stored == 4
    assert found[text_sha256("a")] == predictions[0]
    assert found[text_sha256("b")] == predictions[1]
    assert found[text_sha256("c")] == predictions[2]
    assert found[text_sha256("d")].label == 3
    assert text_sha256("e") not in found


def test_cache_survives_reopen(tmp_path):
    path = tmp_path / "nested" / "cache.duckdb"
    with PredictionCache(path) as cache:
        cache.store("model:1", [CachedPrediction(text_sha256("a"), "ok", label="x")])

    with PredictionCache(path) as cache:
        assert cache.count() == 1
        assert cache.lookup("model:1", [text_sha256("a")])[text_sha256("a")].label == "x"


def test_cache_keys_by_model_id(tmp_path):
    with PredictionCache(tmp_path / "cache.duckdb") as cache:
        cache.store("model:1", [CachedPrediction(text_sha256("a"), "ok", label="x")])
        cache.store("model:2", [CachedPrediction(text_sha256("a"), "ok", label="y")])

        assert cache.lookup("model:1", [text_sha256("a")])[text_sha256("a")].label == "x"
        assert cache.lookup("model:2", [text_sha256("a")])[text_sha256("a")].label == "y"
        assert cache.count("model:1") == 1
        assert cache.count() == 2


def test_cache_store_replaces(tmp_path):
    key = text_sha256("a")
    with PredictionCache(tmp_path / "cache.duckdb") as cache:
        cache.store("model:1", [CachedPrediction(key, "unparseable", message="hmm")])
        cache.store("model:1", [CachedPrediction(key, "ok", label="x")])

        assert cache.lookup("model:1", [key])[key].status == "ok"
        assert cache.count() == 1


def test_cache_empty_lookup_and_store(tmp_path):
    with PredictionCache(tmp_path / "cache.duckdb") as cache:
        assert cache.lookup("model:1", []) == {}
        assert cache.store("model:1", []) == 0


def test_cache_never_stores_texts(tmp_path):
    path = tmp_path / "cache.duckdb"
    text = "My account number is 99887766 and I am furious"
    with PredictionCache(path) as cache:
        cache.store("model:1", [CachedPrediction(text_sha256(text), "ok", label="escalate")])

    assert b"99887766" not in path.read_bytes()


def test_cache_unserializable_label(tmp_path):
    with PredictionCache(tmp_path / "cache.duckdb") as cache, pytest.raises(TypeError):
        cache.store("model:1", [CachedPrediction(text_sha256("a"), "ok", label=object())])


def test_cache_locked_by_other_process(tmp_path):
    path = tmp_path / "cache.duckdb"
    holder = textwrap.dedent(
        f"""
        import sys
        import duckdb
        connection = duckdb.connect({str(path)!r})
        print("ready", flush=True)
        sys.stdin.readline()
        """
    )
    process = subprocess.Popen(
        [sys.executable, "-c", holder], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout.readline().strip() == "ready"
        with pytest.raises(EquilensError, match="Cannot open the prediction cache"):
            PredictionCache(path)
    finally:
        process.communicate("\n", timeout=30)
