"""Sweep configurations as W&B writes them (a dict or a W&B sweep YAML file), checked into a :class:`SweepSpec`.

Example::

    spec = parse_config({"method": "bayes", "metric": {"name": "val/loss", "goal": "minimize"},
                         "parameters": {"lr": {"distribution": "log_uniform_values", "min": 1e-4, "max": 1e-1},
                                        "batch": {"values": [32, 64]}, "epochs": {"value": 5}}})
    spec.params[0].kind                      # 'log_uniform_values'
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import SweepConfigError

METHODS = ("grid", "random", "bayes")
GOALS = ("minimize", "maximize")
# W&B's distribution names; the ones marked in DERIVED are sampled through another and transformed
DISTRIBUTIONS = ("constant", "categorical", "int_uniform", "uniform", "q_uniform", "log_uniform_values",
                 "log_uniform", "q_log_uniform_values", "inv_log_uniform_values", "normal", "q_normal",
                 "log_normal")
GRID_KINDS = ("constant", "categorical", "int_uniform", "q_uniform")
TOP_KEYS = ("method", "metric", "parameters", "early_terminate", "run_cap", "program", "command", "name",
            "description", "project", "entity", "seed", "controller")
PARAM_KEYS = ("value", "values", "distribution", "min", "max", "mu", "sigma", "q", "probabilities", "parameters")
DEFAULT_COMMAND = ["${env}", "${interpreter}", "${program}", "${args}"]
MAX_BAND = 2**53  # hyperband bands past this many logged values are left out


@dataclass
class Param:
    """One swept parameter; ``path`` is its place in the config (nested ``parameters`` give longer paths)."""

    path: tuple[str, ...]
    kind: str
    value: Any = None
    values: list[Any] = field(default_factory=list)
    min: float = 0.0
    max: float = 1.0
    mu: float = 0.0
    sigma: float = 1.0
    q: float = 1.0

    @property
    def name(self) -> str:
        """The parameter's name in the optimiser (nested paths joined with ``.``)."""
        return ".".join(self.path)


@dataclass
class Hyperband:
    """W&B's ``early_terminate: {type: hyperband}``: the bands (positions in the metric's logged values, 1 =
    its first value) at which a trial is compared with the others, the reduction factor ``eta`` and W&B's
    ``strict`` (compare the value at the band; False: the best value so far)."""

    bands: tuple[int, ...]
    eta: float
    strict: bool = True


@dataclass
class SweepSpec:
    method: str
    params: list[Param]
    metric: str | None = None
    goal: str = "minimize"
    hyperband: Hyperband | None = None
    run_cap: int | None = None
    program: str | None = None
    command: list[str] = field(default_factory=lambda: list(DEFAULT_COMMAND))
    seed: int | None = None
    name: str | None = None
    project: str | None = None


def load_config(config: Mapping[str, Any] | str | os.PathLike[str]) -> dict[str, Any]:
    """The config as a dict: a mapping as it is, or a W&B sweep YAML (or JSON) file read from its path."""
    if isinstance(config, Mapping):
        return dict(config)
    if isinstance(config, str | os.PathLike):
        path = Path(config)
        if not path.is_file():
            raise SweepConfigError(f"sweep config file {str(path)!r} does not exist; give a dict or a YAML path")
        import yaml

        try:
            data = yaml.safe_load(path.read_text())
        except yaml.YAMLError as exc:
            raise SweepConfigError(f"sweep config file {path} is not valid YAML: {exc}") from None
        if not isinstance(data, Mapping):
            raise SweepConfigError(f"sweep config file {path} must hold a mapping (method:, parameters:, …)")
        return dict(data)
    raise SweepConfigError(f"sweep config must be a dict or a YAML file path, not {type(config).__name__}")


def parse_config(config: Mapping[str, Any]) -> SweepSpec:
    """Check a W&B-style sweep config; raises :class:`SweepConfigError` naming the bad field."""
    unknown = sorted(set(config) - set(TOP_KEYS))
    if unknown:
        raise SweepConfigError(f"sweep config: unknown field {unknown[0]!r}; accepted: {', '.join(TOP_KEYS)}")
    method = config.get("method")
    if method not in METHODS:
        raise SweepConfigError(f"sweep config 'method': {method!r} is not one of {', '.join(METHODS)}")
    metric, goal = _metric(config.get("metric"))
    if method == "bayes" and metric is None:
        raise SweepConfigError("sweep config 'metric': method 'bayes' needs a metric {name, goal} to optimise")
    raw = config.get("parameters")
    if not isinstance(raw, Mapping) or not raw:
        raise SweepConfigError("sweep config 'parameters': give a mapping of parameter name → "
                               "{value | values | distribution, min, max, …}")
    params = _params(raw, ())
    if method == "grid":
        for p in params:
            if p.kind not in GRID_KINDS:
                raise SweepConfigError(f"sweep config 'parameters.{p.name}': method 'grid' takes value, values, "
                                       f"int_uniform or q_uniform, not distribution {p.kind!r}")
            if p.kind == "q_uniform":  # W&B's grid takes min, min + q, … below max
                p.kind, p.values = "categorical", _q_grid(p)
    spec = SweepSpec(method=method, params=params, metric=metric, goal=goal, name=_opt_str(config, "name"),
                     project=_opt_str(config, "project"), program=_opt_str(config, "program"))
    spec.run_cap = _positive_int(config, "run_cap")
    spec.seed = _int_or_none(config.get("seed"), "seed")
    if config.get("early_terminate") is not None:
        if metric is None:
            raise SweepConfigError("sweep config 'early_terminate': pruning needs a 'metric' to compare trials by")
        spec.hyperband = _hyperband(config["early_terminate"])
    command = config.get("command")
    if command is not None:
        if not isinstance(command, list) or not all(isinstance(c, str) for c in command) or not command:
            raise SweepConfigError("sweep config 'command': a list of strings, e.g. "
                                   "['${env}', '${interpreter}', '${program}', '${args}']")
        spec.command = list(command)
    return spec


