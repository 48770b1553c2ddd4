"""VS Code cannot run here: its notebook output webview is rebuilt from its sources (microsoft/vscode,
webviewPreloads: a cell's outputs are ``.output_container > .output`` nodes in one ``.cell_container``, an HTML
output inserted with innerHTML; microsoft/vscode-jupyter, ipywidgets/renderer: the node of a widget it renders gets
``cell-output-ipywidget-background``, a widget whose model is gone falls back to the output's next type) and the
fallback's own style is checked against it in Chromium: the static view hides beside a rendered widget and shows
where the widget fell back to its empty text. JupyterLab's own DOM is checked live in test_reopen_ui."""

from __future__ import annotations

from typing import Any

import pytest

from jupyter_track.widgets.static_view import chart, fallback

pytestmark = pytest.mark.slow


def _cell(cell_id: str, widget: str) -> str:
    static = fallback(f'<div class="jt-static">{chart("loss", [("#1f77b4", [0, 1], [1.0, 0.5], None, None)])}</div>')
    return (f'<div class="cell_container" id="{cell_id}">'
            f'<div class="output_container"><div class="output">{widget}</div></div>'
            f'<div class="output_container"><div class="output"><div>{static}</div></div></div></div>')


def test_static_view_hides_beside_a_widget_vscode_rendered_and_shows_where_it_fell_back(page: Any) -> None:
    rendered = '<div class="cell-output-ipywidget-background"><div class="jt-panel">live panel</div></div>'
    fell_back = "<div><pre></pre></div>"  # the widget output's empty text/plain
    page.set_content(f'<div id="container">{_cell("live", rendered)}{_cell("reopened", fell_back)}</div>')
    assert not page.locator("#live .jt-static").is_visible()
    assert page.locator("#reopened .jt-static").is_visible()
    assert page.locator("#reopened .jt-static img").evaluate("n => n.complete && n.naturalWidth") == 240
