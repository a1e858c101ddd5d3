"""Reading labelled corpora: CSV, TSV, JSON Lines, XED and WRIME files, and bad files."""

import json

import numpy as np
import pytest

from equilens.errors import DataError
from equilens.text import TextData, read_corpus
from equilens.text.corpora import WRIME_EMOTIONS


def corpus(tmp_path, name, content, **data):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return read_corpus(TextData(path=path, **data))


def test_csv_with_groups_and_quotes(tmp_path):
    content = 'text,label,gender\n"He said ""no"", twice",anger,male\nI feel fine,neutral,female\n'
    result = corpus(tmp_path, "c.csv", content, group_columns=["gender"])
    assert result.frame["text"].tolist() == ['He said "no", twice', "I feel fine"]
    assert result.frame["label"].tolist() == ["anger", "neutral"]
    assert result.frame["gender"].tolist() == ["male", "female"]
    assert result.frame["line"].tolist() == [2, 3]
    assert result.frame["item_id"].tolist() == ["line 2", "line 3"]


def test_tsv_keeps_quote_marks(tmp_path):
    content = 'sentence\temotion\n"Really?" she asked\tsurprise\n'
    result = corpus(tmp_path, "c.tsv", content, text_column="sentence", label_column="emotion")
    assert result.frame["text"].tolist() == ['"Really?" she asked']
    assert result.frame["label"].tolist() == ["surprise"]


def test_tsv_wrong_field_count_names_line(tmp_path):
    content = "text\tlabel\nfine\tjoy\ttoo many\n"
    with pytest.raises(DataError, match="Line 2 .* has 3 fields, but the header has 2"):
        corpus(tmp_path, "c.tsv", content)


def test_jsonl_with_ids_and_locale(tmp_path):
    rows = [
        {"id": 7, "text": "Hyvä", "label": "joy", "lang": "fi-FI"},
        {"id": 8, "text": "Great", "label": "joy", "lang": "en-GB"},
    ]
    content = "\n".join(json.dumps(row, ensure_ascii=False) for row in rows) + "\n"
    result = corpus(tmp_path, "c.jsonl", content, id_column="id", locale_column="lang")
    assert result.frame["item_id"].tolist() == ["7", "8"]
    assert result.frame["locale"].tolist() == ["fi-FI", "en-GB"]


def test_jsonl_invalid_line(tmp_path):
    content = '{"text": "a", "label": "joy"}\n{"text": "b", "label"\n'
    with pytest.raises(DataError, match="Line 2 .* is not valid JSON"):
        corpus(tmp_path, "c.jsonl", content)


def test_xed_labels_named(tmp_path):
    content = "I hate you.\t1, 3\nWhat a lovely day!\t5\n"
    result = corpus(tmp_path, "en-annotated.tsv", content, format="xed", locale="en")
    assert result.frame["text"].tolist() == ["I hate you.", "What a lovely day!"]
    assert result.frame["label"].tolist() == ["anger", "joy"]
    assert result.frame["locale"].tolist() == ["en", "en"]


def test_xed_multi_label_drop(tmp_path):
    content = "I hate you.\t1, 3\nWhat a lovely day!\t5\n"
    result = corpus(tmp_path, "x.tsv", content, format="xed", multi_label="drop")
    assert result.frame["label"].tolist() == ["joy"]
    assert result.warnings[0].code == "multi_label_dropped"
    assert result.warnings[0].details["count"] == 1


def test_xed_line_without_tab(tmp_path):
    with pytest.raises(DataError, match="Line 1 .* has no tab"):
        corpus(tmp_path, "x.tsv", "no labels here\n", format="xed")


