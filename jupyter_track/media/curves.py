"""ROC and precision-recall curves with numpy, computed as scikit-learn's ``roc_curve`` (with its default
``drop_intermediate=True``) and ``precision_recall_curve`` compute them, so ``jt.plot`` needs no scikit-learn.

Example::

    fpr, tpr = roc(y == 1, scores)
    precision, recall = precision_recall(y == 1, scores)
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _binary_clf_curve(positive: Any, scores: Any) -> tuple[Any, Any]:
    """False and true positives at each distinct score, highest score first (sklearn's ``_binary_clf_curve``)."""
    y = np.asarray(positive, dtype=bool)
    s = np.asarray(scores, dtype=np.float64)
    order = np.argsort(s, kind="mergesort")[::-1]
    s, y = s[order], y[order]
    last = np.r_[np.flatnonzero(np.diff(s)), y.size - 1]  # the last index of each distinct score
    tps = np.cumsum(y, dtype=np.float64)[last]
    fps = 1 + last - tps
    return fps, tps


def roc(positive: Any, scores: Any) -> tuple[Any, Any]:
    """False and true positive rates from (0, 0) up, without the points on a straight segment; NaN rates
    when there are no negatives (or no positives)."""
    fps, tps = _binary_clf_curve(positive, scores)
    if len(fps) > 2:  # keep the corners: where the curve turns
        keep = np.flatnonzero(np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True])
        fps, tps = fps[keep], tps[keep]
    fps, tps = np.r_[0.0, fps], np.r_[0.0, tps]
    with np.errstate(invalid="ignore", divide="ignore"):
        fpr = fps / fps[-1] if fps[-1] > 0 else np.full(fps.shape, np.nan)
        tpr = tps / tps[-1] if tps[-1] > 0 else np.full(tps.shape, np.nan)
    return fpr, tpr


def precision_recall(positive: Any, scores: Any) -> tuple[Any, Any]:
    """Precision and recall from the lowest threshold (recall 1) to the highest, then (1, 0)."""
    fps, tps = _binary_clf_curve(positive, scores)
    precision = tps / (tps + fps)
    recall = tps / tps[-1] if tps[-1] > 0 else np.ones_like(tps)
    return np.r_[precision[::-1], 1.0], np.r_[recall[::-1], 0.0]


def interpolated_precision(positive: Any, scores: Any, recall_levels: Any) -> Any:
    """Precision at each of ``recall_levels`` as W&B's ``pr_curve`` reads it: the best precision at this
    recall or a higher one, taken at the first point whose recall reaches the level."""
    precision, recall = precision_recall(positive, scores)
    precision = np.maximum.accumulate(precision)[::-1]
    recall = recall[::-1]
    return precision[np.searchsorted(recall, recall_levels, side="left")]
