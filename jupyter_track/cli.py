"""``jupyter-track`` (also ``python -m jupyter_track``): thin commands over the read API and the store.

Example::

    jupyter-track ls fashion --sort=-summary.val/acc
    jupyter-track show fashion/k3v9x2ab
    jupyter-track export fashion/k3v9x2ab --format parquet
    jupyter-track rm fashion/k3v9x2ab --yes && jupyter-track gc
    jupyter-track migrate --from ~/.jupyter_track --to postgresql://me@db.example/team
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from .api import flatten
from .errors import JupyterTrackError, RunIsRunningError, needs_extra
from .maintenance import format_bytes


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except JupyterTrackError as exc:
        print(f"jupyter-track: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `… | head` stopped reading: not an error (before OSError, its base class)
        # Python flushes stdout again at exit, into the closed pipe: point it at /dev/null to say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (ValueError, OSError) as exc:
        print(f"jupyter-track: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="jupyter-track", description="Browse, export and clean up tracked runs.")
    p.add_argument("--dir", help="store folder (default: $JUPYTER_TRACK_DIR or ~/.jupyter_track)")
    p.add_argument("--store", help="store URL (default: $JUPYTER_TRACK_STORE or the SQLite file in --dir)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    ls = sub.add_parser("ls", help="list runs (of a project), sortable by a summary metric")
    ls.add_argument("project", nargs="?", help="project (default: every project)")
    ls.add_argument("--sort", default="-created_at",
                    help="field to sort by, '-' for descending (write --sort=-KEY): created_at, name, summary.<key>, "
                         "config.<key>")
    ls.add_argument("--state", help="only runs in this state (running, finished, failed, crashed, killed, pruned)")
    ls.add_argument("--tag", action="append", help="only runs with this tag (repeatable)")
    ls.add_argument("--filter", help='a JSON filter, e.g. \'{"config.lr": {"$lt": 0.01}}\'')
    ls.add_argument("--search", help="text to find in name, id, notes or tags")
    ls.add_argument("--columns", nargs="+", default=[],
                    help="extra columns, space- or comma-separated, e.g. summary.val/acc config.lr")
    ls.add_argument("--limit", type=_count, default=50, help="at most this many runs (0: all; default 50)")
    ls.add_argument("--json", action="store_true", help="print JSON instead of a table")
    ls.set_defaults(func=cmd_ls)

    projects = sub.add_parser("projects", help="list projects with their run counts")
    projects.set_defaults(func=cmd_projects)

    show = sub.add_parser("show", help="a run's state, config, summary, metrics and capture facts")
    show.add_argument("run", help="project/id, id, or project/<run name>")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(func=cmd_show)

    export = sub.add_parser("export", help="write a run's history to a file")
    export.add_argument("run")
    export.add_argument("--format", choices=("csv", "parquet", "json"), default="csv")
    export.add_argument("--out", help="output file (default: <name>-<id>.<format> here)")
    export.add_argument("--keys", help="comma-separated metric keys (default: all)")
    export.add_argument("--force", action="store_true", help="overwrite an existing file")
    export.set_defaults(func=cmd_export)

    rm = sub.add_parser("rm", help="delete a run and everything logged in it")
    rm.add_argument("run")
    rm.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    rm.add_argument("--force", action="store_true",
                    help="delete it even while it is running (its process then drops what it logs)")
    rm.set_defaults(func=cmd_rm)

    restore = sub.add_parser("restore", help="write a run's notebook snapshot as a new notebook")
    restore.add_argument("run")
    restore.add_argument("--out", help="the new notebook (default: <notebook>-<id>-<which>.ipynb beside the "
                                       "source notebook when it is under this folder, else here; never overwrites)")
    restore.add_argument("--which", choices=("executed", "saved", "live"), default="executed",
                         help="executed: the code as run (default); saved: the file on disk; live: JupyterLab's copy")
    restore.add_argument("--at", choices=("finish", "init"), default="finish")
    restore.set_defaults(func=cmd_restore)

    gc = sub.add_parser("gc", help="delete blobs (media, files) that no run refers to any more")
    gc.add_argument("--dry-run", action="store_true", help="only report what would be deleted")
    gc.set_defaults(func=cmd_gc)
    _artifact_parser(sub)
    _sweep_parser(sub)

    migrate = sub.add_parser("migrate", help="copy a store into another (e.g. a local SQLite store into a team's "
                                             "PostgreSQL server); running it again copies only what is new")
    migrate.add_argument("--from", dest="source", required=True, metavar="STORE",
                         help="the store to copy: a URL (sqlite:///…, postgresql://…), a store folder or its .db file")
    migrate.add_argument("--to", dest="target", required=True, metavar="STORE",
                         help="the store to copy into (made if it does not exist): a URL, a folder or a .db file")
    migrate.set_defaults(func=cmd_migrate)
    return p


def _artifact_parser(sub: Any) -> None:
    art = sub.add_parser("artifact", help="list, show, download and alias artifact versions")
    asub = art.add_subparsers(dest="artifact_command", metavar="ACTION", required=True)
    ls = asub.add_parser("ls", help="artifacts with their versions, sizes, aliases and creating runs")
    ls.add_argument("project", nargs="?", help="project (default: every project)")
    ls.add_argument("--type", help="only artifacts of this type (dataset, model, …)")
    ls.add_argument("--json", action="store_true", help="print JSON instead of a table")
    ls.set_defaults(func=cmd_artifact_ls)
    show = asub.add_parser("show", help="one version: files, aliases and their history, creating run, consumers")
    show.add_argument("name", help="[project/]name[:alias] (alias: latest, vN, production, …; default latest)")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(func=cmd_artifact_show)
    get = asub.add_parser("get", help="download a version's files (each verified against its SHA-256)")
    get.add_argument("name", help="[project/]name[:alias]")
    get.add_argument("--out", help="folder (default: ./artifacts/<name>-v<N>)")
    get.set_defaults(func=cmd_artifact_get)
    alias = asub.add_parser("alias", help="put an alias on a version (moving it) or take it off")
    alias.add_argument("action", choices=("add", "remove"))
    alias.add_argument("name", help="[project/]name:version, e.g. fashion/classifier:v3")
    alias.add_argument("alias", help="e.g. production")
    alias.set_defaults(func=cmd_artifact_alias)


def _sweep_parser(sub: Any) -> None:
    sweep = sub.add_parser("sweep", help="create a sweep from a W&B sweep config (YAML); prints its id")
    sweep.add_argument("config", help="the sweep config file (method, metric, parameters, program, …)")
    sweep.add_argument("--project", help="project (default: the config's, else the working folder's name)")
    sweep.set_defaults(func=cmd_sweep)
    agent = sub.add_parser("agent", help="run a sweep's trials: the config's program, with --key=value arguments")
    agent.add_argument("sweep_id", help="the id `jupyter-track sweep` printed (entity/project/id accepted)")
    agent.add_argument("--count", type=_count, help="at most this many trials (default: until the sweep is done)")
    agent.set_defaults(func=cmd_agent)
    sweeps = sub.add_parser("sweeps", help="list sweeps with their state, runs and best value so far")
    sweeps.add_argument("project", nargs="?", help="project (default: every project)")
    sweeps.add_argument("--json", action="store_true", help="print JSON instead of a table")
    sweeps.set_defaults(func=cmd_sweeps)


def _api(args: argparse.Namespace) -> Any:
    from .api import Api

    return Api(store=args.store, dir=args.dir)


def _count(text: str) -> int:
    """A count given on the command line: a whole number from 0 to 2**63 - 1 (what the stores can hold)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"{text} is out of range: give a number from 0 to {2**63 - 1}")
    return value


