"""Tests of the local Hugging Face adapter on a tiny BERT model built in the test."""

from __future__ import annotations

import logging
import math
import shutil
import sys
from pathlib import Path

import pytest

from equilens.errors import ModelError
from equilens.models.text import HFLocalConfig, build_text_model, predict_texts

transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")
tokenizers = pytest.importorskip("tokenizers")

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"]
WORDS = SPECIAL_TOKENS + ["the", "service", "was", "slow", "rude", "great", "thanks", "refund"]
MAX_TOKENS = 16
MAPPING = {"NEGATIVE": "escalate", "POSITIVE": "no_escalate"}


def save_tiny_model(path: Path, *, bias: tuple[float, float], pickle: bool = False) -> Path:
    """Save a one-layer BERT classifier whose logits equal `bias` for every text."""
    vocab = {word: index for index, word in enumerate(WORDS)}

    tokenizer = tokenizers.Tokenizer(tokenizers.models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = tokenizers.pre_tokenizers.Whitespace()
    tokenizer.post_processor = tokenizers.processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    fast_tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        model_max_length=MAX_TOKENS,
    )

    config = transformers.BertConfig(
        vocab_size=len(WORDS),
        hidden_size=8,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=16,
        max_position_embeddings=MAX_TOKENS,
        id2label={0: "NEGATIVE", 1: "POSITIVE"},
        label2id={"NEGATIVE": 0, "POSITIVE": 1},
    )

    torch.manual_seed(0)
    model = transformers.BertForSequenceClassification(config)
    with torch.no_grad():
        model.classifier.weight.zero_()
        model.classifier.bias.copy_(torch.tensor(bias))

    model.save_pretrained(path)
    fast_tokenizer.save_pretrained(path)
    if pickle:
        torch.save(model.state_dict(), path / "pytorch_model.bin")
        (path / "model.safetensors").unlink()
    return path


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    return save_tiny_model(tmp_path_factory.mktemp("tiny-bert"), bias=(0.0, 3.0))


def negative_probability(bias: tuple[float, float]) -> float:
    return 1 / (1 + math.exp(bias[1] - bias[0]))


def test_hf_local_labels_and_scores(model_dir):
    model = build_text_model(
        {
            "kind": "hf_local",
            "path": str(model_dir),
            "label_mapping": MAPPING,
            "positive_label": "escalate",
            "batch_size": 2,
        }
    )

    result = predict_texts(model, ["the service was slow", "great thanks", "refund"])

    assert result.labels.tolist() == ["no_escalate"] * 3
    assert result.scores.tolist() == pytest.approx([negative_probability((0.0, 3.0))] * 3)
    assert result.status.tolist() == ["ok"] * 3
    assert model.labels == ("escalate", "no_escalate")
    assert model.max_length == MAX_TOKENS


def test_hf_local_without_mapping_or_scores(model_dir):
    model = build_text_model({"kind": "hf_local", "path": str(model_dir)})

    result = predict_texts(model, ["great thanks"])

    assert result.labels.tolist() == ["POSITIVE"]
    assert result.scores is None
    assert model.score(["great thanks"]) is None


def test_hf_local_truncates_long_text(model_dir, caplog):
    model = build_text_model({"kind": "hf_local", "path": str(model_dir)})
    long_text = " ".join(["the service was slow"] * 10)

    with caplog.at_level(logging.WARNING):
        result = predict_texts(model, [long_text, "great thanks"])

    assert result.truncated.tolist() == [True, False]
    assert result.counts.truncated == 1
    assert result.status.tolist() == ["ok", "ok"]
    assert f"Truncated 1 texts of a batch to the limit of model {model.id} (16 tokens)" in (
        caplog.text
    )
    assert "1 texts were longer than the length limit" in caplog.text


def test_hf_local_smaller_max_length(model_dir):
    model = build_text_model({"kind": "hf_local", "path": str(model_dir), "max_length": 6})

    result = predict_texts(model, ["the service was slow", "the service was slow and rude"])

    assert result.truncated.tolist() == [False, True]


def test_hf_local_max_length_above_limit(model_dir):
    with pytest.raises(ModelError, match="max_length 64 is more than the model's limit of 16"):
        build_text_model({"kind": "hf_local", "path": str(model_dir), "max_length": 64})


def test_hf_local_id_follows_file_content(model_dir, tmp_path):
    copied = tmp_path / "copy"
    shutil.copytree(model_dir, copied)
    changed = save_tiny_model(tmp_path / "changed", bias=(1.0, 0.0))

    original = build_text_model({"kind": "hf_local", "path": str(model_dir)})
    moved = build_text_model({"kind": "hf_local", "path": str(copied), "batch_size": 5})
    retrained = build_text_model({"kind": "hf_local", "path": str(changed)})

    assert original.id == moved.id
    assert original.id != retrained.id
    assert retrained.predict(["great thanks"]).tolist() == ["NEGATIVE"]


def test_hf_local_mapping_unknown_label(model_dir):
    mapping = {"NEGATVE": "escalate", "POSITIVE": "no_escalate"}

    with pytest.raises(ModelError, match="Did you mean 'NEGATIVE'"):
        build_text_model({"kind": "hf_local", "path": str(model_dir), "label_mapping": mapping})


def test_hf_local_mapping_missing_label(model_dir):
    with pytest.raises(ModelError, match=r"does not map the model labels \['POSITIVE'\]"):
        build_text_model(
            {"kind": "hf_local", "path": str(model_dir), "label_mapping": {"NEGATIVE": "x"}}
        )


def test_hf_local_positive_label_not_a_label(model_dir):
    with pytest.raises(ModelError, match="positive_label 'escalated' is not one of the labels"):
        build_text_model(
            {
                "kind": "hf_local",
                "path": str(model_dir),
                "label_mapping": MAPPING,
                "positive_label": "escalated",
            }
        )


@pytest.mark.parametrize("device", ["gpu", "cuda:99"])
def test_hf_local_unknown_device(model_dir, device):
    if device.startswith("cuda") and torch.cuda.device_count() > 99:
        pytest.skip("this machine has a device cuda:99")

    with pytest.raises(ModelError, match=f"Failed to put the model on device '{device}'"):
        build_text_model({"kind": "hf_local", "path": str(model_dir), "device": device})


def test_hf_local_missing_directory(tmp_path):
    # A Hub repository name is not a local directory, so nothing is downloaded.
    with pytest.raises(ModelError, match="equilens never downloads models"):
        build_text_model({"kind": "hf_local", "path": "distilbert-base-uncased"})


def test_hf_local_directory_without_config(tmp_path):
    with pytest.raises(ModelError, match="has no config.json"):
        build_text_model({"kind": "hf_local", "path": str(tmp_path)})


def test_hf_local_pickle_weights_need_flag(tmp_path):
    path = save_tiny_model(tmp_path / "pickled", bias=(0.0, 3.0), pickle=True)

    with pytest.raises(ModelError, match="allow_pickle_weights"):
        build_text_model({"kind": "hf_local", "path": str(path)})

    model = build_text_model({"kind": "hf_local", "path": str(path), "allow_pickle_weights": True})
    assert model.predict(["great thanks"]).tolist() == ["POSITIVE"]


def test_hf_local_missing_extra(monkeypatch, model_dir):
    monkeypatch.setitem(sys.modules, "transformers", None)

    with pytest.raises(ModelError, match=r"pip install 'equilens\[hf\]'"):
        build_text_model(HFLocalConfig(path=model_dir))
