"""metadata: formatting, label maps, completeness against the seed guide's essentials, diff."""

from __future__ import annotations

import pytest

from wbview.analysis.metadata import (
    ESSENTIAL_METADATA,
    completeness,
    essential_type,
    format_value,
    is_label_map,
    label_map_frame,
    metadata_blocks,
    metadata_diff,
    values_frame,
)


@pytest.mark.parametrize(
    "value, text",
    [
        (1234567, "1,234,567"),
        (0.94123456, "0.9412"),
        (2.0, "2"),
        (1234.5, "1,234.5"),
        (0.00001234, "1.23e-05"),
        (True, "True"),
        (None, "None"),
        (float("nan"), "nan"),
        ("<b>x</b>", "<b>x</b>"),
    ],
)
def test_format_value(value, text):
    assert format_value(value) == text


@pytest.mark.parametrize(
    "value, expected",
    [
        ({0: "ham", 1: "phishing"}, True),
        ({"0": "ham", "1": "phishing"}, True),  # JSON turns int keys into text
        ({"ham": 0, "phishing": 1}, True),
        ({"ham": 0.6, "phishing": 0.4}, False),
        ({"train": 16240, "val": 2030}, False),  # counts per split, not class ids
        ({"0": "ham", "2": "phishing"}, False),
        ({"a": {"b": 1}}, False),
        ({}, False),
        ([0, 1], False),
    ],
)
def test_is_label_map(value, expected):
    assert is_label_map(value) is expected


@pytest.mark.parametrize("value", [{"1": "phishing", "0": "ham"}, {"ham": 0, "phishing": 1}])
def test_label_map_frame_is_id_then_label(value):
    assert label_map_frame(value).to_dict("list") == {"id": [0, 1], "label": ["ham", "phishing"]}


def test_blocks_put_values_first_then_label_maps_lists_and_sections():
    blocks = metadata_blocks({"nested": {"a": 1}, "id2label": {"0": "x"}, "cols": ["a"], "n": 3})
    assert [(b.key, b.kind) for b in blocks] == [
        ("n", "value"),
        ("id2label", "label_map"),
        ("cols", "list"),
        ("nested", "mapping"),
    ]


def test_values_frame_flattens_and_formats():
    assert values_frame({"a": {"b": 1000, "c": 0.5}}).to_dict("list") == {"key": ["a.b", "a.c"], "value": ["1,000", "0.5"]}


@pytest.mark.parametrize(
    "artifact_type, row",
    [
        ("dataset", "dataset"),
        ("Model", "model"),
        ("predictions", "predictions"),
        ("eval-predictions", "predictions"),
        ("dataset-raw", "dataset"),
        ("run_table", None),
    ],
)
def test_essential_type(artifact_type, row):
    assert essential_type(artifact_type) == row


def test_completeness_names_what_is_missing():
    result = completeness("model", {"base_model": "bert", "framework": "transformers", "id2label": {}})
    assert result.missing == ("dataset", "label2id", "best_metric")
    assert "Missing 3 of 6 essential metadata keys for a model: dataset, label2id, best_metric." == result.message()


def test_completeness_accepts_nested_keys_and_known_aliases():
    meta = {
        "stats": {"num_samples": 5},
        "splits": {},
        "class_distribution": {},
        "columns": [],
        "source_dataset": "x",
        "preprocessing_applied": "y",
    }
    result = completeness("dataset", meta)
    assert result.complete and result.aliases_used == {"schema": "columns", "source": "source_dataset"}


def test_completeness_for_every_essential_type_is_complete_with_exactly_the_essentials():
    for artifact_type, keys in ESSENTIAL_METADATA.items():
        assert completeness(artifact_type, dict.fromkeys(keys, 1)).complete


def test_completeness_of_an_unknown_type_is_not_checked():
    result = completeness("run_table", {})
    assert not result.checked and "No essential metadata is defined" in result.message()


def test_metadata_diff():
    diff = metadata_diff({"a": 1, "b": {"c": 2}, "d": 4}, {"a": 1, "b": {"c": 3}, "e": 5})
    assert diff.to_dict("records") == [
        {"key": "b.c", "left": "2", "right": "3", "change": "changed"},
        {"key": "d", "left": "4", "right": "", "change": "removed"},
        {"key": "e", "left": "", "right": "5", "change": "added"},
    ]
    assert len(metadata_diff({"a": 1}, {"a": 1}, include_same=True)) == 1
    assert metadata_diff({"a": 1}, {"a": 1}).empty


@pytest.mark.parametrize(
    "versions, ordered",
    [
        (["v10", "v2", "v0"], ["v0", "v2", "v10"]),
        (["latest", "v1"], ["v1", "latest"]),  # a name that is not vN sorts after the numbered ones
    ],
)
def test_version_order_is_numeric(versions, ordered):
    from wbview.analysis.metadata import version_order

    assert sorted(versions, key=version_order) == ordered


@pytest.mark.parametrize("first, second", [("v0", "v1"), ("v1", "v0")])
def test_version_diff_reads_from_older_to_newer_whichever_comes_first(first, second):
    from wbview.analysis.metadata import version_diff

    metadata = {"v0": {"kept": 1, "gone": 2}, "v1": {"kept": 3, "new": 4}}
    older, newer, diff = version_diff(first, metadata[first], second, metadata[second])
    assert (older, newer) == ("v0", "v1")
    assert dict(zip(diff["key"], diff["change"], strict=False)) == {"gone": "removed", "kept": "changed", "new": "added"}
    assert list(diff.columns) == ["key", "v0", "v1", "change"]


@pytest.mark.parametrize("aliases, label", [((), "v3"), (("v3",), "v3"), (("best", "latest"), "v3 (best, latest)")])
def test_version_label_names_the_aliases(aliases, label):
    from wbview.analysis.metadata import version_label

    assert version_label("v3", aliases) == label
