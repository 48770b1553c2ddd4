"""The REST API's JSON shapes are typed once per language: ``jupyter_track/server/wire.py`` (the TypedDicts the
server's query functions return) and ``labextension/src/tokens.ts`` (the interfaces the frontend reads) name the
same shapes with the same fields, and every JSON endpoint's function returns one of them."""

from __future__ import annotations

import ast
import re
import typing

import pytest

from jupyter_track import types
from jupyter_track.server import queries, wire
from tests.conftest import REPO

TOKENS = REPO / "labextension" / "src" / "tokens.ts"
HANDLERS = REPO / "jupyter_track" / "server" / "handlers.py"

Fields = dict[str, bool]  # field name -> required


def python_shapes() -> dict[str, Fields]:
    shapes = {}
    for name, value in vars(wire).items():
        if not name.startswith("_") and isinstance(value, type) and typing.is_typeddict(value):
            shapes[name] = {**{k: True for k in value.__required_keys__},  # type: ignore[attr-defined]
                            **{k: False for k in value.__optional_keys__}}  # type: ignore[attr-defined]
    return shapes


INTERFACE = re.compile(r"^export interface (\w+)(?: extends ([\w, ]+))? \{\n(.*?)^\}", re.S | re.M)
FIELD = re.compile(r"^  (\w+)(\??):", re.M)  # one level in: nested shapes are named interfaces of their own


def typescript_shapes(text: str) -> dict[str, Fields]:
    own: dict[str, tuple[list[str], Fields]] = {}
    for name, extends, body in INTERFACE.findall(text):
        bases = [b.strip() for b in extends.split(",") if b.strip()]
        own[name] = (bases, {field: not optional for field, optional in FIELD.findall(body)})

    def resolve(name: str) -> Fields:
        bases, fields = own[name]
        merged: Fields = {}
        for base in bases:
            merged.update(resolve(base))
        return {**merged, **fields}

    return {name: resolve(name) for name in own}


def test_the_parsers_see_every_shape_and_field() -> None:
    ts = typescript_shapes(TOKENS.read_text())
    py = python_shapes()
    assert len(ts) >= 20 and len(py) >= 20
    # a field of the base and one of its own; a field that may be absent
    assert ts["RunDetail"]["id"] and ts["RunDetail"]["keys"] and py["RunDetail"]["id"] and py["RunDetail"]["keys"]
    assert ts["ErrorAnswer"] == py["ErrorAnswer"] == {"error": True, "running": False}
    # the parser reads optional fields and extends
    parsed = typescript_shapes("export interface A {\n  a: number;\n}\n\nexport interface B extends A {\n"
                               "  b?: { c: string };\n}\n")
    assert parsed == {"A": {"a": True}, "B": {"a": True, "b": False}}


def test_wire_py_and_tokens_ts_name_the_same_shapes_with_the_same_fields() -> None:
    ts = typescript_shapes(TOKENS.read_text())
    py = python_shapes()
    assert sorted(ts) == sorted(py), "a shape is in only one of wire.py and tokens.ts: add it to the other"
    drift = {}
    for name in py:
        only_py = sorted(set(py[name]) - set(ts[name]))
        only_ts = sorted(set(ts[name]) - set(py[name]))
        optional = sorted(f for f in set(py[name]) & set(ts[name]) if py[name][f] != ts[name][f])
        if only_py or only_ts or optional:
            drift[name] = {"only in wire.py": only_py, "only in tokens.ts": only_ts, "required in one only": optional}
    assert not drift, f"the shapes differ: {drift}"


def test_run_states_are_the_same_in_both_languages() -> None:
    found = re.search(r"export const RUN_STATES = \[([^\]]*)\] as const;", TOKENS.read_text())
    assert found, "tokens.ts no longer declares RUN_STATES"
    assert tuple(ast.literal_eval(f"[{found.group(1)}]")) == types.RUN_STATES


def answered_functions() -> list[str]:
    """The query functions whose result a handler writes as JSON (``self.answer(q.<name>, ...)``)."""
    return sorted(set(re.findall(r"self\.answer\(q\.(\w+)", HANDLERS.read_text())))


def test_answered_functions_are_found() -> None:
    assert {"list_runs", "changes", "run_detail", "metrics", "delete_run"} <= set(answered_functions())


@pytest.mark.parametrize("name", answered_functions())
def test_every_json_endpoint_returns_a_wire_shape(name: str) -> None:
    annotation = str(getattr(queries, name).__annotations__["return"])
    shape = re.fullmatch(r"(?:list\[)?wire\.(\w+)\]?", annotation)
    assert shape, f"queries.{name} returns {annotation}: annotate it with a TypedDict of server/wire.py"
    assert shape.group(1) in python_shapes()
