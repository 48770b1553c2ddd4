"""Import weight, layering (imports point down only), the one version, and the installed Jupyter extensions."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

from tests.conftest import REPO, run_python

PACKAGE = REPO / "jupyter_track"

# Each module group may import only the groups listed for it (besides itself and the base).
BASE = {"errors", "settings", "types", "names", "values", "messages", "frontend", "metric_defs", "scalars",
        "current_run", "whole_files"}
LAYERS = {
    "store": set(),
    "capture": set(),  # handed the run it captures for; imports no run code
    "artifacts": {"store"},  # artifact versions, aliases, lineage: called by the run, read by api/cli
    "run": {"store", "capture", "artifacts"},
    "read": {"store", "artifacts"},
    # sweeps (Optuna): drive runs through session.PendingTrial and read them back; the CLI and jt.* call them
    "sweeps": {"store", "run", "read"},
    # downsampling, the comparison model, importance: numpy under both the widgets and the server extension
    "analysis": {"store", "read"},
    "widgets": {"store", "read", "analysis"},  # read the store; shown by the entry point's display hook
    # jt.sklearn: the one integration the package names (W&B's wandb.sklearn), loaded on first use
    "entry": {"store", "capture", "run", "read", "artifacts", "widgets", "sweeps", "integrations"},
    # the jupyter_server extension: reads like the read API; never a widget (those load IPython and anywidget)
    "server": {"store", "read", "analysis"},
    # framework callbacks and loggers: drive runs through the session like user code; nothing imports them
    "integrations": {"run", "artifacts"},
}
# folders that are one group each
PACKAGES = ("store", "capture", "artifacts", "widgets", "server", "sweeps", "analysis", "integrations")
GROUP = {"run_config": "run", "run_summary": "run", "live_run": "run", "session": "run", "disabled": "run",
         "run_start": "run", "run_files": "run", "model_watch": "run", "api": "read", "stored_run": "read",
         "snapshot_restore": "read", "maintenance": "read",
         "cli": "entry", "ipython": "entry", "__init__": "entry", "__main__": "entry",
         "plot": "base",  # jt.plot: builds media (charts) from the user's data, as the media types do
         "sklearn": "integrations"}  # jt.sklearn: the name W&B gives jupyter_track.integrations.sklearn


def test_import_is_light_no_ipython_pandas_plotly_torch_or_sqlalchemy() -> None:
    out = run_python("""
        import sys, time
        t = time.perf_counter()
        import jupyter_track
        print(time.perf_counter() - t)
        heavy = ("IPython", "pandas", "plotly", "torch", "sqlalchemy", "numpy", "alembic", "PIL", "matplotlib",
                 "optuna", "anywidget", "tornado", "psycopg", "jupyter_track.capture")
        heavy = [m for m in heavy if m in sys.modules]
        print(heavy)
    """).stdout.split("\n")
    assert out[1] == "[]", out


def test_init_leaves_the_store_interface_sqlalchemy_and_capture_to_other_threads() -> None:
    # what init() imports in the calling thread is what a user waits for; the store interface (18 dataclasses),
    # the metric definitions, SQLAlchemy and the capture's modules load in the writer's and the capture's threads
    run_python("import jupyter_track as jt; jt.init(project='p', display=False).finish()")  # the store exists
    out = run_python("""
        import sys, threading
        import jupyter_track as jt
        main, loaded = threading.get_ident(), []
        sys.addaudithook(lambda event, args: loaded.append(args[0]) if event == "import"
                         and threading.get_ident() == main else None)
        run = jt.init(project="p", display=False, capture="all")
        print(sorted(set(loaded)))
        run.finish()
    """).stdout.splitlines()[0]
    assert "'jupyter_track.store.preflight'" in out, out  # the store was checked here, in the calling thread
    slow = ("'datetime'", "'sqlite3'", "'dataclasses'", "'jupyter_track.store.base'", "'jupyter_track.metric_defs'",
            "'sqlalchemy'", "'psutil'", "'logging'", "'contextvars'", "'jupyter_track.capture.system'")
    assert not [m for m in slow if m in out], out


def _group(path: Path) -> str | None:
    rel = path.relative_to(PACKAGE)
    if rel.parts[0] in PACKAGES:
        return rel.parts[0]
    if rel.parts[0] == "media":  # media types: a low layer beside values (values wraps figures in them)
        return "base"
    if rel.stem in BASE:
        return "base"
    return GROUP.get(rel.stem)


def _imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    package = path.relative_to(REPO).with_suffix("").parts[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - node.level + 1]
            target = ".".join((*base, *(node.module.split(".") if node.module else ())))
            names.add(target)
            if not node.module:
                names.update(".".join((*base, a.name)) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("jupyter_track"):
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names if a.name.startswith("jupyter_track"))
    return names


def test_imports_point_down_only() -> None:
    problems = []
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        group = _group(path)
        assert group is not None, f"{path} belongs to no layer: add it to LAYERS in this test"
        for target in _imported(path):
            parts = target.split(".")[1:]
            if not parts:
                continue
            target_group = (parts[0] if parts[0] in PACKAGES else "base" if parts[0] in BASE | {"media"}
                            else GROUP.get(parts[0]))
            allowed = {group, "base"} | LAYERS.get(group, set())
            if group == "base":
                allowed = {"base"}
            if target_group not in allowed:
                problems.append(f"{path.relative_to(REPO)} ({group}) imports {target} ({target_group})")
    assert not problems, "\n".join(problems)


def _module(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name: str) -> bool:
    where = REPO.joinpath(*name.split("."))
    return where.with_suffix(".py").is_file() or (where / "__init__.py").is_file()


def _runtime_imports(path: Path) -> set[str]:
    """The package's modules that ``path`` imports when it runs, at module level or inside a function: ``from
    . import session`` names the module session, ``from .store import open_store`` the package store. Imports
    under ``if TYPE_CHECKING:`` are left out: they never run."""
    package = path.relative_to(REPO).with_suffix("").parts[:-1]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("jupyter_track")):
            base = package[: len(package) - node.level + 1] if node.level else ()
            target = ".".join((*base, *(node.module.split(".") if node.module else ())))
            found.update(f"{target}.{a.name}" if _is_module(f"{target}.{a.name}") else target for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("jupyter_track"))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text()))
    return found - {_module(path)}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of ``graph`` with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v] & graph.keys():
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = stack[stack.index(v):]
            del stack[stack.index(v):]
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_two_modules_import_each_other_even_inside_functions() -> None:
    # The layers above forbid a cycle between groups; this forbids one inside a group (live_run -> session ->
    # live_run was one: a run told the session it finished by importing it). A lazy import still counts.
    graph = {_module(p): _runtime_imports(p) for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts}
    assert "jupyter_track.capture" in graph["jupyter_track.session"]  # imported inside init(): it counts
    cycles = _cycles(graph)
    assert not cycles, "modules that import each other, in a cycle:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_the_views_lower_layers_ask_for_are_widgets_that_exist() -> None:
    # frontend.VIEWS names a view by string, so no import points up from the run, read, sweeps or media layers:
    # each entry must still be a widget module's function
    import importlib

    from jupyter_track.frontend import VIEWS

    for name, where in VIEWS.items():
        module, _, function = where.partition(":")
        assert _group(REPO / (module.replace(".", "/") + ".py")) == "widgets", f"{name}: {where} is not a widget"
        assert callable(getattr(importlib.import_module(module), function)), f"{name}: {where} does not exist"


def test_python_and_npm_versions_agree() -> None:
    npm = json.loads((REPO / "labextension" / "package.json").read_text())["version"]
    assert version("jupyter_track") == npm
    import jupyter_track

    assert jupyter_track.__version__ == npm


def test_python_is_supported() -> None:
    assert sys.version_info >= (3, 10)


def _jupyter(*args: str) -> str:
    """Output (stdout and stderr: the list commands print to both) of the venv's ``jupyter <args>``."""
    jupyter = Path(sys.executable).with_name("jupyter")
    done = subprocess.run([str(jupyter), *args], capture_output=True, text=True, timeout=120, check=True)
    return re.sub(r"\x1b\[[0-9;]*m", "", done.stdout + done.stderr)  # without the colour codes


