"""Run against run (join, statuses, duplicates), the dataset-lineage warning and
stacked tables with error rates per param value, on hand-built tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from wbview.analysis.compare import STATUSES, dataset_lineage_warning, diff_runs
from wbview.analysis.prepare import prepare
from wbview.analysis.stacking import error_rates_by, stack_tables, varying_params
from wbview.analysis.stats import wilson_interval
from wbview.errors import BadTable, UsageError


def run_a() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Sample ID": [1, 2, 3, 4, 5],
            "Decoded Text": list("abcde"),
            "True Label": ["x", "y", "x", "y", "x"],
            "Predicted Label": ["y", "y", "y", "y", "x"],
        }
    )  # wrong: 1, 3


def run_b() -> pd.DataFrame:
    # different row order, sample 5 missing, sample 6 new; wrong: 3, 4
    return pd.DataFrame(
        {
            "Sample ID": [4, 3, 2, 1, 6],
            "Decoded Text": list("dcbaf"),
            "True Label": ["y", "x", "y", "x", "y"],
            "Predicted Label": ["x", "y", "y", "x", "y"],
        }
    )


def test_join_on_sample_id_classifies_every_sample():
    diff = diff_runs(prepare(run_a()), prepare(run_b()))
    assert diff.key == "Sample ID"
    status = dict(zip(diff.joined["Key"], diff.joined["Status"].astype(str), strict=False))
    assert status == {1: "fixed", 2: "still right", 3: "still wrong", 4: "newly broken"}
    assert diff.counts.set_index("status")["rows"].to_dict() == {
        "fixed": 1,
        "newly broken": 1,
        "still wrong": 1,
        "still right": 1,
    }
    assert (diff.only_in_a, diff.only_in_b, diff.duplicate_keys, diff.label_mismatches) == (1, 1, 0, 0)
    assert diff.rows("fixed")["Decoded Text"].tolist() == ["a"]
    assert {"Predicted Label (A)", "Predicted Label (B)", "Is Error (A)", "Is Error (B)"} <= set(diff.joined.columns)
    assert list(diff.counts["status"]) == list(STATUSES)


def test_integer_ids_match_string_ids():
    b = run_b().assign(**{"Sample ID": lambda f: f["Sample ID"].astype(str)})
    diff = diff_runs(prepare(run_a()), prepare(b))
    assert diff.counts["rows"].sum() == 4 and diff.only_in_a == 1


def test_join_on_text_when_no_id_and_duplicates_match_by_occurrence():
    a = run_a().drop(columns="Sample ID")
    b = run_b().drop(columns="Sample ID")
    a.loc[4, "Decoded Text"] = "a"  # "a" twice in A: 1st "a" matches B's only "a"
    diff = diff_runs(prepare(a), prepare(b))
    assert diff.key == "Decoded Text"
    assert diff.duplicate_keys == 1 and diff.only_in_a == 1
    assert diff.joined["Key"].tolist().count("a") == 1
    assert diff.rows("fixed")["Key"].tolist() == ["a"]


def test_label_mismatch_counted():
    b = run_b()
    b.loc[b["Sample ID"] == 2, "True Label"] = "x"
    assert diff_runs(prepare(run_a()), prepare(b)).label_mismatches == 1


def test_join_needs_a_key():
    a = pd.DataFrame({"label": ["x"], "prediction": ["x"]})
    with pytest.raises(BadTable, match="sample id"):
        diff_runs(prepare(a), prepare(a))
    with pytest.raises(BadTable, match="no such column"):
        diff_runs(prepare(run_a()), prepare(run_b()), on="nope")
    with pytest.raises(UsageError):
        diff_runs(prepare(run_a()), prepare(run_b())).rows("mystery")


@pytest.mark.parametrize(
    "a, b, expected",
    [
        ("team/proj/emails:v3", "team/proj/emails:v3", None),
        ("team/proj/emails:v3", "team/proj/emails:v4", "different versions of team/proj/emails: v3 (A) vs v4 (B)"),
        ("team/proj/emails:v3", "team/proj/sms:v3", "different datasets"),
        ("team/proj/emails:latest", "team/proj/emails:latest", "alias"),
        (None, "team/proj/emails:v3", "Run A records no evaluation dataset"),
        ("team/proj/emails:v3", None, "Run B records no evaluation dataset"),
        (None, None, "Neither run A nor run B"),
        ("QXJ0aWZhY3Q6MQ==", "QXJ0aWZhY3Q6MQ==", None),
        ("QXJ0aWZhY3Q6MQ==", "QXJ0aWZhY3Q6Mg==", "different datasets"),
    ],
)
def test_dataset_lineage_warning(a, b, expected):
    warning = dataset_lineage_warning(a, b)
    if expected is None:
        assert warning is None
    else:
        assert expected in warning


def test_stack_tables_with_run_columns_and_mixed_naming():
    seed_style = run_a()
    snake_style = pd.DataFrame({"id": [1, 2], "text": ["a", "b"], "true_label": ["x", "y"], "predicted_label": ["x", "x"]})
    stacked = stack_tables(
        {
            "run-1": (seed_style, {"lr": 0.1, "model": "bert"}, {"run_id": "abc"}),
            "run-2": (snake_style, {"lr": 0.2, "model": "bert"}, {"run_id": "def"}),
        }
    )
    assert list(stacked.columns[:3]) == ["run", "run_id", "config.lr"]
    assert "config.model" not in stacked.columns  # same everywhere: not a chosen param
    assert len(stacked) == 7
    assert stacked["Is Error"].tolist() == [True, False, True, False, False, False, True]
    assert stacked.groupby("run", observed=True)["config.lr"].first().to_dict() == {"run-1": 0.1, "run-2": 0.2}
    assert stacked["Decoded Text"].tolist()[-2:] == ["a", "b"]


def test_error_rates_by_param_with_wilson_interval():
    frames = {f"r{i}": (run_a(), {"lr": lr}) for i, lr in enumerate([0.1, 0.1, 0.2])}
    frames["r2"] = (run_b(), {"lr": 0.2})
    rates = error_rates_by(stack_tables(frames), "config.lr").set_index("config.lr")
    assert rates.loc[0.1, ["runs", "rows", "errors"]].tolist() == [2, 10, 4]
    assert rates.loc[0.2, ["runs", "rows", "errors"]].tolist() == [1, 5, 2]
    low, high = wilson_interval(4, 10)
    assert rates.loc[0.1, "error_rate_low"] == pytest.approx(low) and rates.loc[0.1, "error_rate_high"] == pytest.approx(high)


def test_varying_params_and_bad_run():
    assert varying_params({"a": {"x": 1, "y": [1]}, "b": {"x": 1, "y": [2], "z": 3}}) == ["y", "z"]
    with pytest.raises(BadTable, match="Run 'bad'"):
        stack_tables({"bad": (pd.DataFrame({"q": [1]}), {})})
    with pytest.raises(UsageError):
        stack_tables({})


def _model(name: str, producer: str | None, kind: str = "model"):
    from wbview.records import ArtifactVersion

    return ArtifactVersion("acme", "p", name.split(":")[0], name.split(":")[1], kind, logged_by=producer)


def _train_run(run_id: str, lr: float, bits: int):
    from wbview.records import Run

    return Run(id=run_id, entity="acme", project="p", name=run_id, config={"params": {"lr": lr, "bits": bits}})


def test_trained_with_follows_used_model_to_its_training_run():
    from wbview.analysis.stacking import trained_with

    artifacts = {
        "clf:v0": _model("clf:v0", "t1"),
        "clf:v1": _model("clf:v1", "t2"),
        "data:v3": _model("data:v3", "t9", "dataset"),
        "gone:v0": None,
        "orphan:v0": _model("orphan:v0", None),
    }
    runs = {"t1": _train_run("t1", 0.1, 12), "t2": _train_run("t2", 0.01, 12), "t9": _train_run("t9", 9.0, 9)}
    assert trained_with(["clf:v0", "data:v3"], artifacts, runs) == {"train.params.lr": 0.1, "train.params.bits": 12}
    # Two models: equal values stay, differing ones are joined; the dataset's producer never counts.
    assert trained_with(["clf:v0", "clf:v1"], artifacts, runs) == {"train.params.lr": "0.01 + 0.1", "train.params.bits": 12}
    assert trained_with(["gone:v0", "orphan:v0", "data:v3"], artifacts, runs) == {}
    assert trained_with(["clf:v1"], artifacts, {}) == {}  # producer not among the known runs


def test_stack_tables_adds_joined_training_params_that_differ():
    frames = {"e1": (run_a(), {"threshold": 0.5}), "e2": (run_b(), {"threshold": 0.5}), "e3": (run_a(), {"threshold": 0.5})}
    joined = {
        "e1": {"train.params.lr": 0.1, "train.params.bits": 12},
        "e2": {"train.params.lr": 0.01, "train.params.bits": 12},
        "e3": {"train.params.bits": 12},
    }
    stacked = stack_tables(frames, joined=joined)
    assert "train.params.bits" not in stacked.columns and "config.threshold" not in stacked.columns
    assert stacked.groupby("run", observed=True)["train.params.lr"].first().dropna().to_dict() == {"e1": 0.1, "e2": 0.01}
    assert stacked.loc[stacked["run"] == "e3", "train.params.lr"].isna().all()  # no lr recorded: missing, not guessed
    rates = error_rates_by(stacked, "train.params.lr")
    assert list(rates["train.params.lr"]) == [0.01, 0.1, "(missing)"] and list(rates["runs"]) == [1, 1, 1]
    assert rates["rows"].sum() == len(stacked)


@pytest.mark.parametrize(
    "datasets, expected",
    [
        ({"a": "d:v1", "b": "d:v1"}, None),
        ({"a": "d:v0", "b": "d:v1", "c": "d:v1"}, "2 different dataset versions: d:v0 (1 run); d:v1 (2 runs)"),
        ({"a": "d:v1", "b": None}, "Only some runs record their evaluation dataset (d:v1 (1 run)). 1 run records none: b."),
        ({"a": None, "b": None}, "None of the 2 runs records its evaluation dataset"),
        ({"a": "d:v0", "b": "e:v0", "c": None}, "1 run records none: c."),
    ],
)
def test_dataset_versions_warning(datasets, expected):
    from wbview.analysis.stacking import dataset_versions_warning

    warning = dataset_versions_warning(datasets)
    assert warning is None if expected is None else expected in warning


def test_text_run_columns_are_categoricals_with_the_same_values_and_rates():
    import io

    from wbview.analysis.rows import to_csv_bytes

    frames = {
        "e1": (run_a(), {"model": "roberta"}, {"run_id": "zz9"}),
        "e2": (run_b(), {"model": "bert"}, {"run_id": "aa1"}),
        "e3": (run_a(), {}, {"run_id": "mm5"}),
    }
    stacked = stack_tables(frames)
    sizes = [len(run_a()), len(run_b()), len(run_a())]
    assert isinstance(stacked["config.model"].dtype, pd.CategoricalDtype)
    assert stacked["config.model"].tolist() == ["roberta"] * sizes[0] + ["bert"] * sizes[1] + [np.nan] * sizes[2]
    assert stacked["run_id"].astype(object).tolist() == ["zz9"] * sizes[0] + ["aa1"] * sizes[1] + ["mm5"] * sizes[2]
    rates = error_rates_by(stacked, "config.model")
    assert list(rates["config.model"]) == ["bert", "roberta", "(missing)"] and rates["rows"].tolist() == [
        sizes[1],
        sizes[0],
        sizes[2],
    ]
    back = pd.read_csv(io.BytesIO(to_csv_bytes(stacked)), keep_default_na=False)
    assert back["config.model"].tolist() == stacked["config.model"].astype(object).fillna("").tolist()