def _metric(raw: Any) -> tuple[str | None, str]:
    if raw is None:
        return None, "minimize"
    if not isinstance(raw, Mapping) or not isinstance(raw.get("name"), str) or not raw["name"]:
        raise SweepConfigError("sweep config 'metric': give {name: <logged key>, goal: minimize|maximize}")
    unknown = sorted(set(raw) - {"name", "goal", "target", "impute", "imputewhilerunning"})
    if unknown:
        raise SweepConfigError(f"sweep config 'metric.{unknown[0]}': unknown field; accepted: name, goal, target")
    goal = raw.get("goal", "minimize")
    if goal not in GOALS:
        raise SweepConfigError(f"sweep config 'metric.goal': {goal!r} is not one of {', '.join(GOALS)}")
    return str(raw["name"]), str(goal)


def _params(raw: Mapping[str, Any], prefix: tuple[str, ...]) -> list[Param]:
    params: list[Param] = []
    for key, spec in raw.items():
        path = (*prefix, str(key))
        where = "parameters." + ".".join(path)
        if not isinstance(spec, Mapping):
            raise SweepConfigError(f"sweep config '{where}': give a mapping such as {{values: [...]}} or "
                                   f"{{value: ...}}, not {spec!r}")
        unknown = sorted(set(spec) - set(PARAM_KEYS))
        if unknown:
            raise SweepConfigError(f"sweep config '{where}.{unknown[0]}': unknown field; accepted: "
                                   f"{', '.join(PARAM_KEYS)}")
        if "parameters" in spec:
            if not isinstance(spec["parameters"], Mapping) or not spec["parameters"]:
                raise SweepConfigError(f"sweep config '{where}.parameters': a mapping of nested parameters")
            params.extend(_params(spec["parameters"], path))
            continue
        params.append(_param(path, where, spec))
    return params


def _param(path: tuple[str, ...], where: str, spec: Mapping[str, Any]) -> Param:
    kind = spec.get("distribution")
    if kind is None:  # inferred as W&B does
        if "value" in spec:
            kind = "constant"
        elif "values" in spec:
            kind = "categorical"
        elif "mu" in spec or "sigma" in spec:
            kind = "normal"
        elif "min" in spec and "max" in spec:
            both_int = all(isinstance(spec[k], int) and not isinstance(spec[k], bool) for k in ("min", "max"))
            kind = "int_uniform" if both_int else "uniform"
        else:
            raise SweepConfigError(f"sweep config '{where}': give value, values, min and max, or a distribution "
                                   f"({', '.join(DISTRIBUTIONS)})")
    if kind not in DISTRIBUTIONS:
        raise SweepConfigError(f"sweep config '{where}.distribution': {kind!r} is not one of "
                               f"{', '.join(DISTRIBUTIONS)}")
    p = Param(path=path, kind=kind)
    if kind == "constant":
        if "value" not in spec:
            raise SweepConfigError(f"sweep config '{where}.value': distribution 'constant' needs a value")
        p.value = spec["value"]
    elif kind == "categorical":
        values = spec.get("values")
        if not isinstance(values, list) or not values:
            raise SweepConfigError(f"sweep config '{where}.values': a non-empty list of choices")
        p.values = list(values)
    elif kind in ("normal", "q_normal", "log_normal"):
        p.mu, p.sigma = _number(spec, "mu", where, 0.0), _number(spec, "sigma", where, 1.0)
        if p.sigma <= 0:
            raise SweepConfigError(f"sweep config '{where}.sigma': must be > 0, not {p.sigma}")
    else:
        for bound in ("min", "max"):
            if bound not in spec:
                raise SweepConfigError(f"sweep config '{where}.{bound}': distribution {kind!r} needs min and max")
        p.min, p.max = _number(spec, "min", where), _number(spec, "max", where)
        if p.min > p.max:
            raise SweepConfigError(f"sweep config '{where}.min': {p.min} is greater than max {p.max}")
        if kind == "int_uniform" and not (float(p.min).is_integer() and float(p.max).is_integer()):
            raise SweepConfigError(f"sweep config '{where}.min': int_uniform takes whole numbers for min and max")
        if kind in ("log_uniform_values", "q_log_uniform_values", "inv_log_uniform_values") and p.min <= 0:
            raise SweepConfigError(f"sweep config '{where}.min': {kind} needs min > 0 (the values themselves)")
    if kind.startswith("q_"):
        p.q = _number(spec, "q", where, 1.0)
        if p.q <= 0:
            raise SweepConfigError(f"sweep config '{where}.q': must be > 0, not {p.q}")
    return p