def wrime_file(tmp_path):
    header = ["Sentence", "UserID"]
    header += [f"Writer_{emotion}" for emotion in WRIME_EMOTIONS]
    header += [f"Avg. Readers_{emotion}" for emotion in WRIME_EMOTIONS]
    rows = [
        ["ぜんぜん大丈夫です", "1", *["0", "0", "0", "0", "3", "0", "0", "0"], *["0"] * 8],
        [
            "楽しみ！",
            "2",
            *["2", "0", "2", "0", "0", "0", "0", "0"],
            *["1.333", "0", "2"] + ["0"] * 5,
        ],
        ["普通の日", "1", *["0"] * 8, *["0"] * 8],
    ]
    lines = ["\t".join(header), *("\t".join(row) for row in rows)]
    path = tmp_path / "wrime.tsv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_wrime_labels_from_writer(tmp_path):
    result = read_corpus(TextData(path=wrime_file(tmp_path), format="wrime", locale="ja-JP"))
    assert result.frame["text"].tolist() == ["ぜんぜん大丈夫です", "楽しみ！", "普通の日"]
    # Ties go to the emotion that comes first in WRIME's column order (joy before
    # anticipation).
    assert result.frame["label"].tolist() == ["anger", "joy", "neutral"]
    assert result.intensities["writer_anger"].tolist() == [3, 0, 0]
    assert np.isclose(result.intensities["readers_joy"].iloc[1], 1.333)


def test_wrime_labels_from_readers(tmp_path):
    data = TextData(path=wrime_file(tmp_path), format="wrime", wrime_label="readers")
    assert read_corpus(data).frame["label"].tolist() == ["neutral", "anticipation", "neutral"]


def test_wrime_missing_columns(tmp_path):
    path = tmp_path / "w.tsv"
    path.write_text("Sentence\tWriter_Joy\nhi\t1\n", encoding="utf-8")
    with pytest.raises(DataError, match="lacks the WRIME columns"):
        read_corpus(TextData(path=path, format="wrime"))


def test_non_utf8_file_names_line_and_fix(tmp_path):
    content = b"text,label\nok,joy\n" + "café,joy\n".encode("latin-1")
    with pytest.raises(DataError) as caught:
        corpus(tmp_path, "c.csv", content)
    message = str(caught.value)
    assert "not valid utf-8 text" in message
    assert "byte 0xe9 at line 3" in message
    assert "data.encoding" in message


def test_non_utf8_file_read_with_encoding(tmp_path):
    content = "text,label\ncafé,joy\n".encode("latin-1")
    result = corpus(tmp_path, "c.csv", content, encoding="latin-1")
    assert result.frame["text"].tolist() == ["café"]


def test_labels_outside_allowed_set(tmp_path):
    content = "text,label\na,joy\nb,rage\nc,angr\n"
    with pytest.raises(DataError) as caught:
        corpus(tmp_path, "c.csv", content, labels=["joy", "anger"])
    message = str(caught.value)
    assert "2 rows" in message
    assert "['angr', 'rage']" in message
    assert "lines 3, 4" in message
    assert "Did you mean 'anger'" in message


def test_missing_label_names_lines(tmp_path):
    with pytest.raises(DataError, match=r"no gold label \(lines 3\)"):
        corpus(tmp_path, "c.csv", "text,label\na,joy\nb,\n")


def test_missing_column_suggests_name(tmp_path):
    with pytest.raises(DataError, match="Column 'txt' .*Did you mean 'text'"):
        corpus(tmp_path, "c.csv", "text,label\na,joy\n", text_column="txt")


def test_repeated_ids(tmp_path):
    with pytest.raises(DataError, match="repeats the ids"):
        corpus(tmp_path, "c.csv", "id,text,label\n1,a,joy\n1,b,joy\n", id_column="id")


def test_locale_column_not_codes(tmp_path):
    content = "text,label,lang\na,joy,Finnish\n"
    with pytest.raises(DataError, match="not locale codes: \\['Finnish'\\]"):
        corpus(tmp_path, "c.csv", content, locale_column="lang")


def test_locales_filter_rows(tmp_path):
    content = "text,label,lang\na,joy,fi-FI\nb,joy,en-GB\n"
    result = corpus(tmp_path, "c.csv", content, locale_column="lang", locales=["fi-FI"])
    assert result.frame["text"].tolist() == ["a"]


def test_empty_file(tmp_path):
    with pytest.raises(DataError, match="has no rows"):
        corpus(tmp_path, "c.csv", "text,label\n")
