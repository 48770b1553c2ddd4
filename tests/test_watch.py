"""jt.watch / jt.unwatch with a real small torch model: histograms at the right steps, and none after unwatch."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import jupyter_track as jt
from jupyter_track.errors import UsageError

torch = pytest.importorskip("torch")


def _mlp() -> Any:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))


def _train(model: Any, steps: int) -> None:
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x, y = torch.randn(16, 4), torch.randint(0, 2, (16,))
    for _ in range(steps):
        loss = torch.nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        jt.log({"loss": loss.item()})


def _keys(stored: Any) -> list[str]:
    return list(stored.keys())


def _steps(stored: Any, key: str) -> list[int]:
    return [s for s, _, _ in stored.media(key)]


def test_gradients_and_parameters_are_logged_every_log_freq_steps_and_stop_after_unwatch() -> None:
    model = _mlp()
    run = jt.init(project="watch")
    jt.watch(model, log="all", log_freq=2)
    _train(model, 6)
    jt.unwatch(model)
    _train(model, 4)
    run.finish()
    stored = jt.load_run(run.path)
    names = [n for n, _ in model.named_parameters()]
    assert sorted(k for k in _keys(stored) if k.startswith("gradients/")) == sorted(f"gradients/{n}" for n in names)
    for name in names:
        assert _steps(stored, f"gradients/{name}") == [1, 3, 5]  # the 2nd, 4th, 6th backward pass
        assert _steps(stored, f"parameters/{name}") == [1, 3, 5]
    frame = stored.history()
    assert list(frame["_step"]) == list(range(10))  # histograms joined the loss rows (commit=False)
    hist = stored.media("gradients/0.weight")[-1][2]
    assert len(hist.histogram) == 64 and sum(hist.histogram) == 4 * 8
    weights = stored.media("parameters/2.weight")[0][2]
    assert sum(weights.histogram) == 2 * 8 and weights.bins[0] < weights.bins[-1]


def test_default_logs_gradients_only_and_parameter_histogram_matches_numpy() -> None:
    model = _mlp()
    run = jt.init(project="watch")
    jt.watch(model, log_freq=3)
    _train(model, 3)
    run.finish()
    stored = jt.load_run(run.path)
    assert not [k for k in _keys(stored) if k.startswith("parameters/")]
    assert _steps(stored, "gradients/2.bias") == [2]
    from jupyter_track.model_watch import tensor_histogram

    values = torch.tensor([0.0, 1.0, 1.0, 2.0, float("nan"), float("inf")])
    hist = tensor_histogram(values, num_bins=4)
    counts, edges = np.histogram([0.0, 1.0, 1.0, 2.0], bins=4)
    assert hist.histogram == counts.tolist() and np.allclose(hist.bins, edges)
    assert hist.dropped == {"nan": 1, "inf": 1, "-inf": 0}


def test_unwatch_without_arguments_removes_every_hook_and_watch_needs_a_run() -> None:
    with pytest.raises(UsageError, match=r"jt\.init"):
        jt.watch(_mlp())
    a, b = _mlp(), _mlp()
    run = jt.init(project="watch")
    jt.watch([a, b], log="parameters", log_freq=1)
    jt.unwatch()
    _train(a, 2)
    _train(b, 2)
    run.finish()
    assert not [k for k in _keys(jt.load_run(run.path)) if "/" in k]
    run = jt.init(project="watch")
    jt.watch([a, b], log="parameters", log_freq=1)
    _train(b, 1)
    jt.unwatch([a, b])
    run.finish()
    assert "parameters/graph_10.weight" in _keys(jt.load_run(run.path))  # W&B's prefix for a second model
    with pytest.raises(ValueError, match="log="):
        run.watch(a, log="weights")


def test_watch_histograms_stay_out_of_summary_reprs_tables_and_listings(tmp_path: Any) -> None:
    import subprocess
    import sys

    model = _mlp()
    run = jt.init(project="watch-list", name="w")
    jt.watch(model, log="parameters", log_freq=1)
    _train(model, 3)
    run.log({"scores": jt.Histogram(np.arange(500.0), num_bins=32)})
    live = repr(run.summary)
    run.finish()
    assert "loss" in live and len(live) < 600, live  # the histograms' edges and counts are not printed
    stored = jt.load_run(run.path)
    assert stored.summary["scores"]["_type"] == "histogram"  # the data is still there to read
    assert len(stored.summary["scores"]["values"]) == 32
    text = repr(stored.summary)
    assert "'scores': <histogram: 32 bins over [0, 499]>" in text, text
    assert "'parameters/0.weight': <histogram: 64 bins over [" in text and len(text) < 800, text
    frame = jt.runs("watch-list").to_pandas()
    assert frame.loc[0, "summary.scores"] == "histogram: 32 bins over [0, 499]"
    assert isinstance(frame.loc[0, "summary.loss"], float)
    html = frame._repr_html_()
    assert "histogram: 32 bins over [0, 499]" in html and "'bins'" not in html and len(html) < 20_000, len(html)
    out = subprocess.run([sys.executable, "-m", "jupyter_track", "ls", "watch-list", "--columns",
                          "summary.scores,summary.loss"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "histogram: 32 bins over [0, 499]" in out.stdout and '"bins"' not in out.stdout, out.stdout
    assert max(len(line) for line in out.stdout.splitlines()) < 200, out.stdout