# -- commands ---------------------------------------------------------------------------------------------------
def cmd_ls(args: argparse.Namespace) -> int:
    # argparse reads '--sort=--' as the end of options and leaves a list
    if not isinstance(args.sort, str) or not args.sort.lstrip("+-"):
        raise ValueError("--sort needs a field, like --sort=-summary.acc or --sort=name")
    try:
        filters: dict[str, Any] = json.loads(args.filter) if args.filter else {}
    except json.JSONDecodeError as exc:
        raise ValueError(f"--filter is not JSON ({exc.msg} at character {exc.pos}); give an object like "
                         "'{\"config.lr\": {\"$lt\": 0.01}}'") from None
    if not isinstance(filters, dict):
        raise ValueError("--filter takes a JSON object, like '{\"summary.acc\": {\"$gte\": 0.9}}'")
    if args.state:
        filters["state"] = args.state
    if args.tag:
        filters["tags"] = {"$all": args.tag}
    api = _api(args)
    runs = api.runs(args.project, filters=filters, order=args.sort, limit=args.limit or None, search=args.search)
    extra = [c.strip() for arg in args.columns for c in arg.split(",") if c.strip()]
    sort_key = args.sort.lstrip("+-")
    if sort_key.startswith(("summary.", "config.")) and sort_key not in extra:
        extra.insert(0, sort_key)
    rows = []
    for r in runs:
        row = {"id": r.id, "name": r.name, "state": r.state, "created": _when(r.info.created_at),
               "duration": _duration(r.duration), "steps": "" if r.last_step is None else r.last_step + 1}
        if args.project is None:
            row = {"project": r.project, **row}
        for col in extra:
            row[col] = _column(r, col)
        rows.append(row)
    if args.json:
        print(json.dumps(rows, default=str, indent=1))
    elif rows:
        _table(rows)
    else:
        where = f"project {args.project!r}" if args.project else "the store"
        print(f"no runs in {where} ({api.store.url})")
    return 0


