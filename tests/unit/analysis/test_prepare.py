"""prepare(): role derivation, case-insensitive class matching, clear BadTable messages."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from wbview.analysis.prepare import prepare
from wbview.errors import BadTable, UsageError
from wbview.schema import detect_schema


def seed_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Decoded Text": ["win a prize", "lunch?", "verify account", "minutes attached"],
            "True Label": ["phishing", "ham", "phishing", "ham"],
            "Prob (Ham)": [0.8, 0.9, 0.2, 0.3],
            "Prob (Phishing)": [0.2, 0.1, 0.8, 0.7],
        }
    )


def test_derives_prediction_error_confidence_and_outcome_from_probabilities():
    table = prepare(seed_table())
    frame = table.frame
    assert set(table.classes) == {"phishing", "ham"}
    assert table.positive_class == "phishing"
    assert list(frame["Predicted Label"].astype(str)) == ["ham", "ham", "phishing", "phishing"]
    assert list(frame["Is Error"]) == [True, False, False, True]
    assert np.allclose(frame["Confidence"], [0.8, 0.9, 0.8, 0.7])
    assert list(frame["Outcome"].astype(str)) == ["FN", "TN", "TP", "FP"]
    assert set(table.derived) == {"Predicted Label", "Is Error", "Confidence", "Outcome"}


def test_prob_class_case_differs_from_label_case():
    df = seed_table().rename(columns={"Prob (Phishing)": "Prob (PHISHING)"})
    df["True Label"] = df["True Label"].str.capitalize()  # "Phishing", "Ham"
    table = prepare(df)
    assert table.positive_class == "Phishing"
    assert table.prob_column("phishing") == "Prob (PHISHING)"
    assert np.allclose(table.positive_scores(), [0.2, 0.1, 0.8, 0.7])


def test_input_is_not_mutated():
    df = seed_table()
    before = df.copy()
    prepare(df)
    pd.testing.assert_frame_equal(df, before)


def test_threshold_recomputes_predictions_and_keeps_logged_columns():
    df = seed_table()
    df["Predicted Label"] = ["ham", "ham", "phishing", "phishing"]
    df["Is Error"] = [True, False, False, True]
    table = prepare(df, threshold=0.15)
    assert table.schema.predicted_label == "Predicted Label (derived)"
    assert list(table.frame[table.schema.predicted_label].astype(str)) == ["phishing", "ham", "phishing", "phishing"]
    assert list(table.is_error()) == [False, False, False, True]
    assert list(table.frame["Is Error"]) == [True, False, False, True]  # the logged column is untouched


@pytest.mark.parametrize(
    "values, expected",
    [
        ([True, False, True], [True, False, True]),
        ([1, 0, 1], [True, False, True]),
        (["True", "false", "YES"], [True, False, True]),
        (["1", "0", "no"], [True, False, False]),
    ],
)
def test_is_error_column_coerced(values, expected):
    table = prepare(pd.DataFrame({"text": ["a", "b", "c"], "is_error": values}))
    assert list(table.is_error()) == expected


def test_bad_is_error_values_name_the_column():
    with pytest.raises(BadTable, match=r"'is_error'.*maybe"):
        prepare(pd.DataFrame({"text": ["a", "b"], "is_error": ["maybe", "true"]}))


def test_missing_roles_give_actionable_message():
    with pytest.raises(BadTable) as info:
        prepare(pd.DataFrame({"body_text": ["a"], "y": ["x"]}))
    message = str(info.value)
    assert "true_label" in message and "predicted_label" in message and "mapping" in message


def test_mapping_to_absent_column_is_reported():
    schema = detect_schema(["text"]).with_mapping({"true_label": "gold"})
    with pytest.raises(BadTable, match="gold"):
        prepare(pd.DataFrame({"text": ["a"]}), schema)


def test_user_mapping_makes_unusual_names_work():
    df = pd.DataFrame({"msg": ["a", "b"], "gold_y": ["spam", "ok"], "model_y": ["ok", "ok"]})
    schema = detect_schema(df.columns).with_mapping({"text": "msg", "true_label": "gold_y", "predicted_label": "model_y"})
    table = prepare(df, schema)
    assert list(table.is_error()) == [True, False]
    assert table.positive_class == "spam"


def test_empty_table_rejected():
    with pytest.raises(BadTable, match="no rows"):
        prepare(seed_table().iloc[:0])


@pytest.mark.parametrize(
    "labels, probs, expected",
    [
        (["ham", "phishing"], None, "phishing"),
        (["0", "1"], None, "1"),
        ([0, 1], None, "1"),
        (["cat", "dog"], ["cat", "dog"], "dog"),  # no hint: last prob column
        (["b", "a"], None, "b"),  # no hint, no probs: second in sorted order
    ],
)
def test_positive_class_heuristic(labels, probs, expected):
    df = pd.DataFrame({"true_label": labels * 2, "predicted_label": labels[::-1] * 2})
    for cls in probs or []:
        df[f"prob_{cls}"] = 0.5
    assert prepare(df).positive_class == expected


def test_explicit_positive_class_matched_case_insensitively_and_validated():
    assert prepare(seed_table(), positive_class="HAM").positive_class == "ham"
    with pytest.raises(UsageError, match="not one of"):
        prepare(seed_table(), positive_class="spam")


def test_multiclass_argmax_and_threshold_rejected():
    df = pd.DataFrame({"label": ["a", "b", "c"], "prob_a": [0.5, 0.2, 0.1], "prob_b": [0.3, 0.7, 0.1], "prob_c": [0.2, 0.1, 0.8]})
    table = prepare(df)
    assert table.positive_class is None
    assert list(table.frame["Predicted Label"].astype(str)) == ["a", "b", "c"]
    assert list(table.frame["Outcome"].astype(str)) == ["correct"] * 3
    with pytest.raises(UsageError, match="binary"):
        prepare(df, threshold=0.5)


def test_missing_true_labels_become_a_category():
    df = pd.DataFrame({"label": ["a", None, "b"], "prediction": ["a", "a", "a"]})
    table = prepare(df)
    assert list(table.frame["label"].astype(str)) == ["a", "(missing)", "b"]
    assert list(table.is_error()) == [False, False, True]
    assert list(table.frame["Outcome"].astype(str)) == ["TN", "unlabelled", "FN"]  # positive: "b"


def test_probabilities_naming_other_classes_are_ignored_with_a_note():
    df = pd.DataFrame({"label": ["0", "1"], "prediction": ["0", "0"], "Prob (Ham)": [0.9, 0.8], "Prob (Spam)": [0.1, 0.2]})
    table = prepare(df)
    assert table.schema.probs == {} and set(table.classes) == {"0", "1"}
    assert any("none match" in note for note in table.notes)
    assert list(table.is_error()) == [False, True]


def test_unlabelled_rows_are_not_errors_and_are_noted():
    df = pd.DataFrame({"label": ["spam", None, "ham"], "prob_spam": [0.9, 0.9, 0.9], "prob_ham": [0.1, 0.1, 0.1]})
    table = prepare(df)
    assert list(table.is_error()) == [False, False, True]
    assert list(table.labelled()) == [True, False, True]
    assert list(table.frame["Outcome"].astype(str)) == ["TP", "unlabelled", "FP"]
    assert any("no true label" in note for note in table.notes)


@pytest.mark.parametrize(
    "columns, role, expected",
    [
        (seed_table().columns, "text", "Decoded Text"),
        (seed_table().columns, "true_label", "True Label"),
        (["True Label", "Prob (Ham)", "Prob (Phishing)"], "text", None),
    ],
)
def test_require_column_names_the_column_or_the_missing_role(columns, role, expected):
    table = prepare(seed_table()[list(columns)])
    if expected is None:
        with pytest.raises(BadTable, match=f"Row check needs the role\\(s\\) {role}"):
            table.require_column(role, why="Row check")
    else:
        assert table.require_column(role, why="Row check") == expected


@pytest.mark.parametrize(
    "probs, expected",
    [
        (["ok", "insult", "threat"], ["ok", "insult", "threat"]),  # the model's id2label order, not alphabetical
        (["threat", "ok", "insult"], ["threat", "ok", "insult"]),
        ([], ["insult", "ok", "threat"]),  # no probabilities: sorted, as before
    ],
)
def test_classes_follow_the_probability_columns_order(probs, expected):
    labels = ["ok", "insult", "threat", "ok"]
    frame = pd.DataFrame(
        {
            "True Label": labels,
            "Predicted Label": ["ok", "ok", "threat", "insult"],
            **{f"Prob ({c.capitalize()})": [1 / 3] * 4 for c in probs},
        }
    )
    assert list(prepare(frame).classes) == expected


def test_one_vs_rest_makes_a_binary_table_of_one_class():
    from sklearn.metrics import confusion_matrix

    from wbview.analysis.prepare import one_vs_rest

    frame = pd.DataFrame(
        {
            "Sample ID": [1, 2, 3, 4, 5],
            "Decoded Text": list("abcde"),
            "True Label": ["ok", "insult", "threat", "insult", "ok"],
            "Predicted Label": ["ok", "insult", "insult", "ok", "insult"],
            "Prob (ok)": [0.7, 0.1, 0.2, 0.6, 0.3],
            "Prob (insult)": [0.2, 0.8, 0.5, 0.3, 0.6],
            "Prob (threat)": [0.1, 0.1, 0.3, 0.1, 0.1],
        }
    )
    binary = one_vs_rest(prepare(frame), "insult")
    assert binary.is_binary and binary.positive_class == "insult"
    assert list(binary.classes) == ["insult", "not insult"]
    truth, predicted = frame["True Label"] == "insult", frame["Predicted Label"] == "insult"
    tn, fp, fn, tp = confusion_matrix(truth, predicted).ravel()
    ours = binary.frame[binary.schema.outcome].value_counts()
    assert (ours.get("TP", 0), ours.get("FP", 0), ours.get("FN", 0), ours.get("TN", 0)) == (tp, fp, fn, tn)
    assert list(binary.frame["Decoded Text"]) == list("abcde") and binary.schema.text == "Decoded Text"
    assert list(binary.frame["Prob (insult)"]) == list(frame["Prob (insult)"])


@pytest.mark.parametrize("with_prediction", [True, False])
def test_rows_without_any_probability_get_no_confidence_and_no_warning(with_prediction):
    """A row whose probabilities are all missing (a scorer that logged none for it) has no
    confidence (NaN), the others keep theirs, and numpy's all-NaN warning does not leak."""
    import warnings

    frame = seed_table()
    frame.loc[1, ["Prob (Ham)", "Prob (Phishing)"]] = np.nan
    if with_prediction:
        frame["Predicted Label"] = ["ham", "ham", "phishing", "spam"]  # "spam" has no probability column
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        table = prepare(frame)
    confidence = table.frame["Confidence"].to_numpy(dtype=float)
    assert np.isnan(confidence[1])
    assert np.allclose(confidence[[0, 2]], [0.8, 0.8])
    assert np.isclose(confidence[3], 0.7)  # no column for its prediction: the row's highest
