"""Parameter importance: how much each config key explains of a metric across runs — Optuna's fANOVA where
scikit-learn is installed (the ``[importance]`` extra), else ε² (numpy only) — with Pearson and Spearman
correlations of the numeric keys.

Example::

    data = comparison(runs, ["loss"])
    importance(data.table, data.columns, "loss")["rows"][0]   # {"param": "lr", "importance": 0.93, ...}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

MIN_RUNS_FOR_IMPORTANCE = 8
FANOVA_RUNS = 200  # fANOVA fits on at most this many runs (a seeded sample): its cost grows with the forest's leaves


def importance(table: Mapping[str, Sequence[Any]], columns: Sequence[Mapping[str, Any]], metric: str
               ) -> dict[str, Any]:
    """Correlation (Pearson, Spearman) of ``metric`` with each numeric config column, and an importance of every
    config column: Optuna's fANOVA where scikit-learn is installed (the ``[importance]`` extra), else each
    column's share of the metric's variance on its own (ε², numpy only). ``method`` says which, ``note`` why
    when it is not fANOVA, or why there is none (too few runs).

    Example::

        importance({"lr": lrs, "loss ": losses}, [{"name": "lr", "kind": "config", "type": "num"}], "loss")
        # {"rows": [{"param": "lr", "importance": 0.93, "pearson": -0.97, "spearman": -0.98}],
        #  "method": "fanova", "note": ""}
    """
    target = np.array([np.nan if v is None else v for v in table.get(metric + " ", [])], dtype=np.float64)
    params = [c for c in columns if c["kind"] == "config"]
    ok = np.isfinite(target)
    if ok.sum() < MIN_RUNS_FOR_IMPORTANCE or not params:
        return {"rows": [], "method": "", "note": f"Importance is not meaningful with fewer than "
                f"{MIN_RUNS_FOR_IMPORTANCE} runs that logged {metric} and differ in config ({int(ok.sum())} here)."}
    rows: dict[str, dict[str, Any]] = {}
    for c in params:
        name = c["name"]
        entry: dict[str, Any] = {"param": name, "importance": None, "pearson": None, "spearman": None}
        if c["type"] == "num":
            x = np.array([np.nan if v is None else v for v in table[name]], dtype=np.float64)
            both = ok & np.isfinite(x)
            if both.sum() >= 3 and np.ptp(x[both]) > 0 and np.ptp(target[both]) > 0:
                entry["pearson"] = _corr(x[both], target[both])
                entry["spearman"] = _corr(_rank(x[both]), _rank(target[both]))
        rows[name] = entry
    method, note, found = "fanova", "", {}
    try:
        found = _fanova(table, params, target, ok)
    except ImportError:  # scikit-learn is an extra: say so, and show what numpy alone can honestly give
        method, found = "eta_squared", _eta_squared(table, params, target, ok)
        note = ("fANOVA needs scikit-learn, which is not installed here: pip install 'jupyter_track[importance]'. "
                "Shown instead: the share of the metric's variance each key explains on its own (ε², one-way "
                "ANOVA); interactions between keys are not counted.")
    except (ValueError, RuntimeError, ZeroDivisionError) as exc:
        note = f"fANOVA importance is not available here: {exc}"
    for name, value in found.items():
        rows[name]["importance"] = value
    ordered = sorted(rows.values(), key=lambda e: -(e["importance"] if e["importance"] is not None
                                                    else abs(e["spearman"] or 0.0)))
    return {"rows": ordered, "method": method, "note": note}


def _eta_squared(table: Mapping[str, Sequence[Any]], params: Sequence[Mapping[str, Any]], target: Any, ok: Any
                 ) -> dict[str, float]:
    """ε² of the metric on each key alone: (between-group sum of squares − (groups − 1) × within-group mean
    square) / total sum of squares, clipped at 0 — the bias-corrected η², so a key with a value per run does not
    explain everything by chance. Numeric keys with more distinct values than ``n // 4`` are cut into that many
    quantile bins (at least 2, at most 10). A key whose groups leave no within-group freedom is left out."""
    found: dict[str, float] = {}
    for c in params:
        values = table[c["name"]]
        present = ok & np.array([v is not None for v in values])
        y = target[present]
        kept = [v for v, good in zip(values, present, strict=True) if good]
        labels: Any = [str(v) for v in kept]
        if c["type"] == "num":
            labels = np.array(kept, dtype=np.float64)
            bins = max(2, min(10, len(labels) // 4))
            if len(np.unique(labels)) > bins:
                labels = np.searchsorted(np.quantile(labels, np.linspace(0, 1, bins + 1))[1:-1], labels, "right")
        _, groups = np.unique(labels, return_inverse=True)
        k, n = int(groups.max(initial=-1)) + 1, len(y)
        total = float(((y - y.mean()) ** 2).sum()) if n else 0.0
        if n - k < 1 or total <= 0:
            continue
        counts = np.bincount(groups, minlength=k)
        means = np.bincount(groups, weights=y, minlength=k) / counts
        between = float((counts * (means - y.mean()) ** 2).sum())
        within = total - between
        found[c["name"]] = round(max(0.0, (between - (k - 1) * within / (n - k)) / total), 4)
    return found


def _corr(a: Any, b: Any) -> float:
    return round(float(np.corrcoef(a, b)[0, 1]), 4)


def _rank(a: Any) -> Any:
    """Ranks with ties averaged (Spearman's correlation is Pearson's on these)."""
    order = np.argsort(a, kind="mergesort")
    ranks = np.empty(len(a))
    ranks[order] = np.arange(len(a), dtype=np.float64)
    _, inverse, counts = np.unique(a, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=ranks)
    return sums[inverse] / counts[inverse]


def _fanova(table: Mapping[str, Sequence[Any]], params: Sequence[Mapping[str, Any]], target: Any, ok: Any
            ) -> dict[str, float]:
    """Optuna's fANOVA on an in-memory study made of the runs (each run a finished trial); ImportError without
    scikit-learn."""
    import optuna
    from optuna.distributions import CategoricalDistribution, FloatDistribution
    from optuna.importance import FanovaImportanceEvaluator, get_param_importances
    from optuna.trial import create_trial

    evaluator = FanovaImportanceEvaluator(n_trees=32, max_depth=8, seed=0)  # raises ImportError first

    dists: dict[str, Any] = {}
    for c in params:
        values = [v for v, good in zip(table[c["name"]], ok, strict=True) if good and v is not None]
        if c["type"] == "num":
            lo, hi = min(values), max(values)
            if hi > lo:
                dists[c["name"]] = FloatDistribution(float(lo), float(hi))
        elif len(set(map(str, values))) > 1:
            dists[c["name"]] = CategoricalDistribution(sorted(set(map(str, values))))
    if not dists:
        raise ValueError("no config key varies across the runs")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study()
    usable = np.flatnonzero(ok)
    if len(usable) > FANOVA_RUNS:
        usable = np.sort(np.random.default_rng(0).choice(usable, FANOVA_RUNS, replace=False))
    for n in (int(i) for i in usable):
        chosen = {k: table[k][n] for k in dists}
        if any(v is None for v in chosen.values()):
            continue
        trial_params = {k: float(v) if isinstance(d, FloatDistribution) else str(v)
                        for (k, d), v in zip(dists.items(), chosen.values(), strict=True)}
        study.add_trial(create_trial(params=trial_params, distributions=dists, value=float(target[n])))
    if len(study.trials) < MIN_RUNS_FOR_IMPORTANCE:
        raise ValueError(f"only {len(study.trials)} runs have every varying config key")
    found = get_param_importances(study, evaluator=evaluator)
    return {k: round(float(v), 4) for k, v in found.items()}
