"""Run ids (short, random) and human names (adjective-noun-N); how long names and keys may be."""

from __future__ import annotations

import random
from typing import Any

_urandom = random.SystemRandom()  # what secrets.choice uses (os.urandom); secrets costs init() 2 ms to import

_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"  # string's, written out: importing it costs init() 0.3 ms

ADJECTIVES = (
    "amber", "bold", "brisk", "calm", "clever", "cosmic", "crisp", "curious", "dainty", "dapper", "eager",
    "earnest", "fancy", "fiery", "gentle", "glad", "golden", "grand", "hardy", "hazy", "honest", "icy", "jolly",
    "keen", "lively", "lucky", "lunar", "mellow", "misty", "noble", "polar", "proud", "quiet", "rapid", "royal",
    "rustic", "shiny", "silent", "solar", "spry", "stellar", "sunny", "swift", "tidy", "vivid", "warm", "wild",
    "wise", "young", "zesty",
)
NOUNS = (
    "aurora", "badger", "breeze", "brook", "canyon", "cedar", "comet", "coral", "dawn", "delta", "dune",
    "ember", "falcon", "fern", "field", "fjord", "forest", "galaxy", "glade", "grove", "harbor", "heron",
    "horizon", "island", "lagoon", "lake", "meadow", "meteor", "moon", "nebula", "oak", "ocean", "otter",
    "pebble", "pine", "planet", "prairie", "rain", "river", "sea", "shadow", "sky", "snow", "sound", "star",
    "storm", "sun", "thunder", "valley", "wave",
)


NAME_MAX = 255  # characters of a run's name, entity, group and job type, and of each tag (the store's columns)
KEY_MAX = 512  # characters of a metric or summary key


def checked(what: str, value: Any, limit: int = NAME_MAX) -> str:
    """``value`` as text of at most ``limit`` characters, else a ValueError saying so. PostgreSQL refuses longer
    text in the store's columns, and the writer's refused batch would take the run's other data with it; SQLite
    keeps it, but such a store could not be copied to PostgreSQL.

    Example::

        name = checked("init(name=...)", name)
    """
    text = str(value)
    if len(text) > limit:
        raise ValueError(f"{what}: {text[:40]!r}… is {len(text):,} characters long; at most {limit} are stored")
    return text


def new_run_id(length: int = 8) -> str:
    """A random id of lowercase letters and digits, e.g. ``k3v9x2ab``."""
    return "".join(_urandom.choice(_ALPHABET) for _ in range(length))


def new_run_name(number: int) -> str:
    """A name like ``swift-river-7``; ``number`` is the run's ordinal in its project."""
    return f"{_urandom.choice(ADJECTIVES)}-{_urandom.choice(NOUNS)}-{number}"