def cmd_projects(args: argparse.Namespace) -> int:
    projects = _api(args).projects()
    if not projects:
        print("no projects yet: start a run with jt.init(project=...)")
    else:
        _table([{"project": p["name"], "runs": p["runs"], "last run": _when(p["last_created_at"])}
                for p in projects])
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from .snapshot_restore import snapshots

    run = _api(args).run(args.run)
    if args.json:
        data = run.to_dict()
        data["metrics"] = run.summary_stats
        data["files"] = run.files()
        data["snapshots"] = snapshots(run)
        print(json.dumps(data, default=str, indent=1))
        return 0
    i = run.info
    lines = [
        ("run", f"{i.name} ({i.path})"), ("state", i.state), ("created", _when(i.created_at)),
        ("duration", _duration(i.duration)), ("steps", "" if i.last_step is None else i.last_step + 1),
        ("group", i.group), ("job type", i.job_type), ("tags", ", ".join(i.tags)), ("notes", i.notes),
        ("entity", i.entity), ("host", f"{i.host} (pid {i.pid})" if i.host else None), ("exit code", i.exit_code),
    ]
    _pairs(lines)
    _section("config", sorted(flatten(i.config).items()))
    stats = run.summary_stats
    _section("summary", [(k, _brief(v) + (_stats(stats[k]) if k in stats else ""))
                         for k, v in sorted(run.summary.items())])
    meta = dict(i.meta)
    packages = meta.pop("packages", None)
    _section("capture", sorted(flatten(meta).items()) + ([("packages", f"{len(packages)} recorded")] if packages
                                                        else []))
    _section("snapshots", [(f"{s['which']}@{s['at']}", f"{s['size']} bytes  (jupyter-track restore {i.path} "
                                                         f"--which {s['which']} --at {s['at']})")
                           for s in snapshots(run) if s["which"] != "script"])
    files = run.files()
    _section("files", [(f["name"], f"{f['size']} bytes  sha256:{f['sha256'][:12]}") for f in files])
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from .maintenance import export, export_path

    run = _api(args).run(args.run)
    if args.format == "parquet":  # said in the command's words
        with needs_extra("parquet", "pyarrow", "export --format parquet"):
            import pyarrow  # noqa: F401
    keys = [k.strip() for k in args.keys.split(",")] if args.keys else None
    out = export_path(run, args.format, args.out)
    try:
        done = export(run, out, format=args.format, keys=keys, overwrite=args.force, progress=sys.stderr.isatty())
    except FileExistsError:
        raise FileExistsError(f"{out} exists; pass --force to overwrite or --out to choose another file") from None
    print(f"wrote {done.rows} rows × {done.columns} columns to {done.path}")
    return 0


