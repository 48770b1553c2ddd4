"""W&B's hyperband early termination as an Optuna pruner: bands at logged positions, the top 1/eta go on.

W&B's rule (its sweeps controller, ``hyperband_stopping.py``): the bands are positions in a run's logged
values of the metric (``min_iter``, ``min_iter * eta``, … or ``max_iter / eta^k``); at a band, the threshold
is the value at index ``int(n / eta)`` of the sorted values that the sweep's *n* runs logged at that position
(all runs: finished, pruned and running ones), and a run whose value is worse than the threshold is stopped.
That is not Optuna's HyperbandPruner, which splits trials into brackets and compares each only within its own.

One difference, on purpose: W&B's controller takes the other runs' value one position later than the band
(``history[band]``, 0-based) while it judges the run by ``history[band - 1]``; here both are the value at the
band, so "the run's 3rd value" is compared with the other runs' 3rd values.

A trial reports its value at each band to Optuna (``trial.report(value, band)``), so the values of every trial
of the sweep, in every process, are in the study's storage. With ``strict: false`` the run is judged by its
best value so far, set as the user attribute :data:`BEST_SO_FAR` before asking.

Example::

    pruner = WandbHyperband(bands=(1, 3, 9), eta=3)
    stops(values_at_band=[0.5, 0.4, 0.9], value=0.9, eta=3, maximize=False)   # True: 0.9 is worse than 0.5
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import optuna
from optuna.study import StudyDirection
from optuna.trial import FrozenTrial

BEST_SO_FAR = "jt_best_so_far"


def stops(values_at_band: Sequence[float], value: float, eta: float, maximize: bool) -> bool:
    """Whether a run with ``value`` is stopped at a band where the sweep's runs logged ``values_at_band``
    (the run's own value among them): it is worse than the value at index ``int(n / eta)`` of those values
    sorted best first."""
    if not values_at_band:
        return False
    sign = -1.0 if maximize else 1.0
    ordered = sorted(sign * v for v in values_at_band)
    return sign * value > ordered[int(len(ordered) / eta)]


class WandbHyperband(optuna.pruners.BasePruner):
    """Prunes a trial at a band (its last reported step) by :func:`stops`, over every trial of the study that
    reported a value at that band."""

    def __init__(self, bands: Sequence[int], eta: float, strict: bool = True) -> None:
        self.bands = frozenset(bands)
        self.eta = eta
        self.strict = strict

    def prune(self, study: optuna.Study, trial: FrozenTrial) -> bool:
        band = trial.last_step
        if band is None or band not in self.bands:
            return False
        own = trial.intermediate_values[band]
        judged = own if self.strict else float(trial.user_attrs.get(BEST_SO_FAR, own))
        values = [v for t in study.get_trials(deepcopy=False)
                  if (v := t.intermediate_values.get(band)) is not None and math.isfinite(v)]
        return stops(values, judged, self.eta, study.direction == StudyDirection.MAXIMIZE)
