"""A sweep's parameters in Optuna terms: what a trial suggests, the grid, and the values put in the run's config.

Distributions Optuna has are used as they are (uniform, int_uniform, log_uniform_values, categorical); the
others are sampled through one and transformed: ``q_uniform`` as a whole number of steps ``q``, ``normal`` as
a uniform quantile through the inverse normal CDF, ``log_uniform`` as ``exp`` of a uniform exponent.

Example::

    config = suggest(trial, spec.params)      # {"lr": 0.0031, "batch": 64, "epochs": 5}
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from statistics import NormalDist
from typing import Any

import optuna

from .config import Param

_EPS = 1e-6
_PRIMITIVE = (str, int, float, bool, type(None))


def choices(p: Param) -> list[Any]:
    """The choices Optuna sees for a categorical parameter: the values, or their indexes when a value is not a
    plain str/int/float/bool/None (lists, dicts)."""
    if all(isinstance(v, _PRIMITIVE) for v in p.values):
        return list(p.values)
    return list(range(len(p.values)))


def _decode_choice(p: Param, chosen: Any) -> Any:
    return p.values[chosen] if not all(isinstance(v, _PRIMITIVE) for v in p.values) else chosen


def _q_range(p: Param) -> tuple[int, int]:
    return round(p.min / p.q), round(p.max / p.q)


def _quantize(x: float, q: float) -> float | int:
    value = round(x / q) * q
    return int(value) if float(q).is_integer() else round(value, 12)


def suggest_one(trial: optuna.Trial, p: Param) -> Any:
    """Ask ``trial`` for ``p``'s value; returns the value as the run's config holds it."""
    name, kind = p.name, p.kind
    if kind == "constant":
        return p.value
    if kind == "categorical":
        return _decode_choice(p, trial.suggest_categorical(name, choices(p)))
    if kind == "int_uniform":
        return trial.suggest_int(name, int(p.min), int(p.max))
    if kind == "uniform":
        return trial.suggest_float(name, p.min, p.max)
    if kind in ("log_uniform_values", "inv_log_uniform_values"):  # both: log-uniform between the values
        return trial.suggest_float(name, p.min, p.max, log=True)
    if kind == "q_log_uniform_values":
        return _quantize(trial.suggest_float(name, p.min, p.max, log=True), p.q)
    if kind == "log_uniform":  # W&B: min and max are exponents of e
        return math.exp(trial.suggest_float(name, p.min, p.max))
    if kind == "q_uniform":
        lo, hi = _q_range(p)
        return _quantize(trial.suggest_int(name, lo, hi) * p.q, p.q)
    # normal, q_normal, log_normal: a uniform quantile through the inverse normal CDF
    x = NormalDist(p.mu, p.sigma).inv_cdf(trial.suggest_float(name, _EPS, 1 - _EPS))
    if kind == "q_normal":
        return _quantize(x, p.q)
    return math.exp(x) if kind == "log_normal" else x


def suggest(trial: optuna.Trial, params: Sequence[Param]) -> dict[str, Any]:
    """Every parameter's value for ``trial``, nested as the config's ``parameters`` were."""
    config: dict[str, Any] = {}
    for p in params:
        target = config
        for part in p.path[:-1]:
            target = target.setdefault(part, {})
        target[p.path[-1]] = suggest_one(trial, p)
    return config


def grid(params: Sequence[Param]) -> dict[str, list[Any]]:
    """Each grid parameter's values as Optuna sees them (constants are not part of the grid), in W&B's order:
    parameters sorted by name (nested ones by their path), values as the config lists them."""
    space: dict[str, list[Any]] = {}
    for p in sorted(params, key=lambda p: p.path):
        if p.kind == "categorical":
            space[p.name] = choices(p)
        elif p.kind == "int_uniform":
            space[p.name] = list(range(int(p.min), int(p.max) + 1))
    return space


def grid_points(params: Sequence[Param]) -> list[dict[str, Any]]:
    """The grid's points in the order W&B's grid search takes them: the cartesian product of :func:`grid`,
    the last parameter varying fastest (``--count N`` runs the first N)."""
    space = grid(params)
    return [dict(zip(space, values, strict=True)) for values in itertools.product(*space.values())]


def grid_size(params: Sequence[Param]) -> int:
    return math.prod(len(v) for v in grid(params).values())
