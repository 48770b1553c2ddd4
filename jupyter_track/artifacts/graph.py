"""The lineage graph: runs ⇄ artifact versions, walked upstream (what made it) and downstream (what used it)."""

from __future__ import annotations

import html
from typing import Any

from ..store.base import ArtifactVersionRecord, Store


class LineageGraph:
    """Nodes (runs and artifact versions) and directed edges: ``output`` run → artifact (the run logged it),
    ``input`` artifact → run (the run used it). Shows itself as an SVG graph in a notebook cell.

    Example::

        g = jt.lineage("fashion/classifier:production")
        [n["label"] for n in g.upstream()]     # the training run, the dataset, …
        g.to_dict()                            # {"root": …, "nodes": [...], "edges": [...]}
    """

    def __init__(self, root: str, nodes: dict[str, dict[str, Any]], edges: list[dict[str, str]]) -> None:
        self.root = root
        self._nodes = nodes
        self.edges = edges

    @property
    def nodes(self) -> list[dict[str, Any]]:
        return list(self._nodes.values())

    def node(self, node_id: str) -> dict[str, Any]:
        return self._nodes[node_id]

    @property
    def runs(self) -> list[dict[str, Any]]:
        return [n for n in self._nodes.values() if n["kind"] == "run"]

    @property
    def artifacts(self) -> list[dict[str, Any]]:
        return [n for n in self._nodes.values() if n["kind"] == "artifact"]

    def upstream(self) -> list[dict[str, Any]]:
        """The nodes the root came from, nearest first."""
        return sorted((n for n in self._nodes.values() if n["level"] < 0), key=lambda n: -n["level"])

    def downstream(self) -> list[dict[str, Any]]:
        """The nodes that came from the root, nearest first."""
        return sorted((n for n in self._nodes.values() if n["level"] > 0), key=lambda n: n["level"])

    def to_dict(self) -> dict[str, Any]:
        """The graph as JSON-able data (what a widget renders)."""
        return {"root": self.root, "nodes": [dict(n) for n in self._nodes.values()],
                "edges": [dict(e) for e in self.edges]}

    def __repr__(self) -> str:
        return (f"<LineageGraph of {self._nodes[self.root]['label']}: {len(self.runs)} runs, "
                f"{len(self.artifacts)} artifact versions, {len(self.edges)} edges>")

    def _repr_html_(self) -> str:
        return render_html(self.to_dict())


def build(store: Store, start: tuple[str, Any], depth: int = 20) -> LineageGraph:
    """Walk the edges from ``("run", run_id)`` or ``("artifact", version_id)``, ``depth`` hops each way."""
    nodes: dict[str, dict[str, Any]] = {}
    edges: dict[tuple[str, str], dict[str, str]] = {}
    root = _node_id(*start)
    levels = {root: 0}
    # up: a version's producers (its output edges), a run's inputs; down: a version's users, a run's outputs
    for sign, from_version, from_run in ((-1, "output", "input"), (1, "input", "output")):
        frontier = {start}
        for hop in range(1, depth + 1):
            run_ids = [i for k, i in frontier if k == "run"]
            version_ids = [i for k, i in frontier if k == "artifact"]
            found = store.artifact_edges(run_ids=run_ids, version_ids=version_ids)
            nxt: set[tuple[str, Any]] = set()
            for e in found:
                other: tuple[str, Any]
                run_node, art_node = _node_id("run", e.run_id), _node_id("artifact", e.version_id)
                if ("artifact", e.version_id) in frontier and e.direction == from_version:
                    other = ("run", e.run_id)
                elif ("run", e.run_id) in frontier and e.direction == from_run:
                    other = ("artifact", e.version_id)
                else:
                    continue
                source, target = (run_node, art_node) if e.direction == "output" else (art_node, run_node)
                edges[(source, target)] = {"source": source, "target": target, "kind": e.direction}
                other_id = _node_id(*other)
                if other_id not in levels:
                    levels[other_id] = sign * hop
                    nxt.add(other)
            if not nxt:
                break
            frontier = nxt
    wanted = [int(n.split(":", 1)[1]) for n in levels if n.startswith("artifact:")]
    versions = {r.id: r for r in store.artifact_versions_by_id(wanted)}
    for node_id, level in levels.items():
        kind, key = node_id.split(":", 1)
        nodes[node_id] = (_artifact_node(node_id, versions.get(int(key)), level) if kind == "artifact"
                          else _run_node(store, node_id, key, level))
    return LineageGraph(root, nodes, list(edges.values()))