def _q_grid(p: Param) -> list[float | int]:
    """The values W&B's grid takes for a ``q_uniform`` parameter: ``numpy.arange(min, max, q)`` (max itself is
    left out), as whole numbers when min and q are."""
    import numpy as np

    whole = float(p.min).is_integer() and float(p.q).is_integer()
    count = len(np.arange(p.min, p.max, p.q))
    return [int(p.min + i * p.q) if whole else round(p.min + i * p.q, 12) for i in range(count)]


def _hyperband(raw: Any) -> Hyperband:
    """The bands as W&B's sweeps controller makes them: with ``max_iter`` (and ``s``) ``max_iter / eta^k`` for
    k = 1 … s (stopping below 1), else ``min_iter * eta^k`` for k = 0, 1, …"""
    if not isinstance(raw, Mapping) or raw.get("type") != "hyperband":
        raise SweepConfigError("sweep config 'early_terminate.type': only 'hyperband' is supported, e.g. "
                               "{type: hyperband, min_iter: 3, eta: 3}")
    unknown = sorted(set(raw) - {"type", "min_iter", "max_iter", "s", "eta", "strict"})
    if unknown:
        raise SweepConfigError(f"sweep config 'early_terminate.{unknown[0]}': unknown field; accepted: type, "
                               "min_iter, max_iter, s, eta, strict")
    eta = raw.get("eta", 3)
    if isinstance(eta, bool) or not isinstance(eta, int | float) or not math.isfinite(eta) or eta <= 1:
        raise SweepConfigError(f"sweep config 'early_terminate.eta': a number > 1, not {eta!r}")
    strict = raw.get("strict", True)
    if not isinstance(strict, bool):
        raise SweepConfigError(f"sweep config 'early_terminate.strict': true or false, not {strict!r}")
    s = _int_or_none(raw.get("s"), "early_terminate.s")
    if s is not None and s < 0:
        raise SweepConfigError(f"sweep config 'early_terminate.s': a whole number >= 0, not {s}")
    min_iter = _int_or_none(raw.get("min_iter"), "early_terminate.min_iter")
    max_iter = _int_or_none(raw.get("max_iter"), "early_terminate.max_iter")
    bands: list[int] = []
    if max_iter is not None:  # W&B reads this form first when both are given
        if s is None:
            raise SweepConfigError("sweep config 'early_terminate.s': the max_iter form needs s (the number of "
                                   "bands below max_iter)")
        band = float(max_iter)
        for _ in range(s):
            band /= eta
            if band < 1:
                break
            bands.append(int(band))
        if not bands:
            raise SweepConfigError(f"sweep config 'early_terminate': max_iter {max_iter} with s {s} and eta {eta} "
                                   "gives no band (max_iter / eta must be >= 1): raise max_iter or s, or lower eta")
    elif min_iter is not None:
        if min_iter < 1:
            raise SweepConfigError(f"sweep config 'early_terminate.min_iter': must be >= 1, not {min_iter}")
        band = float(min_iter)
        while band <= MAX_BAND:  # W&B makes 100 bands; none past this could ever be reached
            bands.append(int(band))
            band *= eta
    else:
        raise SweepConfigError("sweep config 'early_terminate': give min_iter (with eta) or max_iter and s")
    return Hyperband(tuple(sorted(set(bands))), float(eta), strict)


def _number(spec: Mapping[str, Any], key: str, where: str, default: float | None = None) -> float:
    value = spec.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SweepConfigError(f"sweep config '{where}.{key}': a finite number, not {value!r}")
    return float(value)


def _int_or_none(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise SweepConfigError(f"sweep config '{where}': a whole number, not {value!r}")
    return value


def _positive_int(config: Mapping[str, Any], key: str) -> int | None:
    value = _int_or_none(config.get(key), key)
    if value is not None and value < 1:
        raise SweepConfigError(f"sweep config '{key}': a whole number >= 1, not {value}")
    return value


def _opt_str(config: Mapping[str, Any], key: str) -> str | None:
    value = config.get(key)
    if value is not None and not isinstance(value, str):
        raise SweepConfigError(f"sweep config '{key}': a string, not {value!r}")
    return value
