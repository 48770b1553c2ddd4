"""Per-step overhead of each framework integration: the same training loop with and without it.

For each framework (those installed), a tiny model trains on synthetic data, logging at every step (the worst
case: Lightning ``log_every_n_steps=1``, the Trainer's ``logging_steps=1``, Keras ``log_freq="batch"``, every
boosting round), once with jupyter_track's logger or callback and once without. The run is started before the
timed loop and finished after it (display and automatic capture off), so the figure is what the integration
adds to each step. Runs alternate (without, with, without, …) ``--repeats`` times in one fresh interpreter per
framework, after a warm-up pair; the medians are printed. The figures: the difference of the two loops (what a
user would see, but on a shared 2-core machine it is within the noise of a millisecond step); the median call of
the hook the framework calls at every step (clocked around each call: the per-step cost itself, steady from run
to run); and all the time spent in the integration in one run, starting and ending included (config, feature
importance, artifacts). The tiny models make a step short, so the shares are upper bounds: on a real model the
same microseconds are less.

Figures are printed, never asserted: machines here are shared and noisy.

Usage::

    python benchmarks/bench_integrations.py                  # every installed framework
    python benchmarks/bench_integrations.py --only keras xgboost --repeats 9
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

FRAMEWORKS = {  # name: (modules it needs, steps, the hook called at every step)
    "lightning": (("torch", "lightning"), 400, "log_metrics"),
    "huggingface": (("torch", "transformers", "accelerate"), 200, "on_log"),
    "keras": (("torch", "keras"), 400, "on_train_batch_end"),
    "xgboost": (("xgboost",), 200, "after_iteration"),
    "lightgbm": (("lightgbm",), 200, "__call__"),
}


CALLS: list[tuple[str, float]] = []  # (method, seconds) of each call into the integration during the current loop


def clocked(integration: Any) -> Any:
    """``integration`` with each method its class defines (hooks, ``__call__``) timed into ``CALLS``."""
    cls = type(integration)

    def timed(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                CALLS.append((name, time.perf_counter() - t0))
        return call

    hooks = {k: timed(k, v) for k, v in vars(cls).items()
             if callable(v) and not isinstance(v, type) and (not k.startswith("_") or k == "__call__")}
    integration.__class__ = type(cls.__name__, (cls,), hooks)
    return integration


# -- the workloads: each returns a function that trains ``steps`` steps (with the integration or not) ------------
def lightning_loop(steps: int) -> Callable[[bool], None]:
    import lightning as L
    import torch

    from jupyter_track.integrations.lightning import JupyterTrackLogger

    class Model(L.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.net = torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.ReLU(), torch.nn.Linear(32, 1))

        def training_step(self, batch: Any, index: int) -> Any:
            x, y = batch
            loss = torch.nn.functional.mse_loss(self.net(x), y)
            self.log("train/loss", loss)
            return loss

        def configure_optimizers(self) -> Any:
            return torch.optim.SGD(self.parameters(), lr=0.01)

    x = torch.randn(steps * 16, 16)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, x.sum(1, keepdim=True)), batch_size=16)

    def train(tracked: bool) -> None:
        logger = clocked(JupyterTrackLogger(display=False)) if tracked else False
        L.Trainer(logger=logger, max_epochs=1, log_every_n_steps=1, enable_progress_bar=False,
                  enable_model_summary=False, enable_checkpointing=False).fit(Model(), loader)

    return train


def huggingface_loop(steps: int) -> Callable[[bool], None]:
    import torch
    import transformers

    from jupyter_track.integrations.huggingface import JupyterTrackCallback

    transformers.logging.set_verbosity_error()

    class Tokens(torch.utils.data.Dataset):  # type: ignore[type-arg]
        def __init__(self, n: int) -> None:
            self.ids = torch.randint(0, 32, (n, 6), generator=torch.Generator().manual_seed(0))

        def __len__(self) -> int:
            return len(self.ids)

        def __getitem__(self, i: int) -> dict[str, Any]:
            return {"input_ids": self.ids[i], "labels": int(self.ids[i, 0] >= 16)}

    config = transformers.BertConfig(vocab_size=32, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                                     intermediate_size=32, max_position_embeddings=8)
    folder = tempfile.mkdtemp(prefix="jt-bench-hf-")

    def train(tracked: bool) -> None:
        args = transformers.TrainingArguments(folder, report_to="none", logging_steps=1, max_steps=steps,
                                              per_device_train_batch_size=8, save_strategy="no", use_cpu=True,
                                              disable_tqdm=True)
        trainer = transformers.Trainer(model=transformers.BertForSequenceClassification(config), args=args,
                                       train_dataset=Tokens(steps * 8),
                                       callbacks=[clocked(JupyterTrackCallback(display=False))] if tracked else [])
        trainer.remove_callback(transformers.PrinterCallback)  # printing every step would swamp the figures
        trainer.train()

    return train


def keras_loop(steps: int) -> Callable[[bool], None]:
    import keras
    import numpy as np

    from jupyter_track.integrations.keras import JupyterTrackMetricsLogger

    x = np.random.default_rng(0).normal(size=(steps * 16, 16)).astype("float32")
    y = x.sum(1)

    def train(tracked: bool) -> None:
        model = keras.Sequential([keras.Input((16,)), keras.layers.Dense(32, activation="relu"),
                                  keras.layers.Dense(1)])
        model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse", metrics=["mae"])
        callbacks = [clocked(JupyterTrackMetricsLogger(log_freq="batch"))] if tracked else []
        model.fit(x, y, epochs=1, batch_size=16, verbose=0, callbacks=callbacks)

    return train


def tabular() -> tuple[Any, Any]:
    """20,000 rows of 16 features (5,000 to validate on), a noisy label: a small table, default tree sizes."""
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(20_000, 16))
    return x, (x[:, 0] + 0.5 * x[:, 1] * x[:, 2] + rng.normal(size=20_000) > 0).astype(int)


def xgboost_loop(steps: int) -> Callable[[bool], None]:
    import xgboost

    from jupyter_track.integrations.xgboost import JupyterTrackXGBoostCallback

    x, y = tabular()
    train_set, valid_set = xgboost.DMatrix(x[:15_000], y[:15_000]), xgboost.DMatrix(x[15_000:], y[15_000:])
    params = {"objective": "binary:logistic", "eval_metric": ["logloss", "auc"]}

    def train(tracked: bool) -> None:
        xgboost.train(params, train_set, steps, evals=[(train_set, "train"), (valid_set, "valid")],
                      verbose_eval=False, callbacks=[clocked(JupyterTrackXGBoostCallback())] if tracked else None)

    return train


def lightgbm_loop(steps: int) -> Callable[[bool], None]:
    import lightgbm

    from jupyter_track.integrations.lightgbm import JupyterTrackLightGBMCallback

    x, y = tabular()
    train_set = lightgbm.Dataset(x[:15_000], y[:15_000], free_raw_data=False)
    valid_set = lightgbm.Dataset(x[15_000:], y[15_000:], reference=train_set)
    params = {"objective": "binary", "metric": ["binary_logloss", "auc"], "verbose": -1}

    def train(tracked: bool) -> None:
        lightgbm.train(params, train_set, steps, valid_sets=[train_set, valid_set],
                       callbacks=[clocked(JupyterTrackLightGBMCallback())] if tracked else None)

    return train


LOOPS: dict[str, Callable[[int], Callable[[bool], None]]] = {
    "lightning": lightning_loop, "huggingface": huggingface_loop, "keras": keras_loop, "xgboost": xgboost_loop,
    "lightgbm": lightgbm_loop}


def measure(name: str, repeats: int) -> dict[str, Any]:
    """In this (fresh) interpreter: median seconds of the loop without and with the integration."""
    import jupyter_track as jt

    _, steps, hook = FRAMEWORKS[name]
    train = LOOPS[name](steps)
    times: dict[bool, list[float]] = {False: [], True: []}
    per_step: list[float] = []  # the median call of the every-step hook, per run
    inside: list[float] = []  # every call into the integration, per run (starting, ending, artifacts included)
    for i in range(repeats + 1):  # the first pair warms up (imports, first-call compilation)
        for tracked in (False, True):
            # the run is the active one, started before the clock and finished after it: the loop alone is timed
            run = jt.init(project="bench-integrations", display=False, capture=False)
            CALLS.clear()
            t0 = time.perf_counter()
            train(tracked)
            seconds = time.perf_counter() - t0
            run.finish(quiet=True)
            if i:
                times[tracked].append(seconds)
                if tracked:
                    per_step.append(statistics.median(s for k, s in CALLS if k == hook))
                    inside.append(sum(s for _, s in CALLS))
    return {"steps": steps, "without_s": statistics.median(times[False]), "with_s": statistics.median(times[True]),
            "hook": hook, "hook_s": statistics.median(per_step), "inside_s": statistics.median(inside)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", choices=list(FRAMEWORKS), help="frameworks to measure")
    parser.add_argument("--repeats", type=int, default=5, help="pairs of runs per framework (median)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.repeats)))
        return 0

    print(f"{'framework':<12} {'steps':>5} {'step without':>13} {'step with':>13} {'difference':>20}  "
          f"{'every-step hook (median call)':<42} {'all calls per run':>17}")
    for name in args.only or list(FRAMEWORKS):
        missing = [m for m in FRAMEWORKS[name][0] if importlib.util.find_spec(m) is None]
        if missing:
            print(f"{name:<12} skipped: {', '.join(missing)} not installed")
            continue
        with tempfile.TemporaryDirectory(prefix="jt-bench-") as store:
            env = {**os.environ, "JUPYTER_TRACK_DIR": store, "JUPYTER_TRACK_QUIET": "1", "KERAS_BACKEND": "torch",
                   "TOKENIZERS_PARALLELISM": "false"}
            done = subprocess.run([sys.executable, __file__, "--child", name, "--repeats", str(args.repeats)],
                                  capture_output=True, text=True, env=env, check=False)
        if done.returncode != 0:
            print(f"{name:<12} failed:\n{done.stderr[-2000:]}")
            continue
        r = json.loads(done.stdout.strip().splitlines()[-1])
        per_without, per_with = r["without_s"] / r["steps"], r["with_s"] / r["steps"]
        extra, hook = per_with - per_without, r["hook_s"]
        print(f"{name:<12} {r['steps']:>5} {per_without * 1e3:>10.3f} ms {per_with * 1e3:>10.3f} ms "
              f"{extra * 1e6:>+9.1f} µs ({extra / per_without:>+6.1%})  "
              f"{r['hook'] + '()':<20} {hook * 1e6:>7.1f} µs ({hook / per_without:>6.2%}) "
              f"{r['inside_s'] * 1e3:>14.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
