"""The sweep's Optuna study, kept in the same database as the runs (Optuna's RDBStorage on the store's URL).

Optuna makes its own tables there (``studies``, ``trials``, ``trial_*``, ``version_info``); none has the name
of one of ours; Alembic's ``alembic_version`` table is Optuna's alone (ours is ``jupyter_track_version``), so
Optuna checks and migrates its own schema as usual. On SQLite every Optuna transaction starts
with ``BEGIN IMMEDIATE`` and waits on a busy timeout, so agents in several processes queue instead of failing
with "database is locked".

Example::

    study = open_study(store_url, record, spec)     # the sweep's study, with its sampler and pruner
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import optuna
from optuna.samplers import BaseSampler, RandomSampler, TPESampler
from optuna.study import StudyDirection
from optuna.trial import FrozenTrial
from sqlalchemy import event

from ..store import urls
from ..store.base import SweepRecord
from ..store.sql_engine import BUSY_TIMEOUT_MS
from . import space
from .config import SweepSpec
from .hyperband import WandbHyperband

_lock = threading.Lock()
_storages: dict[tuple[int, str], optuna.storages.RDBStorage] = {}


def storage(url: str) -> optuna.storages.RDBStorage:
    """Optuna's storage on the store at ``url`` (one per process and URL). Open the store first."""
    key = (os.getpid(), url)
    with _lock:
        found = _storages.get(key)
        if found is None:
            found = _storages[key] = _make_storage(url)
        return found


def _make_storage(url: str) -> optuna.storages.RDBStorage:
    sqlite = urls.backend(url) == "sqlite"
    kwargs: dict[str, Any] = {"connect_args": {"timeout": BUSY_TIMEOUT_MS / 1000}} if sqlite else {
        "pool_pre_ping": True}
    with quiet_optuna():
        # the store's one URL mapping: postgres(ql):// is opened with psycopg 3, as the store itself is
        made = optuna.storages.RDBStorage(urls.driver_url(url), engine_kwargs=kwargs)
    if sqlite:
        _serialise_sqlite(made.engine)
    return made


def _serialise_sqlite(engine: Any) -> None:
    """Every transaction of Optuna's engine takes SQLite's write lock at BEGIN (no read→write upgrade that
    fails at once when another process wrote in between), waiting up to the busy timeout."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    engine.dispose()  # connections made before the listeners (table creation) are not reused


def study_name(sweep_id: str) -> str:
    return f"jupyter_track-sweep-{sweep_id}"


def create_study(url: str, name: str, spec: SweepSpec) -> None:
    direction = StudyDirection.MAXIMIZE if spec.goal == "maximize" else StudyDirection.MINIMIZE
    with quiet_optuna():
        optuna.create_study(storage=storage(url), study_name=name, direction=direction)


@contextmanager
def quiet_optuna() -> Iterator[None]:
    """Optuna's INFO lines ("A new study created in RDB with name: …") left out while it runs."""
    level = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        yield
    finally:
        optuna.logging.set_verbosity(level)


def open_study(url: str, record: SweepRecord, spec: SweepSpec, seed: int | None = None) -> optuna.Study:
    """The sweep's study with the sampler of its method and, with ``early_terminate``, W&B's hyperband rule
    (:class:`~.hyperband.WandbHyperband`); ``seed`` overrides the config's ``seed``."""
    chosen = spec.seed if seed is None else seed
    sampler: BaseSampler
    if spec.method == "grid":
        sampler = _Grid(space.grid_points(spec.params))
    elif spec.method == "random":
        sampler = _TrialSeededRandom(chosen)
    else:
        sampler = TPESampler(seed=chosen)
    pruner: optuna.pruners.BasePruner = optuna.pruners.NopPruner()
    if spec.hyperband is not None:
        hb = spec.hyperband
        pruner = WandbHyperband(hb.bands, hb.eta, hb.strict)
    return optuna.load_study(study_name=record.study_name, storage=storage(url), sampler=sampler, pruner=pruner)


class _IndependentSampler(BaseSampler):
    """A sampler that chooses each parameter on its own (no relative search space)."""

    def infer_relative_search_space(self, study: optuna.Study, trial: FrozenTrial) -> dict[str, Any]:
        return {}

    def sample_relative(self, study: optuna.Study, trial: FrozenTrial, search_space: dict[str, Any]
                        ) -> dict[str, Any]:
        return {}


class _Grid(_IndependentSampler):
    """The grid in W&B's order: trial *n* takes point *n* (trial numbers are unique across processes, so agents
    anywhere never take one point twice). A point an earlier trial already has (a sweep begun in another order)
    gives way to the first point no trial has."""

    def __init__(self, points: list[dict[str, Any]]) -> None:
        self._points = points
        self._chosen: dict[int, dict[str, Any]] = {}  # trial number -> its point

    def sample_independent(self, study: optuna.Study, trial: FrozenTrial, param_name: str,
                           param_distribution: optuna.distributions.BaseDistribution) -> Any:
        point = self._chosen.get(trial.number)
        if point is None:
            point = self._chosen[trial.number] = self._point_for(study, trial.number)
        return point[param_name]

    def _point_for(self, study: optuna.Study, number: int) -> dict[str, Any]:
        wanted = self._points[number % len(self._points)]
        taken = [t.params for t in study.get_trials(deepcopy=False) if t.number != number and t.params]
        if not any(_same(wanted, params) for params in taken):
            return wanted
        return next((p for p in self._points if not any(_same(p, params) for params in taken)), wanted)


def _same(point: dict[str, Any], params: dict[str, Any]) -> bool:
    """Whether a trial's ``params`` are ``point`` (a trial still choosing its parameters has none yet)."""
    return all(k in params and params[k] == v for k, v in point.items())


class _TrialSeededRandom(_IndependentSampler):
    """Optuna's RandomSampler, seeded per trial from ``(seed, trial number, parameter)``: a seeded random sweep
    draws the same points whichever agent runs which trial. Without a seed it is the plain RandomSampler."""

    def __init__(self, seed: int | None) -> None:
        self._seed = seed
        self._plain = RandomSampler(seed=None)

    def sample_independent(self, study: optuna.Study, trial: FrozenTrial, param_name: str,
                           param_distribution: optuna.distributions.BaseDistribution) -> Any:
        if self._seed is None:
            return self._plain.sample_independent(study, trial, param_name, param_distribution)
        import zlib

        derived = zlib.crc32(f"{self._seed}:{trial.number}:{param_name}".encode())
        return RandomSampler(seed=derived).sample_independent(study, trial, param_name, param_distribution)
