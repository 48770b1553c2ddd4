"""Generate notebooks/artifacts.ipynb (no outputs saved).

Run from the repository root:  .venv/bin/python scripts/make_artifacts_notebook.py  (--check: is it up to date?)
Edit the cells here, not the .ipynb, so the committed notebook stays clean and reproducible.
"""

from __future__ import annotations

from pathlib import Path

from notebook_gen import main

OUT = Path(__file__).resolve().parent.parent / "notebooks" / "artifacts.ipynb"

CELLS: list[tuple[str, str]] = [
    ("md", """\
# Artifacts: dataset → model → evaluation → production

Three runs hand files to each other through **artifacts**: a dataset run logs the data, a training run uses
it and logs a model, an evaluation run uses the model and, if it is good enough, promotes it to
`production`. Every version is content-addressed (logging the same files again makes no new version),
aliases move with a recorded history, and the lineage (which run made what from what) is kept.

CPU only, numpy only, no downloads; everything is stored in `$JUPYTER_TRACK_DIR`."""),
    ("code", """\
import os
import tempfile

import numpy as np

import jupyter_track as jt

os.chdir(tempfile.mkdtemp(prefix="jt-artifacts-"))  # a scratch folder for the files this notebook writes
rng = np.random.default_rng(0)"""),
    ("md", """\
## 1. The dataset run

Two Gaussian blobs, saved as `.npy` files and logged as a `dataset` artifact. Logging it a second time with
the same bytes returns the same version `v0`."""),
    ("code", """\
with jt.init(project="artifacts-demo", job_type="dataset") as run:
    os.makedirs("data", exist_ok=True)
    X = np.concatenate([rng.normal(-1, 1, (500, 2)), rng.normal(1, 1, (500, 2))])
    y = np.concatenate([np.zeros(500), np.ones(500)])
    np.save("data/X.npy", X)
    np.save("data/y.npy", y)
    data = jt.Artifact("blobs", type="dataset", description="two Gaussian blobs", metadata={"n": len(X)})
    data.add_dir("data")
    run.log_artifact(data)
    again = jt.Artifact("blobs", type="dataset")
    again.add_dir("data")
    print(data.qualified_name, "→ logged again:", run.log_artifact(again).version)"""),
    ("md", """\
## 2. The training run

`use_artifact` records that this run read `blobs:latest` (an input edge of the lineage); `download()` writes
the files, verifying each one's SHA-256. The trained weights are logged with `log_model`."""),
    ("code", """\
def train(X, y, lr, steps=200):
    w = np.zeros(X.shape[1] + 1)
    Xb = np.hstack([X, np.ones((len(X), 1))])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-Xb @ w))
        w -= lr * Xb.T @ (p - y) / len(y)
    return w


with jt.init(project="artifacts-demo", job_type="train", config={"lr": 0.5}) as run:
    folder = run.use_artifact("blobs:latest").download()
    X, y = np.load(f"{folder}/X.npy"), np.load(f"{folder}/y.npy")
    np.save("weights.npy", train(X, y, run.config.lr))
    model = run.log_model("weights.npy", name="blob-classifier", aliases=["candidate"])
print(model.qualified_name, model.aliases)"""),
    ("md", """\
## 3. The evaluation run, and promotion to production

The evaluation uses the `candidate`, measures accuracy, and moves the `production` alias onto it when it
beats the threshold. `jt.artifact("blob-classifier:production")` then always resolves to the promoted
version."""),
    ("code", """\
with jt.init(project="artifacts-demo", job_type="eval") as run:
    candidate = run.use_artifact("blob-classifier:candidate", type="model")
    w = np.load(f"{candidate.download()}/weights.npy")
    Xb = np.hstack([X, np.ones((len(X), 1))])
    accuracy = float(np.mean(((Xb @ w) > 0) == (y == 1)))
    run.log({"accuracy": accuracy})
    if accuracy > 0.8:
        candidate.add_alias("production")
print(f"accuracy {accuracy:.3f}")
production = jt.artifact("artifacts-demo/blob-classifier:production")
print(production.qualified_name, production.aliases)
[(e.alias, e.action, e.previous, e.version, e.user) for e in production.alias_history()]"""),
    ("md", """\
## 4. What is stored, and where it came from

`jt.artifacts` lists every version; `jt.lineage` walks from the model upstream (the training run, the
dataset, the run that made it) and downstream (the evaluation run), and draws the graph in the cell."""),
    ("code", """\
jt.artifacts("artifacts-demo").to_pandas()[["name", "version", "type", "aliases", "size", "created_by"]]"""),
    ("code", """\
jt.lineage(production)"""),
    ("md", """\
From a terminal:

```bash
jupyter-track artifact ls artifacts-demo
jupyter-track artifact show artifacts-demo/blob-classifier:production   # files, aliases, history, runs
jupyter-track artifact get artifacts-demo/blob-classifier:production --out model/
jupyter-track artifact alias add artifacts-demo/blob-classifier:v0 staging
```"""),
]


if __name__ == "__main__":
    raise SystemExit(main(OUT, CELLS, "scripts/make_artifacts_notebook.py"))
