"""Threshold and cost: precision, recall, FN and FP rate at every threshold."""

from __future__ import annotations

import numpy as np
import pandas as pd

from wbview.charts.style import READABLE_FONT, VEGA_SVG, VegaChart, vega_config

CURVE_LINES = (
    ("precision", "Precision", "#1f77b4"),
    ("recall", "Recall", "#2ca02c"),
    ("fn_rate", "FN rate", "#d62728"),
    ("fp_rate", "FP rate", "#ff7f0e"),
)


HOVER_POINTS = 400  # thresholds the hover snaps to: enough to read the curve, few enough to draw at once
CURVE_HEIGHT_PX = 380
THRESHOLD_TITLE = "threshold (flag when probability ≥ threshold)"


def threshold_chart(curve: pd.DataFrame, chosen: float | None = None, logged: float | None = None) -> VegaChart:
    """Precision, recall, FN and FP rates (left axis) and expected cost (right axis, dotted)
    against the threshold, with the chosen (solid) and logged (dashed) thresholds marked and
    labelled; hover snaps to the nearest threshold and shows every value there. Vega-Lite,
    as the page's first chart (see VegaChart).

    The spec is the same for every threshold: the marks are rows of ``data`` (``mark`` set),
    so moving the threshold only replaces the chart's data in the browser, where a changed
    spec would rebuild the whole chart."""
    finite = curve[np.isfinite(curve["threshold"].to_numpy())]
    data = pd.DataFrame({"threshold": finite["threshold"].to_numpy(dtype=float)})
    for column, name, _ in CURVE_LINES:
        data[name] = finite[column].to_numpy(dtype=float)
    data["cost"] = finite["expected_cost"].to_numpy(dtype=float)
    step = max(1, -(-len(data) // HOVER_POINTS))
    data["hover"] = np.arange(len(data)) % step == 0  # the thresholds the hover snaps to
    marks = [
        (float(value), label)
        for value, label in ((logged, "logged"), (chosen, "chosen"))
        if value is not None and np.isfinite(value)
    ]
    # Labels point away from each other (the lower mark's to the left), so close marks never overlap.
    lower = min(marks)[1] if len(marks) == 2 else None
    rows = pd.DataFrame(
        {
            "threshold": [value for value, _ in marks],
            "hover": False,
            "mark": [label for _, label in marks],
            "align": ["center" if lower is None else ("right" if label == lower else "left") for _, label in marks],
        }
    )
    data = pd.concat([data.assign(mark=None, align=None), rows], ignore_index=True)
    names = [name for _, name, _ in CURVE_LINES]
    x = {"field": "threshold", "type": "quantitative", "scale": {"domain": [0, 1]}, "title": THRESHOLD_TITLE}
    # ("valid" would not do: Vega-Lite's valid predicate also asks for a finite number)
    marks_only = {"filter": {"field": "mark", "oneOf": ["logged", "chosen"]}}
    curve_only = {"filter": {"not": marks_only["filter"]}}
    rates = {
        "transform": [curve_only, {"fold": names, "as": ["measure", "value"]}],
        "mark": {"type": "line", "strokeWidth": 2},
        "encoding": {
            "x": x,
            "y": {
                "field": "value",
                "type": "quantitative",
                "scale": {"domain": [0, 1.02]},
                "axis": {"format": ".0%"},
                "title": "rate",
            },
            "color": {
                "field": "measure",
                "type": "nominal",
                "scale": {"domain": names, "range": [colour for _, _, colour in CURVE_LINES]},
                "legend": {"orient": "bottom", "title": None},
            },
        },
    }
    cost = {
        "transform": [curve_only],
        "mark": {"type": "line", "color": "#7f7f7f", "strokeDash": [2, 3], "strokeWidth": 2},
        "encoding": {
            "x": x,
            "y": {"field": "cost", "type": "quantitative", "axis": {"orient": "right"}, "title": "expected cost per row"},
        },
    }
    hover = {
        "transform": [{"filter": {"field": "hover", "equal": True}}],
        "params": [
            {
                "name": "near",
                "select": {"type": "point", "encodings": ["x"], "nearest": True, "on": "pointerover", "clear": "pointerout"},
            }
        ],
        "mark": {"type": "rule", "color": "#999"},
        "encoding": {
            "x": x,
            "opacity": {"condition": {"param": "near", "empty": False, "value": 0.8}, "value": 0},
            "tooltip": [
                {"field": "threshold", "type": "quantitative", "format": ".4f"},
                *({"field": name, "type": "quantitative", "format": ".2%"} for name in names),
                {"field": "cost", "type": "quantitative", "format": ".4g", "title": "cost per row"},
            ],
        },
    }
    rules = {
        "transform": [marks_only],
        "mark": {"type": "rule", "color": "#333", "strokeWidth": 1.5},
        "encoding": {
            "x": x,
            "strokeDash": {
                "field": "mark",
                "type": "nominal",
                "scale": {"domain": ["logged", "chosen"], "range": [[6, 4], [1, 0]]},
                "legend": None,
            },
        },
    }
    labels = [
        {
            "transform": [marks_only, {"filter": {"field": "align", "equal": align}}],
            "mark": {
                "type": "text",
                "y": 0,
                "dy": -6,
                "baseline": "bottom",
                "align": align,
                "fontSize": READABLE_FONT["size"],
                "color": READABLE_FONT["color"],
            },
            "encoding": {"x": x, "text": {"field": "mark", "type": "nominal"}},
        }
        for align in ("left", "right", "center")
    ]
    spec = {
        "usermeta": VEGA_SVG,
        "height": CURVE_HEIGHT_PX,
        "layer": [{"layer": [rates, rules, *labels, hover]}, cost],
        "resolve": {"scale": {"y": "independent"}},
        "config": vega_config(),
    }
    return VegaChart(data, spec)