def test_jupyterlab_and_jupyter_server_list_both_extensions_enabled_and_ok() -> None:
    labextensions = _jupyter("labextension", "list")
    assert re.search(r"^\s*jupyter-track v\S+ enabled OK", labextensions, re.M), labextensions
    server = _jupyter("server", "extension", "list")
    assert re.search(r"^\s*jupyter_track enabled\s*$", server, re.M), server
    assert re.search(r"^\s*jupyter_track \S+ OK\s*$", server, re.M), server


def _requirements() -> tuple[set[str], dict[str, set[str]]]:
    """The package's requirement names: the base ones, and those of each extra."""
    from importlib.metadata import requires

    base: set[str] = set()
    extras: dict[str, set[str]] = {}
    for line in requires("jupyter_track") or []:
        name = re.split(r"[\s<>=!~\[;(]", line, maxsplit=1)[0].lower()
        found = re.search(r"extra\s*==\s*['\"]([\w-]+)['\"]", line)
        if found:
            extras.setdefault(found.group(1), set()).add(name)
        else:
            base.add(name)
    return base, extras


def test_the_heavy_optional_packages_are_extras_and_torch_is_no_requirement() -> None:
    # pyarrow (~170 MB), scikit-learn + scipy (~200 MB) and JupyterLab (~90 MB) are opt-in; torch is never asked
    # for by the package metadata (a bare "torch" resolves to a CUDA build of several GB)
    base, extras = _requirements()
    assert not base & {"pyarrow", "scikit-learn", "scipy", "jupyterlab", "torch"}, base
    assert {"jupyter-server", "optuna", "numpy"} <= {n.replace("_", "-") for n in base}
    assert extras["parquet"] == {"pyarrow"} and extras["importance"] == {"scikit-learn"}
    assert extras["lab"] == {"jupyterlab"}
    assert not any("torch" in names for names in extras.values()), extras


def test_the_integrated_frameworks_are_only_a_test_extra_and_xgboost_is_its_cpu_build() -> None:
    # jupyter_track.integrations imports a framework only when used: none is a requirement, only the tests install
    # them (integrations-test, after the Makefile's CPU torch); xgboost's own wheel pulls ~200 MB of CUDA (NCCL)
    # and TensorFlow is never needed (Keras 3 runs on torch)
    base, extras = _requirements()
    frameworks = {"lightning", "transformers", "accelerate", "keras", "xgboost-cpu", "lightgbm"}
    assert extras["integrations-test"] == frameworks
    assert not any(frameworks & names for extra, names in extras.items() if extra != "integrations-test")
    assert not base & (frameworks | {"xgboost", "tensorflow"})
    assert not any(names & {"xgboost", "tensorflow"} for names in extras.values())
