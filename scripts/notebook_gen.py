"""Shared by the notebook generators: cells → a clean notebook (no outputs, stable ids), written or checked."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

Cells = list[tuple[str, str]]  # ("md" | "code", source)


def build(cells: Cells) -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    nb.cells = [new_markdown_cell(src) if kind == "md" else new_code_cell(src) for kind, src in cells]
    for i, cell in enumerate(nb.cells):  # stable ids: regenerating gives a byte-identical file
        cell["id"] = f"cell-{i:02d}"
    nbformat.validate(nb)
    return nb


def main(out: Path, cells: Cells, script: str) -> int:
    """Write ``out``; with ``--check`` only say whether it is up to date (exit 1 if not)."""
    text = nbformat.writes(build(cells), version=4) + "\n"
    if "--check" in sys.argv[1:]:
        same = out.exists() and out.read_text() == text
        print(f"{out}: {'up to date' if same else f'OUT OF DATE: run {script}'}")
        return 0 if same else 1
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(f"wrote {out}")
    return 0
