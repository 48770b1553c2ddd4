"""Generate notebooks/sweeps.ipynb (no outputs saved).

Run from the repository root:  .venv/bin/python scripts/make_sweeps_notebook.py  (--check: is it up to date?)
"""

from __future__ import annotations

from pathlib import Path

from notebook_gen import main

OUT = Path(__file__).resolve().parent.parent / "notebooks" / "sweeps.ipynb"

CELLS = [
    ("md", """\
# Hyper-parameter sweeps

A W&B-style sweep over a small numpy classifier (two interleaved spirals, no downloads): Bayesian search
(Optuna's TPE) over the learning rate, hidden size and weight decay, with hyperband stopping hopeless trials
early. The code is what a W&B tutorial looks like: `import jupyter_track as wandb` would run it unchanged."""),
    ("code", """\
%load_ext jupyter_track
import numpy as np

import jupyter_track as jt"""),
    ("code", """\
rng = np.random.default_rng(0)
n = 600
t = np.sqrt(rng.random(n)) * 3 * np.pi
label = rng.integers(0, 2, n)
sign = np.where(label == 1, 1.0, -1.0)
X = np.c_[sign * t * np.cos(t), sign * t * np.sin(t)] / 10 + rng.normal(0, 0.05, (n, 2))
fit, held_out = slice(0, 450), slice(450, None)"""),
    ("md", """\
## The training function: it reads its hyper-parameters from `jt.config`"""),
    ("code", """\
def train():
    run = jt.init(config={"lr": 0.1, "hidden": 16, "weight_decay": 0.0, "epochs": 60})
    cfg = jt.config
    rng = np.random.default_rng(1)
    W1 = rng.normal(0, 1, (2, cfg.hidden)); b1 = np.zeros(cfg.hidden)
    W2 = rng.normal(0, 1 / np.sqrt(cfg.hidden), cfg.hidden); b2 = 0.0
    y = label.astype(float)
    for epoch in range(cfg.epochs):
        h = np.tanh(X[fit] @ W1 + b1)
        p = 1 / (1 + np.exp(-(h @ W2 + b2)))
        g = (p - y[fit]) / len(p)
        gh = np.outer(g, W2) * (1 - h ** 2)
        W2 -= cfg.lr * (h.T @ g + cfg.weight_decay * W2); b2 -= cfg.lr * g.sum()
        W1 -= cfg.lr * (X[fit].T @ gh + cfg.weight_decay * W1); b1 -= cfg.lr * gh.sum(0)
        hv = np.tanh(X[held_out] @ W1 + b1)
        val_acc = float((((hv @ W2 + b2) > 0) == (y[held_out] > 0.5)).mean())
        jt.log({"epoch": epoch, "val/acc": val_acc})
    run.summary["val/acc"] = val_acc
    run.finish()"""),
    ("md", """\
## The sweep: a W&B sweep config, and an agent that runs 12 trials in this kernel"""),
    ("code", """\
sweep_config = {
    "method": "bayes",
    "metric": {"name": "val/acc", "goal": "maximize"},
    "parameters": {
        "lr": {"distribution": "log_uniform_values", "min": 0.01, "max": 3.0},
        "hidden": {"values": [4, 8, 16, 32]},
        "weight_decay": {"distribution": "uniform", "min": 0.0, "max": 0.01},
    },
    "early_terminate": {"type": "hyperband", "min_iter": 10, "eta": 3},
}
sweep_id = jt.sweep(sweep_config, project="sweeps")
jt.agent(sweep_id, function=train, count=12)"""),
    ("code", """\
sweep = jt.get_sweep(sweep_id)
best = sweep.best_run()
print(f"best val/acc {best.summary['val/acc']:.3f} with", {k: best.config[k] for k in ("lr", "hidden", "weight_decay")})
jt.runs("sweeps", filters={"sweep": sweep_id}, order="-summary.val/acc")"""),
    ("md", """\
From a terminal, `jupyter-track sweeps` lists sweeps with their best value, and `jupyter-track agent <id>`
runs more trials of the same sweep, from another process or another machine sharing the store."""),
]

if __name__ == "__main__":
    raise SystemExit(main(OUT, CELLS, "scripts/make_sweeps_notebook.py"))
