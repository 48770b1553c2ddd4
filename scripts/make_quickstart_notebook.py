"""Generate notebooks/quickstart.ipynb (no outputs saved).

Run from the repository root:  .venv/bin/python scripts/make_quickstart_notebook.py
Edit the cells here, not the .ipynb, so the committed notebook stays clean and reproducible.
"""

from __future__ import annotations

from pathlib import Path

from notebook_gen import main

OUT = Path(__file__).resolve().parent.parent / "notebooks" / "quickstart.ipynb"

CELLS: list[tuple[str, str]] = [
    ("md", """\
# jupyter_track quickstart

This notebook trains a tiny neural network **by hand with numpy** (no downloads, CPU only, a few seconds)
and tracks it with `jupyter_track`: config, per-step training metrics, per-epoch validation metrics and a
summary. Then it reads the run back from the local store, as you would in a later session.

Everything is stored locally, in `$JUPYTER_TRACK_DIR` (default `~/.jupyter_track`): no account, no
server."""),
    ("md", """\
## 1. Load the extension and import

`%load_ext jupyter_track` adds the `%jt` magics (`%jt status`, `%jt runs`) and records every cell you run, so
the run keeps the code as executed, even if the notebook is never saved. `import jupyter_track as jt` is the
API (W&B users can also write `import jupyter_track as wandb`: the calls are the same)."""),
    ("code", """\
%load_ext jupyter_track
import numpy as np

import jupyter_track as jt"""),
    ("md", """\
## 2. Start a run

`jt.init` creates a run in project `quickstart` and records its hyper-parameters (`config`), tags and notes.
Reading the values back from `run.config` means what you train with is exactly what is recorded."""),
    ("code", """\
run = jt.init(
    project="quickstart",
    config={"lr": 0.5, "epochs": 30, "hidden": 32, "batch_size": 64, "seed": 0,
            "n_samples": 2000, "noise": 0.2},
    tags=["quickstart", "numpy", "mlp"],
    notes="2-layer MLP on two moons, trained by hand-written gradient descent",
)
cfg = run.config
print(run.path)"""),
    ("md", """\
## 3. Data: two interleaving half-moons

A synthetic, noisy, non-linearly separable 2-D dataset, generated with a fixed seed. 80 % is used for
training, 20 % for validation; features are standardised with the training statistics."""),
    ("code", """\
rng = np.random.default_rng(cfg["seed"])


def make_moons(n, noise, rng):
    n_upper = n // 2
    t_upper = rng.uniform(0, np.pi, n_upper)
    t_lower = rng.uniform(0, np.pi, n - n_upper)
    upper = np.stack([np.cos(t_upper), np.sin(t_upper)], axis=1)
    lower = np.stack([1 - np.cos(t_lower), 0.5 - np.sin(t_lower)], axis=1)
    X = np.concatenate([upper, lower]) + rng.normal(0, noise, (n, 2))
    y = np.concatenate([np.zeros(n_upper), np.ones(n - n_upper)])
    return X, y


X, y = make_moons(cfg["n_samples"], cfg["noise"], rng)
perm = rng.permutation(len(X))
X, y = X[perm], y[perm]
n_val = len(X) // 5
X_val, y_val, X_train, y_train = X[:n_val], y[:n_val], X[n_val:], y[n_val:]
mean, std = X_train.mean(axis=0), X_train.std(axis=0)
X_train, X_val = (X_train - mean) / std, (X_val - mean) / std
print(f"train: {X_train.shape}, val: {X_val.shape}, positives: {y.mean():.2f}")"""),
    ("md", """\
## 4. Model: a 2-layer MLP with hand-written gradients

`tanh` hidden layer, one logit out, binary cross-entropy loss. `gradients` is plain backpropagation."""),
    ("code", """\
H = cfg["hidden"]
params = {
    "W1": rng.normal(0, 1 / np.sqrt(2), (2, H)), "b1": np.zeros(H),
    "W2": rng.normal(0, 1 / np.sqrt(H), (H, 1)), "b2": np.zeros(1),
}


def forward(p, X):
    h = np.tanh(X @ p["W1"] + p["b1"])
    return h, (h @ p["W2"] + p["b2"])[:, 0]


def loss_and_acc(logits, y):
    loss = np.mean(np.logaddexp(0, logits) - y * logits)  # numerically stable BCE with logits
    acc = np.mean((logits > 0) == (y == 1))
    return float(loss), float(acc)


def gradients(p, X, y):
    h, logits = forward(p, X)
    d_logits = (1 / (1 + np.exp(-logits)) - y)[:, None] / len(X)
    d_h = (d_logits @ p["W2"].T) * (1 - h**2)
    grads = {"W1": X.T @ d_h, "b1": d_h.sum(axis=0), "W2": h.T @ d_logits, "b2": d_logits.sum(axis=0)}
    return grads, logits"""),
    ("md", """\
## 5. Train and log

Every optimisation step logs `train/loss` and `train/acc`; after each epoch the validation metrics and the
epoch number are logged at the same step. `run.log` returns immediately: a background writer makes the
data durable. The best validation accuracy goes into the run's `summary`."""),
    ("code", """\
step = 0
best_val_acc = 0.0
for epoch in range(cfg["epochs"]):
    order = rng.permutation(len(X_train))
    for start in range(0, len(order), cfg["batch_size"]):
        idx = order[start:start + cfg["batch_size"]]
        grads, logits = gradients(params, X_train[idx], y_train[idx])
        train_loss, train_acc = loss_and_acc(logits, y_train[idx])
        for k in params:
            params[k] -= cfg["lr"] * grads[k]
        run.log({"train/loss": train_loss, "train/acc": train_acc}, step=step)
        step += 1

    _, val_logits = forward(params, X_val)
    val_loss, val_acc = loss_and_acc(val_logits, y_val)
    run.log({"val/loss": val_loss, "val/acc": val_acc, "epoch": epoch}, step=step - 1)
    best_val_acc = max(best_val_acc, val_acc)
    if epoch % 5 == 0 or epoch == cfg["epochs"] - 1:
        print(f"epoch {epoch:2d}  train/loss {train_loss:.3f}  "
              f"val/loss {val_loss:.3f}  val/acc {val_acc:.3f}")

run.summary["best_val_acc"] = best_val_acc"""),
    ("md", """\
## 6. Finish

`run.finish()` marks the run `finished` and waits until everything logged is stored."""),
    ("code", """\
run.finish()"""),
    ("md", """\
## 7. Read it back

The read API works from any process, any time later: a table of the project's runs (config and summary
columns), and one run's history, one row per step where one of the requested keys was logged (here: the
last step of each epoch; ask for `train/loss` too and you get every step)."""),
    ("code", """\
jt.runs("quickstart").to_pandas()"""),
    ("code", """\
jt.load_run(run.path).history(keys=["epoch", "val/loss", "val/acc"]).tail()"""),
    ("md", """\
## 8. What was captured, and getting the code back

Without being asked, the run recorded where it came from: this notebook, the git state, Python and package
versions, the hardware, and system usage while it ran (the `system/…` stream). It also kept two snapshots of
the notebook, the file as saved and the code as executed (with the steps each cell logged).
`jt.restore` writes one of them as a new notebook; it never overwrites a file."""),
    ("code", """\
import tempfile

stored = jt.load_run(run.path)
print("notebook:", stored.meta["notebook"].get("path"), "found by", stored.meta["notebook"]["method"])
print("python:", stored.meta["python"]["version"], "· packages recorded:", len(stored.meta["packages"]))
print("system samples:", len(stored.history(stream="system")))
restored = jt.restore(run.path, root=tempfile.mkdtemp())
print("restored the executed code to", restored)"""),
    ("md", """\
## 9. From the command line

The same store is browsable from a terminal (prefix with `!` to run it from a notebook cell):

```bash
!jupyter-track ls quickstart                       # the project's runs, newest first
!jupyter-track ls quickstart --sort=-summary.best_val_acc
!jupyter-track show quickstart/<run id>            # config, summary, metrics of one run
!jupyter-track export quickstart/<run id> --format csv
!jupyter-track restore quickstart/<run id>         # the code as executed, as a new notebook
```"""),
]


if __name__ == "__main__":
    raise SystemExit(main(OUT, CELLS, "scripts/make_quickstart_notebook.py"))
