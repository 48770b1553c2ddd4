"""What a saved notebook weighs: a finished run panel, a table and a compare view, with the widget state saved
and without it (JupyterLab's default: ``saveState`` off).

A notebook with three cells (a run of ``--steps`` steps × ``--metrics`` metrics with its live panel; a
``--rows``-row ``jt.Table``, given ``--images``, its first rows with a 224 × 224 photo-like image (smooth shades
and noise: JPEG compresses it as a photo); ``jt.compare`` of that run and ``--runs - 1`` more) is executed
headless by nbclient, which keeps the widget state in the notebook's metadata as JupyterLab does with
``saveState`` on; the same notebook without that metadata is what JupyterLab saves by default. Each cell's outputs
(the widget view and its static fallback) and each widget's saved state are measured. Figures are printed, never
asserted.

Usage::

    python benchmarks/bench_saved_notebook.py
    python benchmarks/bench_saved_notebook.py --steps 100000 --metrics 12 --runs 10
    python benchmarks/bench_saved_notebook.py --images 20    # the static table's thumbnails and larger copies
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import nbclient
import nbformat

STATE = "application/vnd.jupyter.widget-state+json"


def cells(steps: int, metrics: int, rows: int, runs: int, images: int = 0) -> list[str]:
    keys = [f"{'train' if m % 2 else 'val'}/m{m}" for m in range(metrics)]
    image = (', "image"', f", photo(i) if i < {images} else None") if images else ("", "")
    return [
        f"""\
import math, jupyter_track as jt
run = jt.init(project="size", name="panel")
for step in range({steps}):
    run.log({{k: math.sin(step / 50 + i) + step / {steps} for i, k in enumerate({keys!r})}})
run.finish()""",
        f"""\
import numpy as np
def photo(i):
    y, x = np.mgrid[0:224, 0:224]
    shades = 127 + 60 * np.sin(x / (9 + i % 7)) + 60 * np.cos(y / (13 + i % 5))
    return jt.Image(np.clip(shades[..., None] + np.random.default_rng(i).normal(0, 12, (224, 224, 3)), 0, 255)
                    .astype(np.uint8), caption=f"photo {{i}}")
jt.Table(columns=["id", "label", "score"{image[0]}],
         data=[[i, f"class-{{i % 10}}", i / {rows}{image[1]}] for i in range({rows})])""",
        f"""\
for r in range({runs - 1}):
    with jt.init(project="size", name=f"other-{{r}}", display=False) as other:
        for step in range({steps}):
            other.log({{k: math.cos(step / 40 + r) for k in {keys!r}}})
jt.compare(project="size")""",
    ]


def kb(n: int) -> str:
    return f"{n / 1024:8.1f} KB"


def size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=5_000)
    parser.add_argument("--metrics", type=int, default=6)
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--images", type=int, default=0, help="rows of the table with an image")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in
                                            cells(args.steps, args.metrics, args.rows, args.runs, args.images)])
        env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER_TRACK_")}
        env |= {"JUPYTER_TRACK_DIR": str(folder / "store"), "JUPYTER_TRACK_QUIET": "1",
                "JUPYTER_TRACK_CAPTURE": "none"}
        nbclient.NotebookClient(nb, kernel_name="python3", timeout=600,
                                resources={"metadata": {"path": tmp}}).execute(env=env)
        empty = len(nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in
                                                                   cells(args.steps, args.metrics, args.rows,
                                                                         args.runs, args.images)])))
        saved = nbformat.writes(nb)
        state = nb.metadata.get("widgets", {}).get(STATE, {}).get("state", {})
        nb.metadata.pop("widgets", None)
        unsaved = nbformat.writes(nb)

    print(f"notebook: run panel ({args.steps} steps × {args.metrics} metrics), table ({args.rows} rows), "
          f"compare ({args.runs} runs), {args.images} images in the table")
    print(f"{'':34}{'outputs':>11}{'+ state':>11}")
    ours: set[str] = set()
    for name, cell in zip(("run panel", "table", "compare"), nb.cells, strict=True):
        outs = cell.outputs
        models = {o["data"]["application/vnd.jupyter.widget-view+json"]["model_id"] for o in outs
                  if "application/vnd.jupyter.widget-view+json" in o.get("data", {})}
        fallback = sum(size(o) for o in outs if "jt-fallback" in o.get("data", {}).get("text/html", ""))
        ours |= models
        own = sum(size(v) for k, v in state.items() if k in models)
        print(f"  {name:<14} (static view {kb(fallback).strip():>8}) {kb(sum(size(o) for o in outs))} "
              f"{kb(own)}")
    other = sum(size(v) for k, v in state.items() if k not in ours)
    print(f"  other models in the state (layouts, …){kb(0)}{kb(other)}")
    print(f"saved notebook, widget state not saved (JupyterLab's default): {kb(len(unsaved) - empty).strip()} "
          "over the cells' source")
    print(f"saved notebook, widget state saved (saveState on, nbclient):   {kb(len(saved) - empty).strip()} "
          "over the cells' source")


if __name__ == "__main__":
    main()
