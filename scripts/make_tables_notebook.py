"""Generate notebooks/tables_and_images.ipynb (no outputs saved).

Run from the repository root:  .venv/bin/python scripts/make_tables_notebook.py  (--check: is it up to date?)
"""

from __future__ import annotations

from pathlib import Path

from notebook_gen import main

OUT = Path(__file__).resolve().parent.parent / "notebooks" / "tables_and_images.ipynb"

CELLS = [
    ("md", """\
# Tables with images: predictions vs. labels

A tiny image classifier, trained by hand with numpy on shapes it draws itself (no downloads), tracked with
`jupyter_track`: a live panel while it trains, sample images, a histogram of its weights, and a table of
predictions with an image column that you can sort, filter (*show only the wrong ones*) and enlarge."""),
    ("code", """\
%load_ext jupyter_track
import numpy as np

import jupyter_track as jt"""),
    ("md", """\
## 1. A small image set: squares, crosses and rings, with noise"""),
    ("code", """\
CLASSES = ["square", "cross", "ring"]
rng = np.random.default_rng(0)


def draw(kind, size=16):
    img = np.zeros((size, size), dtype=np.float32)
    c, r = size // 2 + rng.integers(-2, 3), rng.integers(4, 7)
    yy, xx = np.mgrid[:size, :size]
    if kind == "square":
        img[max(0, c - r):c + r, max(0, c - r):c + r] = 1
    elif kind == "cross":
        img[c - 1:c + 1, :] = img[:, c - 1:c + 1] = 1
    else:
        ring = np.abs(np.hypot(yy - c, xx - c) - r)
        img[ring < 1.2] = 1
    return np.clip(img + rng.normal(0, 0.35, img.shape), 0, 1)


labels = rng.integers(0, 3, 600)
images = np.stack([draw(CLASSES[k]) for k in labels])
X = images.reshape(len(images), -1)
train, test = slice(0, 450), slice(450, None)"""),
    ("md", """\
## 2. Train softmax regression, tracked: the panel below the cell updates while it runs"""),
    ("code", """\
run = jt.init(project="tables", config={"lr": 0.5, "epochs": 60, "classes": CLASSES})
W = np.zeros((X.shape[1], 3))
onehot = np.eye(3)[labels]
for epoch in range(run.config.epochs):
    logits = X[train] @ W
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    W -= run.config.lr * X[train].T @ (p - onehot[train]) / len(p)
    loss = -np.log(p[np.arange(len(p)), labels[train]] + 1e-9).mean()
    test_acc = ((X[test] @ W).argmax(1) == labels[test]).mean()
    run.log({"train/loss": loss, "train/acc": (p.argmax(1) == labels[train]).mean(), "test/acc": test_acc})
samples = [jt.Image(images[i], caption=CLASSES[labels[i]]) for i in range(8)]
run.log({"weights": jt.Histogram(W), "samples": samples})"""),
    ("md", """\
## 3. A table of predictions with an image column

Click a column header to sort, type `label != prediction` in the filter box and press Enter to see only the
mistakes, click a thumbnail to enlarge it. Logged with the run, the table can be read back any time."""),
    ("code", """\
scores = X[test] @ W
pred = scores.argmax(1)
conf = np.exp(scores - scores.max(1, keepdims=True))
conf = (conf / conf.sum(1, keepdims=True)).max(1)
table = jt.Table(columns=["image", "label", "prediction", "confidence"])
for img, y, yhat, c in zip(images[test], labels[test], pred, conf):
    table.add_data(jt.Image(img), CLASSES[y], CLASSES[yhat], round(float(c), 3))
run.log({"predictions": table})
run.summary["test_acc"] = float((pred == labels[test]).mean())
table"""),
    ("code", """\
run.finish()
wrong = jt.load_run(run.path).table("predictions").filter("label != prediction")
print(f"{len(wrong)} mistakes out of {len(table)}")
wrong"""),
]

if __name__ == "__main__":
    raise SystemExit(main(OUT, CELLS, "scripts/make_tables_notebook.py"))
