"""The live run panel: an anywidget fed by a background thread, at most 4 times a second.

The training loop is never touched: a :class:`Feeder` thread takes the points the writer has made durable
since its last look (from the writer's :mod:`~jupyter_track.store.taps` tap when the run logs in this process,
else from the store, which stays the one source of truth), downsamples each series as it streams
(:mod:`~jupyter_track.analysis.downsample`), and sends only the new buckets as binary buffers. It streams the
:data:`TOP_KEYS` keys a run shows by default (loss-like first) and those the user picks in the panel, whatever
the run's width, so an update's time and bytes do not grow with the number of keys logged. When the run
finishes, the panel keeps its final state: a compact snapshot in the widget state (for reloads and saved
notebooks, a few KB per metric) and a static SVG rendering in a second output, which stands in for the panel
wherever the widget cannot render (:mod:`.static_view`). Charts logged with ``jt.plot`` are looked for about
once a second and sent as HTML/SVG drawn here (:mod:`.chart_view`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import struct
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anywidget
import numpy as np
import traitlets

from ..analysis.downsample import Downsampler, thin
from ..media.chart import Chart
from ..store import open_store
from ..store import tap as writer_tap
from ..store.taps import TAP_MAX
from ..types import SYSTEM_PREFIX, Series
from . import static_view
from .chart_view import chart_html, is_chart
from .esm import module
from .static_view import render_html

STATIC = Path(__file__).with_name("static")
UPDATE_INTERVAL = 0.25  # seconds: at most 4 updates a second
DUTY = 0.015  # the feeder's share of time at most (target 2 %: room for the estimate's lag and GIL hand-overs)
MAX_WAIT = 2.0  # …but never longer than this: the panel keeps moving on a machine busy elsewhere
LOOK_INTERVAL = 1.0  # seconds between looks at the run's summary: new keys, the keys that moved, jt.plot charts
TOP_KEYS = 12  # keys shown by default (loss-like first, then the most recently logged); the picker adds others
POINTS_PER_SERIES = 500  # buckets kept per series for display (each bucket is 2 points): a 320 px chart
BYTES_PER_UPDATE = 512_000  # one message at most (but one series' points): the rest waits for the next update
SNAPSHOT_POINTS = 3000  # points kept in the saved state, over all series
STATIC_POINTS = 120  # points per series in the static SVG

log = logging.getLogger("jupyter_track")


class RunPanel(anywidget.AnyWidget):
    """A run's live charts; ``run.display()`` shows one (``jt.init()`` does in a notebook)."""

    _esm = module("run_panel.js")
    _css = STATIC / "run_panel.css"
    run_name = traitlets.Unicode("").tag(sync=True)
    run_path = traitlets.Unicode("").tag(sync=True)
    state = traitlets.Unicode("running").tag(sync=True)
    started_at = traitlets.Float(0.0).tag(sync=True)
    finished_at = traitlets.Float(0.0).tag(sync=True)
    last_step = traitlets.Int(0).tag(sync=True)
    step_rate = traitlets.Float(0.0).tag(sync=True)
    summary = traitlets.Dict().tag(sync=True)
    snapshot = traitlets.Bytes(b"").tag(sync=True)
    step_metrics = traitlets.Dict().tag(sync=True)  # key -> its define_metric(step_metric=): the default x-axis
    charts = traitlets.Dict().tag(sync=True)  # jt.plot charts: key -> {"step", "html"} (the latest of each key)
    all_keys = traitlets.List(traitlets.Unicode()).tag(sync=True)  # every scalar key of the run: the picker's list
    shown = traitlets.List(traitlets.Unicode()).tag(sync=True)  # the keys the panel draws (and is sent)
    picked = traitlets.Dict().tag(sync=True)  # the user's choice in the picker: key -> shown (True) or hidden


