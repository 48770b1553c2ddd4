"""The widgets' ES modules as anywidget loads them: one module each, with ``static/chart_core.js`` (the axes,
ticks and crosshair every chart shares) inlined where a view imports it. anywidget evaluates ``_esm`` from a
blob URL, where a relative import has nothing to resolve against; JupyterLab's bundle of the same file
(webpack, for the compare panel) resolves the import itself.

Example::

    class CompareWidget(anywidget.AnyWidget):
        _esm = module("compare.js")
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

STATIC = Path(__file__).parent / "static"
_CORE_IMPORT = re.compile(r'^import \{[^}]*\} from "\./chart_core\.js";\n', re.MULTILINE)


@functools.cache
def module(name: str) -> str:
    """``static/<name>`` as one ES module: its import of ``./chart_core.js`` replaced by that file's code."""
    source = (STATIC / name).read_text(encoding="utf-8")
    if not _CORE_IMPORT.search(source):
        return source
    core = (STATIC / "chart_core.js").read_text(encoding="utf-8").replace("\nexport function ", "\nfunction ")
    return _CORE_IMPORT.sub(lambda _: core, source, count=1)