def _node_id(kind: str, key: Any) -> str:
    return f"{kind}:{key}"


def _artifact_node(node_id: str, r: ArtifactVersionRecord | None, level: int) -> dict[str, Any]:
    if r is None:
        return {"id": node_id, "kind": "artifact", "label": node_id, "level": level, "missing": True}
    return {"id": node_id, "kind": "artifact", "label": f"{r.name}:v{r.version}", "project": r.project,
            "name": r.name, "version": r.version, "type": r.type, "aliases": list(r.aliases), "size": r.size,
            "digest": r.digest, "created_by": r.run_id, "level": level}


def _run_node(store: Store, node_id: str, run_id: str, level: int) -> dict[str, Any]:
    info = store.get_run(run_id)
    if info is None:  # deleted since: its artifacts and edges are kept
        return {"id": node_id, "kind": "run", "run_id": run_id, "label": run_id, "state": "deleted",
                "level": level}
    return {"id": node_id, "kind": "run", "run_id": run_id, "label": info.name, "project": info.project,
            "path": info.path, "state": info.state, "job_type": info.job_type, "level": level}


# -- a static rendering (the widgets issue adds the interactive one; both read to_dict()) ---------------------------
_W, _H, _GAP_X, _GAP_Y, _PAD = 190, 46, 70, 18, 12


def render_html(graph: dict[str, Any]) -> str:
    """A self-contained SVG of the graph, columns by distance from the root; every name is escaped."""
    columns: dict[int, list[dict[str, Any]]] = {}
    for n in graph["nodes"]:
        columns.setdefault(n["level"], []).append(n)
    low = min(columns)
    pos: dict[str, tuple[float, float]] = {}
    for level, members in columns.items():
        for row, n in enumerate(members):
            pos[n["id"]] = (_PAD + (level - low) * (_W + _GAP_X), _PAD + row * (_H + _GAP_Y))
    width = _PAD * 2 + len(columns) * _W + (len(columns) - 1) * _GAP_X
    height = _PAD * 2 + max(len(m) for m in columns.values()) * (_H + _GAP_Y) - _GAP_Y
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
             '<defs><marker id="jt-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
             'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#888"/></marker></defs>']
    for e in graph["edges"]:
        (x1, y1), (x2, y2) = pos[e["source"]], pos[e["target"]]
        parts.append(f'<line x1="{x1 + _W}" y1="{y1 + _H / 2}" x2="{x2}" y2="{y2 + _H / 2}" stroke="#888" '
                     f'stroke-width="1.5" marker-end="url(#jt-arrow)"><title>{_esc(e["kind"])}</title></line>')
    for n in graph["nodes"]:
        x, y = pos[n["id"]]
        is_run = n["kind"] == "run"
        fill = "#e8f0fe" if is_run else "#fff4e0"
        stroke = "#1a73e8" if n["id"] == graph["root"] else "#999"
        sub = (f"run · {n.get('job_type') or n.get('state', '')}" if is_run
               else f"{n.get('type', 'artifact')} · {', '.join(n.get('aliases', []))}".rstrip(" ·"))
        tip = n.get("path") or (f"{n.get('project')}/{n['label']}" if not is_run else n["label"])
        parts.append(f'<g><title>{_esc(tip)}</title>'
                     f'<rect x="{x}" y="{y}" width="{_W}" height="{_H}" rx="{14 if is_run else 3}" fill="{fill}" '
                     f'stroke="{stroke}" stroke-width="{2 if n["id"] == graph["root"] else 1}"/>'
                     f'<text x="{x + 10}" y="{y + 19}" fill="#222" font-weight="bold">{_esc(_cut(n["label"]))}</text>'
                     f'<text x="{x + 10}" y="{y + 36}" fill="#555">{_esc(_cut(sub))}</text></g>')
    parts.append("</svg>")
    return f'<div class="jupyter-track-lineage" style="overflow-x:auto">{"".join(parts)}</div>'


def _cut(text: str, n: int = 26) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _esc(text: Any) -> str:
    return html.escape(str(text), quote=True)
