"""Store URLs without SQLAlchemy: which backend a URL names, the driver it is opened with, and its password hidden.

Users write ``postgresql://user:pass@host/db`` (or ``postgres://``); SQLAlchemy would open that with psycopg2,
which we do not depend on. :func:`driver_url` is the one place that maps it to psycopg 3
(``postgresql+psycopg://``): every engine of a store — ours, and Optuna's for sweeps — is made from its result.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

INSTALL_POSTGRES = 'pip install "jupyter_track[postgres]"'
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://")


def backend(url: str) -> str:
    """``sqlite``, ``postgresql`` or the URL's own scheme name (without a ``+driver`` part)."""
    found = _SCHEME.match(url)
    name = found.group(1).split("+", 1)[0].lower() if found else ""
    return "postgresql" if name in ("postgres", "postgresql") else name


def sqlite_path(url: str) -> Path | None:
    """The file of a ``sqlite:///…`` URL, else None."""
    prefix = "sqlite:///"
    return Path(url[len(prefix):]).expanduser() if url.startswith(prefix) and len(url) > len(prefix) else None


def driver_url(url: str) -> str:
    """The URL SQLAlchemy opens: ``postgres(ql)://`` and ``postgresql+psycopg2://`` become psycopg 3's
    ``postgresql+psycopg://``; any other URL is returned as given.

    Example::

        driver_url("postgres://me@db/runs")      # 'postgresql+psycopg://me@db/runs'
    """
    found = _SCHEME.match(url)
    if found is None or backend(url) != "postgresql":
        return url
    scheme = found.group(1).lower()
    if scheme in ("postgres", "postgresql", "postgresql+psycopg2", "postgres+psycopg2"):
        return "postgresql+psycopg://" + url[found.end():]
    return url


def require_driver(url: str) -> None:
    """Raise a clear error when ``url`` needs psycopg and it is not installed."""
    if backend(url) != "postgresql":
        return
    from ..errors import StoreError

    try:
        import psycopg  # noqa: F401 - the driver every PostgreSQL engine and the preflight use
    except ImportError:
        raise StoreError(f"the store {redact(url)} is a PostgreSQL server, and its driver (psycopg 3) is not "
                         f"installed: {INSTALL_POSTGRES}") from None


def password(url: str) -> str | None:
    """The password in ``url`` (decoded), if it has one."""
    try:
        secret = urlsplit(url).password
    except ValueError:
        return None
    return unquote(secret) if secret else None


def redact(url: str) -> str:
    """The URL with its password replaced by ``***``, for messages and logs (never fails, never echoes a secret).

    Example::

        redact("postgresql://me:sekrit@db/runs")     # 'postgresql://me:***@db/runs'
    """
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        netloc = parts.netloc
        userinfo, _, host = netloc.rpartition("@")
        user = userinfo.split(":", 1)[0]
        return url.replace(netloc, f"{user}:***@{host}", 1)
    except ValueError:  # a malformed URL (e.g. a bad port) must still never be echoed with its secret
        return "<store url>"


def scrub(text: str, url: str) -> str:
    """``text`` (an error message, a log line) with the password of ``url`` replaced by ``***``, in every
    spelling it may appear in (as typed, and URL-decoded)."""
    try:
        raw = urlsplit(url).password
    except ValueError:
        raw = None
    for secret in {raw, password(url)}:
        if secret:
            text = text.replace(secret, "***")
    return text
