"""The Session: the process's runs, jt.config before init(), the disabled run, and reset()."""

from __future__ import annotations

import jupyter_track as jt
from jupyter_track import session
from jupyter_track.session import Session


def test_a_finished_run_tells_its_session_and_stays_tracked_for_the_cell_history() -> None:
    own = Session()
    run = own.init(project="own", display=False)
    assert own.current() is run and session.current() is None  # the default session knows nothing of it
    run.finish()
    assert own.current() is None and own.active_runs() == [] and own.tracked_runs() == [run]


def test_reset_finishes_active_runs_and_forgets_config_seed_and_the_disabled_run() -> None:
    own = Session()
    first = own.init(project="own", display=False)
    second = own.init(project="own", display=False, reinit="create_new")
    own.reset()
    assert own.current() is None and own.tracked_runs() == []
    assert (first.state, second.state) == ("finished", "finished")
    assert [jt.load_run(r.path).state for r in (first, second)] == ["finished", "finished"]

    own.set_config({"lr": 0.1})
    own.seed_everything(7)
    disabled = own.init(mode="disabled")
    assert own.current() is disabled and disabled.config.lr == 0.1
    own.reset()
    assert own.current() is None and own.config().as_dict() == {}
    run = own.init(project="own", display=False)  # neither the config nor the seed of before the reset
    assert dict(run.config) == {} and "seed" not in run.meta
    run.finish()


def test_finishing_the_disabled_run_makes_the_session_forget_it() -> None:
    own = Session()
    disabled = own.init(mode="disabled")
    disabled.finish()
    assert own.current() is None
