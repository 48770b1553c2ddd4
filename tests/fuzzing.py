"""Hostile input for the REST API and the CLI, as hypothesis strategies, and the checks every answer must pass.

Used by tests/test_fuzz.py (a few hundred examples, in CI) and benchmarks/bench_reliability.py (thousands,
counted). The REST side talks to a real jupyter_server over HTTP with the token; the CLI side calls
``jupyter_track.cli.main(argv)`` in-process, the way the console script does.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import json
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from tests.jupyter_server import Server

API = "jupyter-track/api/"

# strings that broke path handling, SQL, JSON or parsers somewhere
NASTY = [
    "", " ", ".", "..", "../", "../../etc/passwd", "..%2f..%2fetc%2fpasswd", "%2e%2e", "%2e%2e%2f", "%00",
    "\x00", "a\x00b", "~", "/", "//", "\\", "..\\..\\windows", "C:\\x", "/etc/passwd", "NaN", "nan", "inf", "-inf",
    "1e309", "-1", "0", "9" * 40, "-9" * 20, "0x10", "1_000", "true", "null", "[]", "{}", "{\"$where\": 1}",
    "' OR 1=1 --", "\"; DROP TABLE runs; --", "%", "_", "*", "?", "#", "&", "=", "<script>alert(1)</script>",
    "é", "名前", "\u202e", "\ud7ff", "😀", "\t\n", "a" * 300, "x" * 5000, "summary.", "config.", "summary.acc",
    "-summary.acc", "+created_at", "created_at", "-created_at", "state", "tags", "project",
]
SORTS = ["created_at", "-created_at", "name", "summary.loss", "-summary.loss", "config.lr", "summary.", "config.",
         "summary.a.b", "-", "+", "--", "summary.\x00", "notacolumn", "updated_at", "duration", "last_step", "id"]
FILTER_OPS = ["$lt", "$lte", "$gt", "$gte", "$eq", "$ne", "$in", "$nin", "$all", "$exists", "$regex", "$and",
              "$or", "$not", "$bogus", "$", ""]
FILTER_KEYS = ["config.lr", "summary.loss", "state", "tags", "name", "group", "created_at", "config", "summary",
               "$and", "$or", "config.a.b.c", "summary.\u00e9", "sweep_id", "x"]


def text() -> st.SearchStrategy[str]:
    """Short unicode text, the nasty list, and both mixed."""
    return st.one_of(st.sampled_from(NASTY), st.text(max_size=40),
                     st.builds(lambda a, b: a + b, st.sampled_from(NASTY), st.text(max_size=10)))


def json_values(depth: int = 3) -> st.SearchStrategy[Any]:
    scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
                        st.floats(allow_nan=False, allow_infinity=False), text())
    return st.recursive(scalars, lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.one_of(text(), st.sampled_from(FILTER_OPS + FILTER_KEYS)),
                                                     inner, max_size=4)), max_leaves=12)


def filters() -> st.SearchStrategy[str]:
    """filter= values: real-looking filters with wrong operands, random JSON, and non-JSON."""
    clause = st.dictionaries(st.sampled_from(FILTER_KEYS),
                             st.one_of(json_values(), st.dictionaries(st.sampled_from(FILTER_OPS), json_values(),
                                                                      max_size=2)), max_size=3)
    return st.one_of(clause.map(json.dumps), json_values().map(json.dumps), text())


@dataclass
class Target:
    """What the fuzzer may aim at: a real project and runs (so some requests reach the deep code)."""

    project: str
    run_ids: list[str]
    keys: list[str] = field(default_factory=list)


def segment(target: Target) -> st.SearchStrategy[str]:
    return st.one_of(text(), st.sampled_from([target.project, *target.run_ids]))


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # under the API namespace, already escaped as sent
    body: bytes | None = None

    def __repr__(self) -> str:
        body = "" if self.body is None else f" body={self.body[:200]!r}"
        return f"{self.method} {self.path}{body}"


def escape(value: str, raw: bool) -> str:
    """A path segment as sent: fully percent-escaped, or (``raw``) with ``.``, ``%`` and ``~`` left as typed so
    ``..`` and ``%2e%2e`` reach the server as an attacker writes them."""
    return urllib.parse.quote(value, safe=".%~" if raw else "")


def query(params: list[tuple[str, str]]) -> str:
    return ("?" + urllib.parse.urlencode(params)) if params else ""


def requests(target: Target) -> st.SearchStrategy[Request]:
    """Any request to any route of the API, with hostile path segments, query parameters and bodies."""
    seg = segment(target)
    raw = st.booleans()
    value = st.one_of(text(), st.integers(-(2**70), 2**70).map(str), st.sampled_from(SORTS))
    keys = st.one_of(text(), st.sampled_from(target.keys or ["x"]))

    def params(names: list[str], extra: dict[str, st.SearchStrategy[str]] | None = None
               ) -> st.SearchStrategy[list[tuple[str, str]]]:
        choices = {n: value for n in names} | (extra or {})
        return st.lists(st.sampled_from(sorted(choices)).flatmap(
            lambda n: choices[n].map(lambda v, n=n: (n, v))), max_size=5)

    def run_path(suffix: str = "") -> st.SearchStrategy[str]:
        return st.builds(lambda p, r, a, b: f"runs/{escape(p, a)}/{escape(r, b)}{suffix}", seg, seg, raw, raw)

    body = st.one_of(json_values().map(lambda v: json.dumps(v).encode()), text().map(str.encode),
                     st.binary(max_size=64), st.none(),
                     st.fixed_dictionaries({}, optional={
                         "name": json_values(1), "notes": json_values(1), "tags": json_values(2),
                         "path": json_values(1), "which": json_values(1), "at": json_values(1),
                         "notebook": json_values(2)}).map(lambda v: json.dumps(v).encode()))
    gets = [
        st.builds(lambda q: Request("GET", "projects" + query(q)), params(["x"])),
        st.builds(lambda q: Request("GET", "runs" + query(q)),
                  params(["project", "order", "limit", "offset", "q", "state", "tag"],
                         {"sort": st.sampled_from(SORTS) | text(), "filter": filters()})),
        st.builds(lambda q: Request("GET", "changes" + query(q)), params(["project", "since"])),
        st.builds(lambda q: Request("GET", "compare" + query(q)),
                  params(["metrics", "group_by", "importance"],
                         {"runs": st.lists(st.builds(lambda p, r: f"{p}/{r}", seg, seg), max_size=4).map(",".join)})),
        st.builds(lambda k, r: Request("GET", f"kernels/{escape(k, r)}/run"), text(), raw),
        st.builds(lambda p: Request("GET", p), run_path()),
        st.builds(lambda p, q: Request("GET", p + query(q)), run_path("/metrics"),
                  params(["points", "after"], {"keys": keys, "key": keys})),
        st.builds(lambda p, q: Request("GET", p + query(q)), run_path("/media"),
                  params(["offset", "limit"], {"key": keys})),
        st.builds(lambda p, q: Request("GET", p + query(q)), run_path("/table"),
                  params(["step", "page", "page_size"], {"key": keys})),
        st.builds(lambda s, r: Request("GET", f"blobs/{escape(s, r)}"),
                  st.one_of(text(), st.text("0123456789abcdef", min_size=64, max_size=64)), raw),
    ]
    writes = [
        st.builds(lambda p, b: Request("PATCH", p, b), run_path(), body),
        st.builds(lambda p, b: Request("POST", p, b), run_path("/restore"), body),
        st.builds(lambda p, b: Request("POST", p, b), run_path("/snapshot"), body),
        # DELETE only of ids that are not the target's, so the deep reads keep something to read
        st.builds(lambda p, r: Request("DELETE", f"runs/{escape(p, False)}/{escape(r, False)}"), text(),
                  text().filter(lambda r: r not in target.run_ids)),
    ]
    return st.one_of(*gets, *writes)


def send(server: Server, request: Request, timeout: float = 60) -> tuple[int, str, bytes]:
    """``request`` as raw HTTP (the path exactly as built, no client-side normalisation)."""
    parsed = urllib.parse.urlsplit(server.url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=timeout)
    try:
        path = parsed.path + API + request.path
        headers = {"Authorization": f"token {server.token}"}
        if request.body is not None:
            headers["Content-Type"] = "application/json"
        conn.request(request.method, path, body=request.body, headers=headers)
        response = conn.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read()
    finally:
        conn.close()


def check_answer(request: Request, status: int, content_type: str, body: bytes) -> None:
    """Never a 5xx, never a traceback; an error is JSON ``{"error": "<message>"}`` with a 4xx status."""
    shown = f"{request!r} -> {status} {body[:500]!r}"
    assert status < 500, shown
    assert b"Traceback" not in body and b'File "' not in body, shown
    if status >= 400:
        assert content_type.startswith("application/json"), shown
        payload = json.loads(body)
        assert isinstance(payload, dict) and isinstance(payload.get("error"), str) and payload["error"], shown


# -- the CLI ---------------------------------------------------------------------------------------------------
COMMANDS: dict[str, dict[str, Any]] = {
    # command: {"pos": number of positionals, "flags": [...], "opts": [...]} (no options that write files
    # outside the fuzz folder: --out/--to point into it)
    "ls": {"pos": 1, "flags": ["--json"], "opts": ["--sort", "--state", "--tag", "--filter", "--search", "--columns",
                                                   "--limit"]},
    "projects": {"pos": 0, "flags": [], "opts": []},
    "show": {"pos": 1, "flags": ["--json"], "opts": []},
    "export": {"pos": 1, "flags": ["--force"], "opts": ["--format", "--keys", "--out"]},
    "rm": {"pos": 1, "flags": [], "opts": []},  # without --yes: it asks, and stdin is empty
    "restore": {"pos": 1, "flags": [], "opts": ["--which", "--at", "--out"]},
    "gc": {"pos": 0, "flags": ["--dry-run"], "opts": []},
    "artifact ls": {"pos": 1, "flags": ["--json"], "opts": ["--type"]},
    "artifact show": {"pos": 1, "flags": ["--json"], "opts": []},
    "artifact alias": {"pos": 3, "flags": [], "opts": []},
    "sweeps": {"pos": 1, "flags": ["--json"], "opts": []},
    "agent": {"pos": 1, "flags": [], "opts": ["--count"]},
    "sweep": {"pos": 1, "flags": [], "opts": ["--project"]},
    "migrate": {"pos": 0, "flags": [], "opts": ["--from", "--to"]},
}


def argvs(target: Target, sandbox: Path) -> st.SearchStrategy[list[str]]:
    """Command lines: known commands with hostile values, and plain random words."""
    run_refs = st.one_of(text(), st.sampled_from([f"{target.project}/{r}" for r in target.run_ids]))
    inside = st.builds(lambda name: str(sandbox / "out" / name.replace("/", "_").replace("\x00", "")), text())

    def option_value(opt: str) -> st.SearchStrategy[str]:
        if opt in ("--out", "--to", "--from"):
            return inside
        if opt == "--filter":
            return filters()
        if opt == "--sort":
            return st.sampled_from(SORTS) | text()
        return st.one_of(text(), st.integers(-(2**70), 2**70).map(str))

    def command(name: str) -> st.SearchStrategy[list[str]]:
        spec = COMMANDS[name]
        exact = st.lists(run_refs, min_size=spec["pos"], max_size=spec["pos"])
        # mostly the right number of arguments, so most command lines get past argparse into the command
        positionals = st.one_of(exact, exact, exact, st.lists(run_refs, max_size=spec["pos"] + 1))
        options = st.lists(st.sampled_from(spec["opts"]).flatmap(
            lambda o: option_value(o).map(lambda v, o=o: [f"{o}={v}"] if v.startswith("-") else [o, v])),
            max_size=3) if spec["opts"] else st.just([])
        flags = st.lists(st.sampled_from(spec["flags"]), max_size=2) if spec["flags"] else st.just([])
        def line(p: list[str], o: list[list[str]], f: list[str]) -> list[str]:
            # a positional that starts with "-" needs "--" before it, as on a shell
            tail = ["--", *p] if any(a.startswith("-") for a in p) else p
            return [*name.split(), *(x for pair in o for x in pair), *f, *tail]

        return st.builds(line, positionals, options, flags)

    structured = st.sampled_from(sorted(COMMANDS)).flatmap(command)
    words = st.lists(st.one_of(text(), st.sampled_from([*sorted({c.split()[0] for c in COMMANDS}), "--json",
                                                        "--help", "-h", "--yes"])), max_size=6)
    safe_words = words.filter(lambda argv: not any(_names_a_store(a) for a in argv))
    return st.one_of(structured, structured, structured, safe_words)  # 3:1: most lines reach a command


def _names_a_store(arg: str) -> bool:
    """``--dir``/``--store`` (or an abbreviation argparse accepts) would point the CLI at a random folder, where
    it would make a store; the fuzzer keeps to its own."""
    name = arg.split("=", 1)[0]
    return len(name) >= 3 and ("--dir".startswith(name) or "--store".startswith(name))


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """``jupyter-track ARGV`` in this process: its exit status and what it printed."""
    import sys

    from jupyter_track import cli

    out, err = io.StringIO(), io.StringIO()
    stdin = sys.stdin
    sys.stdin = io.StringIO("")  # a confirmation prompt reads EOF, as with </dev/null
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = cli.main(argv)
            except SystemExit as exc:  # argparse: --help (0) and usage errors (2)
                code = exc.code if isinstance(exc.code, int) else 2
    finally:
        sys.stdin = stdin
    return code, out.getvalue(), err.getvalue()


def check_cli(argv: list[str], code: int, out: str, err: str) -> None:
    shown = f"jupyter-track {argv!r} -> {code}\nstdout: {out[-800:]}\nstderr: {err[-800:]}"
    assert code in (0, 1, 2), shown
    assert "Traceback" not in out + err, shown
    if code != 0:
        assert (err or out).strip(), shown  # a failure always says why (usage goes to stdout)
