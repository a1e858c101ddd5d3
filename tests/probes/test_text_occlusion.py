"""Occlusion attribution of text minimal pairs."""

import json

import numpy as np
import pandas as pd
import pytest

from equilens.errors import DataError
from equilens.explain.occlusion import occlusion_attributions, regex_tokens


class NameSensitiveModel:
    """Escalates (score at least 0.5) when the text names John or contains 'furious'."""

    id = "name-sensitive"
    kind = "test"
    batch_size = 64
    max_concurrency = 1

    def score(self, texts):
        return np.array(
            [0.3 + 0.3 * ("John" in text) + 0.1 * ("furious" in text) for text in texts]
        )

    def predict(self, texts):
        return np.where(self.score(texts) >= 0.5, "escalate", "keep")


class LabelOnlyModel(NameSensitiveModel):
    def score(self, texts):
        return None

    def predict(self, texts):
        return np.where(["John" in text for text in texts], "escalate", "keep")


PAIRS = [
    ("Mary wrote: the parcel is late.", "John wrote: the parcel is late."),
    ("Mary is furious about the bill.", "John is furious about the bill."),
    ("Mary asked for a refund.", "Mary asked for a refund!"),
]


def test_substituted_name_carries_effect():
    output = occlusion_attributions(NameSensitiveModel(), PAIRS, positive_label="escalate")

    assert output["pairs_flipped"] == 2
    assert output["pairs_explained"] == 2
    first = output["pairs"][0]
    assert first["changed_tokens"] == [
        {"token": "John", "position": 0, "effect": pytest.approx(0.3)}
    ]
    assert first["top_tokens"][0]["token"] == "John"
    assert output["tokens"][0]["token"] == "John"
    assert output["tokens"][0]["count"] == 2


def test_unflipped_pairs_explained_on_request():
    output = occlusion_attributions(
        NameSensitiveModel(), PAIRS, positive_label="escalate", only_flipped=False
    )
    assert output["pairs_explained"] == 3
    assert output["pairs"][2]["changed_tokens"][0]["token"] == "!"


def test_pair_table_columns_used():
    frame = pd.DataFrame(
        {
            "run": ["r1", "r1"],
            "pair_id": ["p1", "p2"],
            "axis": ["name", "name"],
            "base_value": ["Mary", "Mary"],
            "value": ["John", "John"],
            "base_input_text": [PAIRS[0][0], PAIRS[1][0]],
            "input_text": [PAIRS[0][1], PAIRS[1][1]],
            "base_y_pred": [0, 0],
            "y_pred": [1, 0],
        }
    )
    output = occlusion_attributions(NameSensitiveModel(), frame)

    assert output["pairs_explained"] == 1
    assert output["pairs"][0]["pair_id"] == "p1"
    assert output["pairs"][0]["axis"] == "name"
    json.dumps(output, allow_nan=False)


def test_decisions_without_scores():
    output = occlusion_attributions(LabelOnlyModel(), PAIRS, positive_label="escalate")
    assert output["output"] == "decision"
    assert output["pairs"][0]["changed_tokens"][0]["effect"] == 1.0


def test_labels_only_needs_positive_label():
    with pytest.raises(DataError, match="positive_label"):
        occlusion_attributions(LabelOnlyModel(), PAIRS)


def test_single_token_text_has_no_effect():
    output = occlusion_attributions(
        NameSensitiveModel(), [("Mary", "John")], positive_label="escalate"
    )
    assert output["pairs"][0]["changed_tokens"][0]["effect"] is None
    json.dumps(output, allow_nan=False)


def test_vader_model_scores_occlusions():
    from equilens.models.text import VaderConfig, VaderModel

    model = VaderModel(VaderConfig())
    pairs = [("The service was fine.", "The service was terrible.")]
    output = occlusion_attributions(model, pairs, positive_label="negative")

    (entry,) = output["pairs"]
    assert entry["changed_tokens"][0]["token"] == "terrible"
    assert entry["top_tokens"][0]["token"] == "terrible"


def test_bad_pairs_raise():
    with pytest.raises(DataError, match="base_text, variant_text"):
        occlusion_attributions(NameSensitiveModel(), ["just one text"])


def test_regex_tokens_split_punctuation():
    text = "John's parcel, late!"
    assert [text[s:e] for s, e in regex_tokens(text)] == [
        "John",
        "'",
        "s",
        "parcel",
        ",",
        "late",
        "!",
    ]
