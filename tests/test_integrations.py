"""What every integration shares (jupyter_track.integrations.run_keeper) and how each says its framework is
missing: the run it logs to, steps that go back, framework config values as JSON."""

from __future__ import annotations

import enum

import numpy as np
import pytest

import jupyter_track as jt
from jupyter_track.integrations.run_keeper import RunKeeper, log_at, plain
from tests.conftest import run_python

MODULES = {"lightning": ("lightning", "pytorch_lightning"), "huggingface": ("transformers",), "keras": ("keras",),
           "xgboost": ("xgboost",), "lightgbm": ("lightgbm",)}


@pytest.mark.parametrize("integration", list(MODULES))
def test_a_missing_framework_is_named_with_its_install_command(integration: str) -> None:
    out = run_python(f"""
        import sys
        for name in {MODULES[integration]!r}:
            sys.modules[name] = None          # as if it were not installed
        import jupyter_track.integrations
        try:
            import jupyter_track.integrations.{integration}
        except ImportError as exc:
            print(exc)
    """)
    assert out.stdout.startswith(f"jupyter_track.integrations.{integration} needs ") and "pip install" in out.stdout


def test_importing_the_package_imports_no_framework() -> None:
    out = run_python("""
        import sys
        import jupyter_track.integrations
        print([m for m in ("torch", "lightning", "transformers", "keras", "xgboost", "lightgbm") if m in sys.modules])
    """)
    assert out.stdout.strip() == "[]"


def test_the_keeper_starts_a_run_finishes_it_and_continues_the_same_one() -> None:
    keeper = RunKeeper(project="keep", name="kept", display=False)
    assert keeper.run is None and keeper.project == "keep"
    run = keeper.get()
    log_at(run, {"loss": 1.0}, 5)
    keeper.end()
    assert run.state == "finished" and jt.run is None
    again = keeper.get()  # continued: same id, one step past the last
    assert again.id == run.id and again.state == "running"
    log_at(again, {"loss": 0.5}, 3)  # a step the run has passed goes to its next step
    keeper.end(failed=True)
    stored = jt.load_run(run.path)
    assert stored.state == "failed" and stored.name == "kept"
    assert stored.metric("loss").steps.tolist() == [5, 6]


def test_the_keeper_uses_the_active_run_and_never_finishes_it() -> None:
    mine = jt.init(project="mine", display=False)
    keeper = RunKeeper(project="other")
    assert keeper.get() is mine
    keeper.end()
    keeper.forget()
    assert mine.state == "running" and keeper.run is None


def test_a_disabled_run_is_used_as_it_is() -> None:
    disabled = jt.init(mode="disabled")
    keeper = RunKeeper()
    assert keeper.get() is disabled
    log_at(disabled, {"loss": 1.0}, 3)
    keeper.end()


class Color(enum.Enum):
    RED = "red"


def test_framework_config_values_become_json_quietly() -> None:
    values = {"n": 1, "x": 0.5, "on": True, "none": None, "enum": Color.RED, "cls": dict, "fn": plain,
              "lambda": lambda: 0, "array": np.arange(3), "scalar": np.float32(2.5), "big": np.zeros(20_000),
              "nested": {1: (1, 2), "s": {3}}, "obj": object()}
    out = plain(values)
    assert out["n"] == 1 and out["x"] == 0.5 and out["on"] is True and out["none"] is None
    assert out["enum"] == "red" and out["cls"] == "builtins.dict"
    assert out["fn"] == "jupyter_track.integrations.run_keeper.plain"
    assert out["lambda"].endswith("<lambda>")
    assert out["array"] == [0, 1, 2] and out["scalar"] == 2.5
    assert out["big"].startswith("[0. 0.") and len(out["big"]) <= 1000
    assert out["nested"] == {"1": [1, 2], "s": [3]} and out["obj"].startswith("<object object")
    run = jt.init(project="cfg", display=False)
    run.config.update(out)  # no JupyterTrackWarning (an error in these tests): everything was JSON already
    run.finish()


def test_torch_tensors_become_numbers() -> None:
    torch = pytest.importorskip("torch")
    assert plain({"t": torch.tensor(0.5), "v": torch.arange(2), "dtype": torch.float32}) == {
        "t": 0.5, "v": [0, 1], "dtype": "torch.float32"}
