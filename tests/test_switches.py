"""The GIL switch interval that store reads lower while they work: put back after, left alone when someone else
changed it meanwhile, and a read of new rows beside a busy loop leaves the process's setting as it was."""

from __future__ import annotations

import sys

import pytest

import jupyter_track as jt
from jupyter_track.store.switches import SHORT, short_switches


@pytest.fixture
def interval() -> object:
    before = sys.getswitchinterval()
    sys.setswitchinterval(0.005)
    yield
    sys.setswitchinterval(before)


@pytest.mark.usefixtures("interval")
def test_short_switches_lowers_the_interval_and_puts_it_back_even_after_an_error() -> None:
    with short_switches():
        assert sys.getswitchinterval() == pytest.approx(SHORT)
        with short_switches():  # nested: a no-op, the outer one puts it back
            pass
        assert sys.getswitchinterval() == pytest.approx(SHORT)
    assert sys.getswitchinterval() == pytest.approx(0.005)
    with pytest.raises(RuntimeError), short_switches():
        raise RuntimeError("a failed read")
    assert sys.getswitchinterval() == pytest.approx(0.005)


@pytest.mark.usefixtures("interval")
def test_short_switches_leaves_a_setting_changed_meanwhile() -> None:
    with short_switches():
        sys.setswitchinterval(0.002)  # the user (or another thread) chose another interval meanwhile
    assert sys.getswitchinterval() == pytest.approx(0.002)


@pytest.mark.usefixtures("backend", "interval")
def test_history_leaves_the_process_switch_interval_as_it_was() -> None:
    run = jt.init(project="p")
    for step in range(300):
        run.log({"loss": step / 10}, step=step)
    run.finish()  # first: the writer thread lowers the interval too while it flushes
    r = jt.load_run(run.path)
    assert r.history(min_step=100)["loss"].tolist() == [s / 10 for s in range(100, 300)]
    assert sys.getswitchinterval() == pytest.approx(0.005)
