"""Copy a sweep's Optuna study from one store to another (for ``jupyter-track migrate``), again and again.

``optuna.copy_study`` copies a study once (a second call fails on the existing name) and renumbers nothing; we
need a copy that can be repeated: each copied trial carries the system attribute :data:`SOURCE_TRIAL` (its number
in the source), so a later copy adds only the trials the target lacks and finishes the ones that were still
running at the last copy. Trials the target's own agents ran (no such attribute) are left as they are.

Example::

    copy_study("sqlite:////data/jt/jupyter_track.db", "postgresql://db/team", "jupyter_track-sweep-3k9x2abq")
"""

from __future__ import annotations

import copy

from optuna.storages import BaseStorage
from optuna.trial import FrozenTrial

from . import study

SOURCE_TRIAL = "jt_source_trial"


def copy_study(from_url: str, to_url: str, name: str) -> int:
    """Copy study ``name`` from the store at ``from_url`` into the one at ``to_url``; returns how many trials
    were added or updated (0 when the target is up to date, or the source has no such study)."""
    src, dst = study.storage(from_url), study.storage(to_url)
    try:
        src_id = src.get_study_id_from_name(name)
    except KeyError:
        return 0
    try:
        dst_id = dst.get_study_id_from_name(name)
    except KeyError:
        with study.quiet_optuna():
            dst_id = dst.create_new_study(src.get_study_directions(src_id), name)
        for key, value in src.get_study_system_attrs(src_id).items():
            dst.set_study_system_attr(dst_id, key, value)
        for key, value in src.get_study_user_attrs(src_id).items():
            dst.set_study_user_attr(dst_id, key, value)
    copied = {t.system_attrs[SOURCE_TRIAL]: t for t in dst.get_all_trials(dst_id, deepcopy=False)
              if SOURCE_TRIAL in t.system_attrs}
    changed = 0
    for trial in src.get_all_trials(src_id, deepcopy=False):  # in number order: an empty target keeps them
        there = copied.get(trial.number)
        if there is None:
            template = copy.deepcopy(trial)
            template.system_attrs = {**trial.system_attrs, SOURCE_TRIAL: trial.number}
            dst.create_new_trial(dst_id, template_trial=template)
            changed += 1
        elif not there.state.is_finished() and _differs(trial, there):
            _bring_up_to_date(dst, dst_id, trial, there)
            changed += 1
    return changed


def _differs(a: FrozenTrial, b: FrozenTrial) -> bool:
    return (a.state != b.state or a.params != b.params or a.intermediate_values != b.intermediate_values
            or a.user_attrs != b.user_attrs)


def _bring_up_to_date(dst: BaseStorage, dst_id: int, trial: FrozenTrial, there: FrozenTrial) -> None:
    """A trial copied while it was running: add what the source has since, then its final state."""
    tid = dst.get_trial_id_from_study_id_trial_number(dst_id, there.number)
    for name, value in trial.params.items():
        if name not in there.params:
            dist = trial.distributions[name]
            dst.set_trial_param(tid, name, dist.to_internal_repr(value), dist)
    for step, value in trial.intermediate_values.items():
        if there.intermediate_values.get(step) != value:
            dst.set_trial_intermediate_value(tid, step, value)
    for key, value in trial.user_attrs.items():
        if there.user_attrs.get(key) != value:
            dst.set_trial_user_attr(tid, key, value)
    if trial.state != there.state:
        dst.set_trial_state_values(tid, trial.state, trial.values)