class Feeder:
    """Moves a run's new points from the writer (or the store) to one panel; ``finish()`` leaves the panel final.

    Each update takes the new points of the keys the panel shows from the writer's tap (a key the user has just
    picked, a key the tap missed, and every key of a run logging in another process: from the store, in one
    query) and sends, per series, only the points the panel does not have: its newly closed buckets, or the
    whole (bounded) series when its downsampling width doubles, at most :data:`BYTES_PER_UPDATE` a message (the
    rest goes with the next). About once a second it looks at the run's summary: which keys exist and which
    moved, for the key picker, the default keys and the charts.
    """

    def __init__(self, panel: RunPanel, store_url: str, run_id: str, interval: float = UPDATE_INTERVAL,
                 step_metric: Callable[[str], str | None] | None = None) -> None:
        self.panel = panel
        self.step_metric = step_metric  # the run's define_metric(): a key's default x-axis (None: the step)
        self.store_url = store_url
        self.run_id = run_id
        self.interval = interval
        self.series: dict[str, Downsampler] = {}
        self.cursor: dict[str, int] = {}  # key -> the last step read
        self.sent: dict[str, tuple[int, int]] = {}  # key -> (generation, closed points already sent)
        self.dirty: set[str] = set()  # keys with points the panel does not have yet
        self.latest: dict[str, int] = {}  # key -> its last step, as the summary said at the last look
        self.moving: set[str] = set()  # keys whose last step moved between the last two looks: read every update
        self.default: set[str] = set()  # the keys shown unless the user hides them (kept once chosen)
        self.charts_seen: dict[str, tuple[int, int | None]] = {}  # chart key -> (count, last step) drawn
        self._tap: Any = None  # the writer's tap of the run (None: the store is read), made by the first update
        self._asked = False  # whether the writer was asked for it
        self._read_store = False  # whether the last update read points from the store
        self._tap_rate = 0.0  # values a second that the last update took from the tap
        self._took_at = time.monotonic()
        self._tapped: set[str] = set()  # the keys the tap was asked for at the last update
        self._looked_at = -math.inf
        self.bytes_sent = 0
        self.updates = 0
        self.update_bytes: list[int] = []  # per message sent
        self.tick_seconds: list[float] = []  # per update: wall time (for benchmarks)
        self.tick_cpu_seconds: list[float] = []  # per update: this thread's CPU time
        self._stop = threading.Event()
        self._finished = False
        self._lock = threading.Lock()
        self._rate = (time.monotonic(), 0)
        self._said = False  # a failure is said once in the debug log
        self._thread = threading.Thread(target=self._loop, name="jupyter_track-panel", daemon=True)
        panel.observe(self._picked, names="picked")

    def _picked(self, _change: Any) -> None:
        self._looked_at = -math.inf  # the next update applies the user's choice (not up to a second later)
        if self._finished:  # no more updates: this one reads the key picked from the store, now
            self._final_ticks()
            self.panel.snapshot = self.snapshot()

    def start(self) -> None:
        self._ask()
        self._thread.start()

    def _loop(self) -> None:
        try:  # a new store's first open (and migration) is not an update's cost
            open_store(self.store_url)
        except Exception:  # noqa: BLE001 - thread boundary: the first tick opens it again, or fails as below
            self._failed("could not open the store")
        wait, cost, caught_up = self.interval, 0.0, False
        while not self._stop.wait(wait):
            started = time.thread_time()
            try:
                self.tick()
            except Exception:  # noqa: BLE001 - thread boundary: a failed look is retried at the next tick
                self._failed("an update failed; it is retried at the next tick")
            # every moment this thread runs is taken from the training loop (the GIL): keep to DUTY of the time.
            # Its CPU time, not the update's wall time: waiting for the GIL while the loop runs costs the loop
            # nothing. Smoothed, so that one slow update (the first, reading the run so far) does not stall it.
            spent = time.thread_time() - started
            # Beside a tap, a read of the store (the run so far, a key picked, points the tap lost) is a catch-up:
            # the next updates take the tap's points at a fraction of its cost, unless the wait it set made the tap
            # overflow. So it is not counted, unless the update before was one too.
            catch_up = self._tap is not None and self._read_store
            if not catch_up or caught_up:
                cost = (cost + spent) / 2
            caught_up = catch_up
            wait = min(MAX_WAIT, max(self.interval, cost / DUTY - cost))
            if self._tap_rate > 0:  # back before the tap is half full: past it, it drops them all for a store read
                wait = max(self.interval, min(wait, TAP_MAX / 2 / self._tap_rate))

    def _failed(self, what: str) -> None:
        """Say in the debug log, once per panel, why it did not update (it keeps trying)."""
        if not self._said:
            self._said = True
            log.debug("jupyter_track: the live panel of run %s: %s", self.run_id, what, exc_info=True)

    def tick(self) -> None:
        """Take what is new (from the writer's tap, or the store) and send it (one message for every series
        that changed)."""
        started, cpu = time.perf_counter(), time.thread_time()
        with self._lock:
            store = open_store(self.store_url)
            self._look(store)
            wanted = self._wanted()
            parts, missed, whole = self._take(wanted)
            # each key from its own cursor (None: a key new to the panel, read whole): one cursor for all read
            # every point again of the keys ahead of the slowest (the system keys' steps are sample numbers)
            cursors = {k: self.cursor.get(k) for k in wanted if k not in self.cursor
                       or k in self.moving or self.latest.get(k, -1) > self.cursor[k]} if missed is None else \
                {k: self.cursor.get(k) for k in wanted if (k not in self._tapped and not whole) or k in missed}
            self._read_store = bool(cursors)
            if cursors:
                try:
                    found = store.read_series_after(self.run_id, cursors)
                except BaseException:  # the parts taken are dropped: the next update reads every key's from the store
                    self._tapped = set()
                    raise
                for key, new in found.items():
                    self._extend(key, new)
            self._tapped = set(wanted)
            for key, steps, values, times in parts:  # the points a store read had too are left out (_extend)
                if key in self._tapped:
                    self._extend(key, Series(key, steps, values, times))
            if self.step_metric is not None:
                axes = {k: a for k in self.panel.shown if not k.startswith(SYSTEM_PREFIX)
                        and (a := self.step_metric(k))}
                if axes != self.panel.step_metrics:
                    self.panel.step_metrics = axes
            self._send(wanted)
            self._header()
        self.tick_seconds.append(time.perf_counter() - started)
        self.tick_cpu_seconds.append(time.thread_time() - cpu)

    def _take(self, wanted: list[str]) -> tuple[list[Any], set[str] | None, bool]:
        """The tap's parts since the last update, the keys whose points they miss (None: no tap, the store has
        every key's), and whether they hold every point of the run so far; the tap is told the keys wanted
        from now on."""
        self._ask()
        if self._tap is None:
            return [], None, False
        parts, missed, whole = self._tap.take(wanted)
        now = time.monotonic()
        self._tap_rate, self._took_at = sum(len(p[2]) for p in parts) / max(1e-3, now - self._took_at), now
        return parts, missed, whole

    def _ask(self) -> None:
        """The writer's tap of the run, asked for once: at the start (a panel shown by ``init()`` then gets
        every point from it) or at the first update."""
        if not self._asked:
            self._asked = True
            self._tap = None if self._finished else writer_tap(self.store_url, self.run_id)

    def _extend(self, key: str, new: Any) -> None:
        after = self.cursor.get(key)
        if after is not None and len(new) and new.steps[0] <= after:  # read from an earlier key's cursor
            keep = new.steps > after
            new = type(new)(key, new.steps[keep], new.values[keep], new.times[keep])
        if not len(new):
            return
        self.cursor[key] = int(new.steps[-1])
        if key not in self.series:  # a whole series read at once: bucketed once, half the budget (room to grow)
            self.series[key] = Downsampler(POINTS_PER_SERIES, width=max(1, -(-2 * len(new) // POINTS_PER_SERIES)))
        self.series[key].extend(new.steps, new.values, new.times)
        self.dirty.add(key)

    def _send(self, wanted: list[str]) -> None:
        """One message with each changed series' new points (small ones first), at most BYTES_PER_UPDATE."""
        pending = []
        for key in self.dirty & set(wanted):
            ds = self.series[key]
            generation, since = self.sent.get(key, (-1, 0))
            replace = generation != ds.generation
            pending.append((key, replace, ds.points(0 if replace else since)))
        entries: list[dict[str, Any]] = []
        buffers: list[bytes] = []
        size = 0
        for key, replace, arrays in sorted(pending, key=lambda p: len(p[2][0])):
            nbytes = 24 * len(arrays[0])
            if entries and size + nbytes > BYTES_PER_UPDATE:
                break  # the rest stays dirty: it goes with the next update
            ds = self.series[key]
            self.sent[key] = (ds.generation, ds.closed_points)
            self.dirty.discard(key)
            size += nbytes
            # open: the last point is the open bucket's, which the next message supersedes; a series whose
            # every point closes a bucket (a sparse one, e.g. logged once per epoch) sends closed points only
            entries.append({"key": key, "replace": replace, "open": ds.open})
            buffers += [np.ascontiguousarray(a, dtype="<f8").tobytes() for a in arrays]
        if entries:
            self.panel.send({"type": "series", "entries": entries}, buffers=buffers)
            self.bytes_sent += size
            self.update_bytes.append(size)
            self.updates += 1

    def _look(self, store: Any) -> None:
        """About once a second: the run's keys and their last steps (the picker's list, the default keys, the
        keys to read at each update) and the charts logged (or logged again) since the last look."""
        if time.monotonic() - self._looked_at < LOOK_INTERVAL:
            return
        self._looked_at = time.monotonic()
        marks = store.key_marks(self.run_id)
        latest = {k: int(s) for k, (n, s, scalar) in marks.items() if scalar and n > 0 and s is not None}
        self.moving = {k for k, s in latest.items() if s > self.latest.get(k, -1)}
        self.latest = latest
        keys = sorted(latest)
        if keys != self.panel.all_keys:
            self.panel.all_keys = keys
        for system in (False, True):  # the first TOP_KEYS of the run's own keys, and of the system's
            chosen = [k for k in self.default if k.startswith(SYSTEM_PREFIX) == system]
            if len(chosen) < TOP_KEYS:
                rest = sorted((k for k in keys if k.startswith(SYSTEM_PREFIX) == system and k not in self.default),
                              key=lambda k: ("loss" not in k.lower(), -latest[k], k))
                self.default.update(rest[:TOP_KEYS - len(chosen)])
        picked = self.panel.picked
        shown = [k for k in keys if picked.get(k, k in self.default)]
        if shown != self.panel.shown:
            self.panel.shown = shown
        # a chart logged (or logged again) since the last look: its value is read, then drawn
        if any(not scalar and self.charts_seen.get(k) != (n, s) for k, (n, s, scalar) in marks.items()):
            self._charts(store)

    def _charts(self, store: Any) -> None:
        info = store.get_run(self.run_id)
        changed = {}
        for key, entry in (info.summary.items() if info is not None else ()):
            mark = (entry.count, entry.last_step)
            if self.charts_seen.get(key) != mark and not isinstance(entry.value, int | float):
                self.charts_seen[key] = mark  # text, media: marked too, not read again until they change
                if is_chart(entry.value):
                    chart = Chart.from_logged(entry.value, store.blobs.read_bytes)
                    changed[key] = {"step": entry.last_step, "html": chart_html(key, chart)}
        if changed:
            self.panel.charts = {**self.panel.charts, **changed}

    def _wanted(self) -> list[str]:
        """The keys to stream: those shown, and the keys they are plotted against (define_metric)."""
        shown = list(self.panel.shown)
        axes = [a for k in shown if self.step_metric is not None and (a := self.step_metric(k)) in self.latest]
        wanted = list(dict.fromkeys(shown + axes))
        for key in set(self.sent) - set(wanted):  # hidden: if shown again, the panel gets it whole
            del self.sent[key]
        return wanted

    def _header(self) -> None:
        steps = [s for k, s in self.cursor.items() if not k.startswith(SYSTEM_PREFIX)]
        if not steps:
            return
        last = max(steps)
        now = time.monotonic()
        then, before = self._rate
        if now - then >= 1.0:
            self.panel.step_rate = max(0.0, (last - before) / (now - then))
            self._rate = (now, last)
        self.panel.last_step = last

    def finish(self, state: str, summary: dict[str, Any], finished_at: float) -> None:
        """Last points, then the final state: snapshot, summary and state."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)
        self._finished = True
        if self._tap is not None:  # the last points from the store: all of them, whatever the tap holds
            self._tap.close()
        self._tap, self._asked = None, True
        self._final_ticks()
        self.panel.snapshot = self.snapshot()
        self.panel.summary = {k: v for k, v in summary.items() if isinstance(v, int | float | str)}
        self.panel.finished_at = finished_at
        self.panel.step_rate = 0.0
        self.panel.state = state

    def _final_ticks(self) -> None:
        self._looked_at = -math.inf  # the last look sees every key's last step
        while True:  # every point, even past one update's byte budget
            self.tick()
            if not self.dirty & set(self._wanted()):
                break

    def snapshot(self) -> bytes:
        """The series streamed, downsampled to :data:`SNAPSHOT_POINTS` in all, as a little-endian binary blob:
        uint32 header length, JSON header ``{"keys": [[key, n], …]}`` padded to 4 bytes, then per key n
        float32 steps, n float32 values and n float32 seconds since the run started."""
        keys = sorted(k for k in self._wanted() if k in self.series)
        per_key = max(16, SNAPSHOT_POINTS // max(1, len(keys)))
        parts, index = [], []
        for key in keys:
            s, v, t = self._thin(key, per_key)
            index.append([key, len(s)])
            parts += [np.asarray(a, dtype="<f4").tobytes() for a in (s, v, t - self.panel.started_at)]
        header = json.dumps({"keys": index}).encode()
        header += b" " * ((4 - len(header) % 4) % 4)
        return struct.pack("<I", len(header)) + header + b"".join(parts)

    def _thin(self, key: str, points: int) -> tuple[Any, Any, Any]:
        return thin(*self.series[key].points(), points)

    def static_html(self) -> str:
        charts = {k: self._thin(k, STATIC_POINTS)[:2] for k in sorted(self.panel.shown)
                  if k in self.series and not k.startswith(SYSTEM_PREFIX)}
        logged = [c["html"] for _, c in sorted(self.panel.charts.items())]
        return render_html(f"{self.panel.run_name} ({self.panel.run_path})", self.panel.state, charts,
                           self.panel.summary, logged)


def picks_while_busy(panel: RunPanel) -> Callable[[], None]:
    """Let the panel's messages from the frontend (the key picker) reach the kernel while a cell runs.

    A kernel handles a widget's messages between cells, so a key picked during a training loop would wait for
    the loop's end. ipykernel 7 routes a comm's messages to the subshell its ``_reply_subshell_for`` names
    (a thread of its own): the panel gets one. Returns what removes it; with another kernel, nothing changes
    (a pick then applies once the cell is done). Uses ipykernel internals, hence every step is guarded.
    """
    try:
        from ipykernel.kernelbase import Kernel

        kernel = Kernel.instance() if Kernel.initialized() else None
        thread = getattr(kernel, "shell_channel_thread", None)
        comm = getattr(panel, "comm", None)
        if thread is None or comm is None or not getattr(kernel, "_supports_kernel_subshells", False):
            return lambda: None
        manager, created = thread.manager, list[str | None]()
    except (ImportError, AttributeError):  # another kernel: picks apply between cells
        return lambda: None

    # both run on the shell channel thread, where subshells are made (and one after the other): init() does
    # not wait for it
    def create() -> None:
        if created:  # removed already
            return
        try:
            subshell = manager._create_subshell()  # noqa: SLF001 - see the docstring
            setattr(comm, "_reply_subshell_for", lambda data, default: subshell)  # noqa: B010 - on this comm only
            created.append(subshell)
        except Exception:  # an ipykernel without these internals: picks apply between cells
            created.append(None)
            log.debug("jupyter_track: the live panel's picks apply between cells", exc_info=True)

    def delete() -> None:
        with contextlib.suppress(Exception):
            if created and created[0] is not None:
                delattr(comm, "_reply_subshell_for")
                manager._delete_subshell(created[0])  # noqa: SLF001
        created.append(None)

    def remove() -> None:
        with contextlib.suppress(Exception):
            thread.io_loop.add_callback(delete)

    thread.io_loop.add_callback(create)
    return remove


def show(run: Any) -> Feeder:
    """Display a live panel for ``run`` in the current cell output and keep it fed until the run ends."""
    panel = RunPanel(run_name=run.name, run_path=run.path, started_at=run.start_time)
    feeder = Feeder(panel, run.store_url, run.id, step_metric=getattr(run, "step_metric_for", None))
    # A second output of this cell gets the static charts when the run ends: it stands in for the panel wherever
    # the widget cannot render (static_view.fallback), e.g. a notebook reopened with a fresh kernel.
    static = static_view.show(panel, "", display_id=True)

    def finished(state: str, summary: dict[str, Any], finished_at: float) -> None:
        unroute()
        feeder.finish(state, summary, finished_at)
        if static is not None:
            static.update({"text/html": static_view.fallback(feeder.static_html())}, raw=True)

    if run.state == "running":
        unroute = picks_while_busy(panel)
        feeder.start()
        run.on_finish(finished)
    else:
        unroute = lambda: None  # noqa: E731
        finished(run.state, dict(run.summary.as_dict()), time.time())
    return feeder
