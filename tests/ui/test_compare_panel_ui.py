"""The compare panel in real JupyterLab + Chromium: select runs in the Runs sidebar, "Compare selected", see one
chart per common metric with a curve per run, a legend of run names, a config diff with only the differing key,
and a "by group" view when the runs share groups."""

from __future__ import annotations

from typing import Any

import pytest

import jupyter_track as jt
from tests.ui.conftest import Lab, open_sidebar, row

pytestmark = pytest.mark.slow

PANEL = ".jt-compare-panel"


def make_runs(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> list[jt.Run]:
    monkeypatch.setenv("JUPYTER_TRACK_DIR", str(lab.store))
    runs = []
    for i, (lr, group) in enumerate([(0.1, "a"), (0.01, "a"), (0.001, "b")]):
        run = jt.init(project="ui-cmp-panel", name=f"<b>run-{i}</b>", group=group,
                      config={"lr": lr, "opt": "adam", "model": {"depth": 4}}, display=False)
        for step in range(50):
            run.log({"loss": 1 / (1 + step * lr), "acc": step / 50 * (i + 1)})
        run.finish()
        runs.append(run)
    return runs


def test_compare_two_runs_overlays_curves_and_diffs_only_the_differing_key(
        lab: Lab, page: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    runs = make_runs(lab, monkeypatch)
    lab.home(page)
    open_sidebar(page, "ui-cmp-panel")
    page.click(row(runs[0].id), timeout=30_000)
    page.click(row(runs[1].id), modifiers=["Control"])
    page.click(".jp-TrackSidebar-compare")
    page.wait_for_selector(f"{PANEL} .jt-compare[data-curves='loaded']", timeout=30_000)

    charts = page.eval_on_selector_all(f"{PANEL} .jt-cmp-chart canvas",
                                       "cs => cs.map(c => [c.dataset.metric, c.dataset.drawnRuns])")
    assert sorted(charts) == [["acc", "0,1"], ["loss", "0,1"]]  # one chart per common metric, two curves each
    # each run has its own colour in the legend, the one it has in a notebook's jt.compare (by run id)
    colours = page.eval_on_selector_all(f"{PANEL} .jt-cmp-run .jt-cmp-swatch", "ss => ss.map(s => s.style.background)")
    assert len(set(colours)) == 2
    notebook = jt.compare([f"{r.project}/{r.id}" for r in reversed(runs[:2])]).runs
    as_rgb = {r["name"]: "rgb({}, {}, {})".format(*(int(r["color"][i:i + 2], 16) for i in (1, 3, 5))) for r in notebook}
    in_panel = page.eval_on_selector_all(
        f"{PANEL} .jt-cmp-run", "rs => rs.map(r => [r.textContent, r.firstChild.style.background])")
    assert {name: colour for name, colour in in_panel} == as_rgb
    # round ticks on both axes (the shared chart axes: static/chart_core.js), not just min and max
    label = page.get_attribute(f"{PANEL} .jt-cmp-chart canvas[data-metric='loss']", "aria-label") or ""
    steps, values = label.removeprefix("loss: step ").split("; value ")
    assert steps.split(", ")[:3] == ["0", "10", "20"] and len(values.split(", ")) >= 3, label
    legend = page.eval_on_selector_all(f"{PANEL} .jt-cmp-run", "rs => rs.map(r => r.textContent)")
    assert sorted(legend) == ["<b>run-0</b>", "<b>run-1</b>"]  # names as text, not markup
    assert page.locator(f"{PANEL} .jt-cmp-legend b").count() == 0
    # the widget's own stylesheet came with the view: the legend is laid out as in a notebook
    assert page.eval_on_selector(f"{PANEL} .jt-cmp-legend", "l => getComputedStyle(l).display") == "flex"
    # the curves were really drawn: the loss canvas has painted pixels
    painted = page.eval_on_selector(f"{PANEL} .jt-cmp-chart canvas[data-metric='loss']", """c => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }""")
    assert painted > 500

    config = page.eval_on_selector_all(f"{PANEL} .jt-cmp-table th.jt-cmp-config", "hs => hs.map(h => h.textContent)")
    assert config == ["lr"]  # opt and model.depth are equal in both runs
    summary = page.eval_on_selector_all(f"{PANEL} .jt-cmp-table th.jt-cmp-summary", "hs => hs.map(h => h.textContent)")
    assert sorted(summary) == ["acc", "loss"]
    lrs = page.eval_on_selector_all(f"{PANEL} .jt-cmp-table tbody tr td:nth-child(2)",
                                    "ts => ts.map(t => t.textContent)")
    assert sorted(lrs) == ["0.01", "0.1"]


def test_by_group_view_shows_each_groups_band(lab: Lab, page: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    runs = make_runs(lab, monkeypatch)
    lab.home(page)
    open_sidebar(page, "ui-cmp-panel")
    page.click(row(runs[0].id), timeout=30_000)
    for run in runs[1:]:
        page.click(row(run.id), modifiers=["Control"])
    page.click(".jp-TrackSidebar-compare")
    page.wait_for_selector(f"{PANEL} .jt-compare[data-curves='loaded']", timeout=30_000)
    toggle = f"{PANEL} .jt-compare-group-toggle input"
    assert page.locator(toggle).count() == 1  # runs 0 and 1 share group "a"
    page.check(toggle)
    page.wait_for_function(f"() => [...document.querySelectorAll('{PANEL} .jt-cmp-run')]"
                           ".some(r => r.textContent.endsWith('(a)'))", timeout=30_000)
    legend = sorted(page.eval_on_selector_all(f"{PANEL} .jt-cmp-run", "rs => rs.map(r => r.textContent)"))
    assert legend == ["<b>run-0</b> (a)", "<b>run-1</b> (a)", "<b>run-2</b> (b)"]
    # bands: the mean of group a is drawn thick over its members' faint curves; check the canvas differs from
    # the ungrouped one by re-reading its pixels after switching back
    grouped = page.eval_on_selector(f"{PANEL} .jt-cmp-chart canvas[data-metric='loss']", "c => c.toDataURL()")
    page.uncheck(toggle)
    page.wait_for_function(f"() => ![...document.querySelectorAll('{PANEL} .jt-cmp-run')]"
                           ".some(r => r.textContent.endsWith('(a)'))", timeout=30_000)
    page.wait_for_selector(f"{PANEL} .jt-compare[data-curves='loaded']", timeout=30_000)
    plain = page.eval_on_selector(f"{PANEL} .jt-cmp-chart canvas[data-metric='loss']", "c => c.toDataURL()")
    assert grouped != plain
