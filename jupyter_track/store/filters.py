"""Run filters and sort orders (a MongoDB-like subset, as W&B's ``Api().runs(filters=...)`` takes) → SQL.

Fields: ``id name state project entity group job_type notes sweep host created_at updated_at finished_at
last_step``, ``tags`` (a tag, or ``{"$in": [...]}`` / ``{"$all": [...]}``), ``config.<key>[.<sub>…]`` and
``summary.<key>`` (W&B's ``summary_metrics.<key>`` too). Operators: ``$eq $ne $gt $gte $lt $lte $in $nin $regex
$exists``; ``$and``/``$or``/``$not`` combine. A plain value means ``$eq``.

``$regex`` takes RE2 syntax (Python's ``re`` without backreferences and look-around) and is searched in time linear
in the text on both backends: on SQLite by :func:`regexp` (RE2, registered as the ``REGEXP`` function), on
PostgreSQL by its own engine. A pattern Python's backtracking ``re`` would take seconds or hours over (``(a+)+$``)
cannot freeze a reader.

Example::

    {"state": "finished", "config.lr": {"$lt": 0.01}, "summary.acc": {"$gte": 0.9}, "tags": "cnn"}
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Mapping
from typing import Any

import re2
import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.visitors import InternalTraversal

from .. import settings
from .schema import run_tags, runs, summaries

RUN_FIELDS: dict[str, sa.ColumnElement[Any]] = {
    "id": runs.c.id,
    "name": runs.c.name,
    "project": runs.c.project,
    "entity": runs.c.entity,
    "group": runs.c.group_name,
    "job_type": runs.c.job_type,
    "notes": runs.c.notes,
    "sweep": runs.c.sweep_id,
    "sweep_id": runs.c.sweep_id,
    "host": runs.c.host,
    "created_at": runs.c.created_at,
    "updated_at": runs.c.updated_at,
    "finished_at": runs.c.finished_at,
    "last_step": runs.c.last_step,
    "heartbeat_at": runs.c.heartbeat_at,  # the server's change feed: runs that turned crashed
}
_OPS = {"$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$regex", "$exists", "$all"}
_NUMBER_FIELDS = {"created_at", "updated_at", "finished_at", "last_step", "heartbeat_at"}
_SCALARS = (str, int, float, bool, type(None))
_INT64 = 2**63
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # a bad pattern is the user's FilterError, not a line on the server's stderr


class FilterError(ValueError):
    """A filter or sort order names an unknown field or operator."""


def state_expr(now: float | None = None) -> sa.ColumnElement[str]:
    """The state a reader sees: a ``running`` run whose heartbeat stopped reads as ``crashed``."""
    cutoff = (now if now is not None else time.time()) - settings.HEARTBEAT_TIMEOUT.number()
    stale = sa.and_(runs.c.state == "running", sa.func.coalesce(runs.c.heartbeat_at, runs.c.created_at) < cutoff)
    return sa.case((stale, "crashed"), else_=runs.c.state)


def where(filters: Mapping[str, Any] | None, now: float | None = None) -> sa.ColumnElement[bool]:
    """Translate a filter mapping into one SQL condition over ``runs``."""
    if not filters:
        return sa.true()
    if not isinstance(filters, Mapping):
        raise FilterError(f"filters must be a dict like {{'state': 'finished'}}, not {type(filters).__name__}")
    return sa.and_(*(_field(k, v, now) for k, v in filters.items()))


def _field(key: str, value: Any, now: float | None) -> sa.ColumnElement[bool]:
    if key in ("$and", "$or"):
        if not isinstance(value, list | tuple):
            raise FilterError(f"{key} takes a list of filters")
        parts = [where(v, now) for v in value]
        return sa.and_(*parts) if key == "$and" else sa.or_(*parts)
    if key == "$not":
        return sa.not_(where(value, now))
    if key == "tags":
        return _tags(_checked(value, key, "scalar"))
    if key == "state":
        return _compare(state_expr(now), _checked(value, key, "text"), key)
    if key in RUN_FIELDS:
        return _compare(RUN_FIELDS[key], _checked(value, key, "number" if key in _NUMBER_FIELDS else "text"), key)
    head, _, rest = key.partition(".")
    if head == "config" and rest:
        path = rest.split(".")
        if path[-1] == "value" and len(path) > 1:  # W&B spells config filters "config.lr.value"
            path = path[:-1]
        return _json_compare(runs.c.config[tuple(path)], _checked(value, key, "scalar"), key)
    if head in ("summary", "summary_metrics") and rest:
        return runs.c.id.in_(sa.select(summaries.c.run_id).where(summaries.c.key == rest,
                                                                _summary(_checked(value, key, "one type"), key)))
    raise FilterError(
        f"unknown filter field {key!r}; use one of {sorted(RUN_FIELDS)}, 'state', 'tags', 'config.<key>' "
        "or 'summary.<key>'"
    )


def _ops(value: Any, key: str) -> list[tuple[str, Any]]:
    if isinstance(value, Mapping) and value and all(str(k).startswith("$") for k in value):
        bad = set(value) - _OPS
        if bad:
            raise FilterError(f"unknown operator {sorted(bad)[0]!r} for {key!r}; use one of {sorted(_OPS)}")
        return list(value.items())
    return [("$eq", value)]


def _checked(value: Any, key: str, kind: str) -> dict[str, Any]:
    """``value`` as ``{op: operand}`` with every operand one SQL can compare with the field (``kind``: text,
    number, scalar, or "one type": scalars, a list all numbers or all strings); a :class:`FilterError` naming the
    key otherwise. Integers beyond 64 bits are compared as floats."""
    return {op: _operand(key, op, operand, kind) for op, operand in _ops(value, key)}


def _operand(key: str, op: str, operand: Any, kind: str) -> Any:
    if op == "$exists":
        return bool(operand)
    if op == "$regex":
        if not isinstance(operand, str):
            raise FilterError(f"{key!r}: $regex takes a pattern string, not {type(operand).__name__}")
        try:
            _compiled(operand)
        except re2.error as exc:
            reason = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else exc
            raise FilterError(f"{key!r}: $regex {operand[:100]!r} is not a valid pattern ({reason}); $regex takes "
                              "RE2 syntax: no backreferences or look-around") from None
        return operand
    if op in ("$in", "$nin", "$all"):
        if not isinstance(operand, list | tuple):
            raise FilterError(f"{key!r}: {op} takes a list of values, not {type(operand).__name__}")
        values = [_operand(key, "$eq", o, kind) for o in operand]
        if kind == "one type" and len({isinstance(v, str) for v in values if v is not None}) > 1:
            raise FilterError(f"{key!r}: give {op} values of one type (all numbers or all strings)")
        return values
    if not isinstance(operand, _SCALARS):
        raise FilterError(f"{key!r}: {op} takes a string, number, boolean or null, not {type(operand).__name__} "
                          f"(an operator is written {{\"$gt\": 0.5}})")
    if operand is None:
        return None
    if kind == "number" and (isinstance(operand, bool) or not isinstance(operand, int | float)):
        raise FilterError(f"{key!r} is a number (seconds since the epoch, or a step); {operand!r} is not one")
    if kind == "text" and not isinstance(operand, str):
        raise FilterError(f"{key!r} is text; compare it with a string, not {operand!r}")
    if isinstance(operand, int) and not isinstance(operand, bool) and not -_INT64 <= operand < _INT64:
        return float(operand)  # SQL integers are 64-bit
    return operand


@functools.lru_cache(maxsize=64)
def _compiled(text: str) -> Any:
    """``text`` compiled by RE2 (raises ``re2.error`` when RE2 cannot use it)."""
    return re2.compile(text, options=_RE2_OPTIONS)


def regexp(text: str, value: str | None) -> bool | None:
    """SQLite's ``value REGEXP text``: does ``text`` match somewhere in ``value`` (``re.search``'s semantics,
    RE2's linear time). Registered on every SQLite connection of a store.

    Example::

        regexp("^run-[12]$", "run-2")     # True
    """
    return None if value is None else _compiled(text).search(value) is not None


def _compare(col: sa.ColumnElement[Any], value: Any, key: str) -> sa.ColumnElement[bool]:
    clauses = []
    for op, operand in _ops(value, key):
        if op == "$eq":
            clauses.append(col.is_(None) if operand is None else col == operand)
        elif op == "$ne":
            clauses.append(col.is_not(None) if operand is None else sa.or_(col != operand, col.is_(None)))
        elif op == "$gt":
            clauses.append(col > operand)
        elif op == "$gte":
            clauses.append(col >= operand)
        elif op == "$lt":
            clauses.append(col < operand)
        elif op == "$lte":
            clauses.append(col <= operand)
        elif op == "$in":
            clauses.append(col.in_(list(operand)))
        elif op == "$nin":
            clauses.append(sa.or_(col.not_in(list(operand)), col.is_(None)))
        elif op == "$regex":
            clauses.append(col.regexp_match(str(operand)))
        elif op == "$exists":
            clauses.append(col.is_not(None) if operand else col.is_(None))
    return sa.and_(*clauses)


class _ByDialect(sa.ColumnElement[Any]):
    """One expression on SQLite, another on PostgreSQL (chosen when the statement is compiled)."""

    inherit_cache = True
    _traverse_internals = [("default", InternalTraversal.dp_clauseelement),  # noqa: RUF012 - SQLAlchemy's
                           ("postgresql", InternalTraversal.dp_clauseelement)]

    def __init__(self, default: sa.ColumnElement[Any], postgresql: sa.ColumnElement[Any]) -> None:
        self.default, self.postgresql = default, postgresql
        self.type = default.type


@compiles(_ByDialect)
def _compile_by_dialect(element: _ByDialect, compiler: Any, **kw: Any) -> str:
    chosen = element.postgresql if compiler.dialect.name == "postgresql" else element.default
    return compiler.process(chosen, **kw)  # type: ignore[no-any-return]


def json_as(element: Any, kind: str) -> sa.ColumnElement[Any]:
    """A JSON element as a ``number`` or ``boolean``; NULL where it holds another JSON type. PostgreSQL's cast
    of "auto" to a number is an error, so one run with a text learning rate would break every filter or sort on
    ``config.lr``; SQLite compares such values as text, and sorts them after numbers."""
    typed = element.as_float() if kind == "number" else element.as_boolean()
    guarded = sa.case((sa.func.json_typeof(element) == kind, typed), else_=sa.null())
    return _ByDialect(typed, guarded)


def _typed(element: Any, operand: Any) -> sa.ColumnElement[Any]:
    """A JSON element read as the type of the value it is compared with."""
    if isinstance(operand, bool):
        return json_as(element, "boolean")
    if isinstance(operand, int | float):
        return json_as(element, "number")
    return element.as_string()  # type: ignore[no-any-return]


def _json_compare(element: Any, value: Any, key: str) -> sa.ColumnElement[bool]:
    clauses = []
    for op, operand in _ops(value, key):
        if op == "$exists":
            clauses.append(element.as_string().is_not(None) if operand else element.as_string().is_(None))
        elif op in ("$in", "$nin"):
            options = list(operand)
            hit = sa.or_(*(_typed(element, o) == o for o in options)) if options else sa.false()
            clauses.append(hit if op == "$in" else sa.not_(hit))
        else:
            clauses.append(_compare(_typed(element, operand), {op: operand}, key))
    return sa.and_(*clauses)


def _summary(value: Any, key: str) -> sa.ColumnElement[bool]:
    clauses = []
    for op, operand in _ops(value, key):
        probe = operand[0] if op in ("$in", "$nin") and operand else operand
        if isinstance(probe, str) and op != "$regex":
            text = sa.cast(summaries.c.value_json, sa.Text)
            dumped = [json.dumps(o) for o in operand] if op in ("$in", "$nin") else json.dumps(operand)
            clauses.append(_compare(text, {op: dumped}, key))
        elif op == "$regex":
            clauses.append(_compare(sa.cast(summaries.c.value_json, sa.Text), {op: operand}, key))
        else:
            clauses.append(_compare(summaries.c.value, {op: operand}, key))
    return sa.and_(*clauses)


def _tags(value: Any) -> sa.ColumnElement[bool]:
    def has(tag: Any) -> sa.ColumnElement[bool]:
        return runs.c.id.in_(sa.select(run_tags.c.run_id).where(run_tags.c.tag == str(tag)))

    clauses = []
    for op, operand in _ops(value, "tags"):
        if op == "$eq":
            clauses.append(has(operand))
        elif op == "$ne":
            clauses.append(sa.not_(has(operand)))
        elif op == "$in":
            clauses.append(sa.or_(*(has(t) for t in operand)) if operand else sa.false())
        elif op == "$nin":
            clauses.append(sa.and_(*(sa.not_(has(t)) for t in operand)))
        elif op == "$all":
            clauses.append(sa.and_(*(has(t) for t in operand)))
        else:
            raise FilterError(f"tags take a tag, $in, $nin, $all or $ne, not {op}")
    return sa.and_(*clauses)


def order_by(
    query: sa.Select[Any], order: str | None, now: float | None = None
) -> sa.Select[Any]:
    """Sort ``query`` (a select over ``runs``) by ``order``: a field, ``config.<key>`` or ``summary.<key>``,
    with ``-`` for descending (default ``-created_at``). Missing values sort last either way."""
    order = (order or "-created_at").strip()
    descending = order.startswith("-")
    name = order.lstrip("+-")
    head, _, rest = name.partition(".")
    expr: sa.ColumnElement[Any]
    if name == "state":
        expr = state_expr(now)
    elif name in RUN_FIELDS:
        expr = RUN_FIELDS[name]
    elif head in ("summary", "summary_metrics") and rest:
        s = summaries.alias("sort_summary")
        query = query.outerjoin(s, sa.and_(s.c.run_id == runs.c.id, s.c.key == rest))
        expr = s.c.value
    elif head == "config" and rest:
        expr = json_as(runs.c.config[tuple(rest.split("."))], "number")
    else:
        raise FilterError(f"cannot sort by {name!r}; use a run field, 'config.<key>' or 'summary.<key>'")
    ordered = expr.desc() if descending else expr.asc()
    return query.order_by(ordered.nulls_last(), runs.c.created_at.desc(), runs.c.id)