def cmd_rm(args: argparse.Namespace) -> int:
    from .maintenance import delete_runs, refuse_running

    api = _api(args)
    run = api.run(args.run)
    if not args.force:
        with _force_hint():  # before asking; deleting checks again
            refuse_running([run])
    if not args.yes:
        if not sys.stdin.isatty():
            print(f"not deleting {run.path} without confirmation: pass --yes", file=sys.stderr)
            return 1
        answer = input(f"delete run {run.name} ({run.path}, {run.state}) and all it logged? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("kept")
            return 1
    with _force_hint():  # it was resumed meanwhile
        delete_runs(api.store, [run], force=args.force)
    print(f"deleted {run.path}; `jupyter-track gc` frees its files and media")
    return 0


@contextmanager
def _force_hint() -> Iterator[None]:
    """A refusal to delete a running run, with what the command can do about it."""
    try:
        yield
    except RunIsRunningError as exc:
        raise RunIsRunningError(f"{exc}; finish it first, or pass --force to delete it anyway") from None


def cmd_restore(args: argparse.Namespace) -> int:
    from .snapshot_restore import restore

    path = restore(_api(args).run(args.run), path=args.out, which=args.which, at=args.at)
    print(f"restored the {args.which} snapshot to {path}")
    return 0


def cmd_gc(args: argparse.Namespace) -> int:
    from .maintenance import gc

    print(gc(args.store, dir=args.dir, dry_run=args.dry_run, progress=sys.stderr.isatty()).line())
    return 0


# -- sweep commands: thin over jupyter_track.sweeps ----------------------------------------------------------------
def cmd_sweep(args: argparse.Namespace) -> int:
    from .sweeps import sweep

    print(sweep(args.config, project=args.project, store=args.store, dir=args.dir, quiet=True))
    return 0


def cmd_agent(args: argparse.Namespace) -> int:
    from .sweeps.command import run_agent

    if args.count is not None and args.count < 1:
        raise ValueError("--count takes a whole number >= 1")
    ran = run_agent(args.sweep_id, count=args.count, store=args.store, dir=args.dir)
    print(f"jupyter-track: ran {ran} trial{'s' if ran != 1 else ''} of sweep {args.sweep_id}", file=sys.stderr)
    return 0


def cmd_sweeps(args: argparse.Namespace) -> int:
    from .sweeps import list_sweeps

    rows = []
    for s in list_sweeps(args.project, store=args.store, dir=args.dir):
        best = s.best_run()
        rows.append({"id": s.id, "project": s.project, "method": s.method, "state": s.state, "runs": len(s.runs),
                     "metric": f"{s.metric} ({s.goal})" if s.metric else "",
                     "best": s.best_value if best is not None else "", "best run": best.name if best else "",
                     "created": _when(s.record.created_at)})
    if args.json:
        print(json.dumps(rows, default=str, indent=1))
    elif rows:
        _table(rows)
    else:
        print("no sweeps" + (f" in project {args.project!r}" if args.project else "")
              + ": create one with `jupyter-track sweep CONFIG.yaml`")
    return 0


# -- migrate: thin over jupyter_track.store.copy_store ---------------------------------------------------------------
def cmd_migrate(args: argparse.Namespace) -> int:
    from .errors import StoreVersionError
    from .store import open_store
    from .store.copy_store import copy_store, store_location
    from .store.urls import redact
    from .sweeps.study_copy import copy_study

    given = [args.source, args.target]  # as typed: their passwords are scrubbed from every message
    try:
        source_url = store_location(args.source, must_exist=True)
        target_url = store_location(args.target, must_exist=False)
        if source_url == target_url:
            raise ValueError(f"--from and --to are the same store ({redact(source_url)})")
        source, target = open_store(source_url), open_store(target_url)
    except StoreVersionError as exc:
        print(f"jupyter-track: {_scrubbed(str(exc), given)}", file=sys.stderr)
        return 1
    except (JupyterTrackError, ValueError, OSError) as exc:  # a bad URL, no such store, a server not reachable
        print(f"jupyter-track migrate: {_scrubbed(str(exc), given)}", file=sys.stderr)
        return 2
    print(f"copying {redact(source.url)} → {redact(target.url)}", file=sys.stderr)
    bar = _MigrateBar()
    try:
        report = copy_store(source, target, studies=copy_study, progress=bar)
    finally:
        bar.close()
    for note in report.notes:
        print(f"jupyter-track: {_scrubbed(note, given)}", file=sys.stderr)
    for problem in report.problems:
        print(f"jupyter-track: not copied: {_scrubbed(problem, given)}", file=sys.stderr)
    print(report.line())
    if report.problems:
        print(f"jupyter-track: {len(report.problems)} thing{'s' if len(report.problems) != 1 else ''} could not "
              "be copied (listed above); everything else was", file=sys.stderr)
        return 1
    return 0


def _scrubbed(text: str, urls: Sequence[str]) -> str:
    """``text`` without the password of any of ``urls`` (a driver's error may quote the URL it was given)."""
    from .store.urls import scrub

    for url in urls:
        text = scrub(text, url)
    return text


class _MigrateBar:
    """``migrate``'s progress: a tqdm bar over the runs, with the points and blobs copied so far (on a tty)."""

    def __init__(self) -> None:
        self._bar: Any = None
        self._points = self._blobs = 0

    def begin(self, runs: int) -> None:
        from tqdm import tqdm

        self._bar = tqdm(total=runs, desc="migrate", unit="run", disable=runs < 1 or not sys.stderr.isatty())

    def advance(self, runs: int, points: int, blobs: int) -> None:
        self._points += points
        self._blobs += blobs
        if self._bar is not None:
            self._bar.set_postfix_str(f"{self._points:,} points, {self._blobs} blobs", refresh=False)
            self._bar.update(runs)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


# -- artifact commands: thin over jupyter_track.artifacts -----------------------------------------------------------
def _artifact(args: argparse.Namespace) -> Any:
    from .artifacts import artifact

    return artifact(args.name, store=args.store, dir=args.dir)


def cmd_artifact_ls(args: argparse.Namespace) -> int:
    from .artifacts import artifacts

    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for r in artifacts(args.project, type=args.type, store=args.store, dir=args.dir).rows():
        row = rows.setdefault((r["project"], r["name"]), {
            "project": r["project"], "name": r["name"], "type": r["type"], "versions": 0, "latest": "",
            "size": 0, "aliases": [], "created by": "", "updated": ""})
        row["versions"] += 1
        row["size"] += r["size"]
        row["aliases"] += [f"{a}→{r['version']}" for a in r["aliases"] if a != "latest"]
        if "latest" in r["aliases"]:
            row.update({"latest": r["version"], "created by": r["created_by"] or "",
                        "updated": _when(r["created_at"])})
    table = [{**r, "size": format_bytes(r["size"])} for r in rows.values()]
    if args.json:
        print(json.dumps(list(rows.values()), default=str, indent=1))
    elif table:
        _table(table)
    else:
        print("no artifacts" + (f" in project {args.project!r}" if args.project else "")
              + (f" of type {args.type!r}" if args.type else "") + ": log one with run.log_artifact(art)")
    return 0


def cmd_artifact_show(args: argparse.Namespace) -> int:
    from .artifacts import artifacts

    art = _artifact(args)
    versions = artifacts(art.project, name=art.base_name, store=args.store, dir=args.dir).rows()
    history = art.alias_history()
    creator = art.logged_by()
    users = art.used_by()
    files = art.files()
    if args.json:
        print(json.dumps({"artifact": art.qualified_name, "type": art.type, "digest": art.digest,
                          "aliases": art.aliases, "metadata": art.metadata, "description": art.description,
                          "created_by": art.created_by, "used_by": [u.path for u in users],
                          "files": [{"path": f.path, "size": f.size, "sha256": f.digest} for f in files],
                          "versions": versions, "alias_history": [vars(e) for e in history]}, default=str, indent=1))
        return 0
    _pairs([("artifact", art.qualified_name), ("type", art.type), ("aliases", ", ".join(art.aliases)),
            ("size", f"{format_bytes(art.size)} in {len(files)} files"), ("digest", art.digest),
            ("created", _when(art.created_at)),
            ("created by", (f"{creator.name} ({creator.path})" if creator else f"{art.created_by} (deleted)")
             if art.created_by else "—"),
            ("description", art.description)])
    _section("metadata", sorted(flatten(art.metadata).items()))
    _section("used by", [(u.path, f"{u.name} ({u.state})") for u in users])
    _section("files", [(f.path, f"{format_bytes(f.size)}  sha256:{(f.digest or '')[:12]}") for f in files])
    _section("versions", [(v["version"], f"{format_bytes(v['size'])}, {v['files']} files, {_when(v['created_at'])}"
                           + (f", aliases: {', '.join(v['aliases'])}" if v["aliases"] else "")
                           + (f", by run {v['created_by']}" if v["created_by"] else "")) for v in versions])
    _section("alias history", [(_when(e.at), f"{e.alias}: " + (
        f"v{e.previous} → v{e.version}" if e.action == "set" and e.previous is not None
        else f"→ v{e.version}" if e.action == "set" else f"removed from v{e.previous}")
        + f"  by {e.user or '?'}" + (f" in run {e.run_id}" if e.run_id else "")) for e in history])
    return 0


def cmd_artifact_get(args: argparse.Namespace) -> int:
    art = _artifact(args)
    path = art.download(root=args.out)
    print(f"downloaded {art.qualified_name} ({len(art.files())} files, {format_bytes(art.size)}, verified) to {path}")
    return 0


def cmd_artifact_alias(args: argparse.Namespace) -> int:
    art = _artifact(args)
    if args.action == "add":
        art.add_alias(args.alias)
        print(f"{args.alias} → {art.qualified_name}")
    else:
        art.remove_alias(args.alias)
        print(f"removed {args.alias} from {art.qualified_name}")
    return 0


# -- output helpers ---------------------------------------------------------------------------------------------
def _table(rows: list[dict[str, Any]]) -> None:
    headers = list(dict.fromkeys(k for r in rows for k in r))
    cells = [[_brief(r.get(h, "")) for h in headers] for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    print("  ".join(h.upper().ljust(w) for h, w in zip(headers, widths, strict=False)).rstrip())
    for c in cells:
        print("  ".join(v.ljust(w) for v, w in zip(c, widths, strict=False)).rstrip())


def _pairs(pairs: list[tuple[str, Any]]) -> None:
    shown = [(k, v) for k, v in pairs if v not in (None, "")]
    width = max(len(k) for k, _ in shown)
    for k, v in shown:
        print(f"{k.ljust(width)}  {_fmt(v)}")


def _section(title: str, pairs: list[tuple[str, Any]]) -> None:
    if pairs:
        print(f"\n{title}:")
        width = max(len(str(k)) for k, _ in pairs)
        for k, v in pairs:
            print(f"  {str(k).ljust(width)}  {_fmt(v)}")


def _column(run: Any, col: str) -> Any:
    head, _, rest = col.partition(".")
    if head in ("summary", "summary_metrics"):
        return run.summary.get(rest, "")
    if head == "config":
        value: Any = run.config
        for part in rest.split("."):
            value = value.get(part, "") if isinstance(value, dict) else ""
        return value
    return getattr(run, col, "")


def _stats(s: dict[str, Any]) -> str:
    if s["min"] is None:
        return f"  ({s['count']} points)"
    return f"  (min {_fmt(s['min'])}, max {_fmt(s['max'])}, {s['count']} points)"


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return "nan" if math.isnan(v) else f"{v:.6g}"
    if isinstance(v, list | tuple):
        return ", ".join(_fmt(x) for x in v)
    if isinstance(v, dict):
        return json.dumps(v, default=str)
    return "" if v is None else str(v)


def _brief(v: Any) -> str:
    """A summary value on one line: a logged medium (image, histogram, table, …) as what it is, not its JSON."""
    from .media import describe

    return describe(v) or _fmt(v)


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S")


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}h{m:02d}m{s:02d}s" if h else f"{m}m{s:02d}s" if m else f"{s}s"


if __name__ == "__main__":
    raise SystemExit(main())
