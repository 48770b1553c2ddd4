"""System monitor: a daemon thread sampling CPU, memory, disk and network I/O (psutil) and per-GPU stats (NVML).

Units: MiB for ``*_mb`` (1024**2 bytes, as ``nvidia-smi`` and ``free -m`` count), MiB/s for rates.
``cpu.process_percent`` is of one core (a busy process with 8 threads reads up to 800);
``cpu.system_percent`` is of the whole machine (0-100). Rates and CPU percentages are averages over the time
since the previous sample, or since :meth:`SystemMonitor.start` (or construction) for the first one, so every
sample, the first included, carries all the keys. GPU keys are absent when there is no NVIDIA driver or no
``pynvml``; a GPU that does not support one query (power on some boards) just lacks that key.

GPUs are those ``CUDA_VISIBLE_DEVICES`` lets this process use (:func:`visible_gpus`), numbered as the process sees
them: ``system/gpu.0.*`` is its CUDA device 0, whichever GPU of the machine that is.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("jupyter_track")

MB = 1024**2
_nvml_missing_logged = False


def nvml_init() -> Any | None:
    """The ``pynvml`` module, initialised, or None when it is not installed or no NVIDIA driver answers
    (logged once, at debug level). Each successful call must be paired with ``nvmlShutdown()``: NVML counts them.

    Example::

        nvml = nvml_init()
        if nvml is not None:
            try:
                print(nvml.nvmlDeviceGetCount())
            finally:
                nvml.nvmlShutdown()
    """
    global _nvml_missing_logged
    try:
        if sys.platform.startswith("linux"):  # the library pynvml loads first: without it, pynvml (2 MB) stays out
            import ctypes

            ctypes.CDLL("libnvidia-ml.so.1")
        nvml = importlib.import_module("pynvml")  # untyped; Any keeps it out of mypy's way
    except OSError as e:
        reason = f"NVML is unavailable: no NVIDIA driver library ({e})"
    except ImportError as e:
        reason = f"pynvml is not installed ({e})"
    else:
        try:
            nvml.nvmlInit()
            return nvml
        except nvml.NVMLError as e:  # no driver / library: NVMLError_LibraryNotFound, _DriverNotLoaded, …
            reason = f"NVML is unavailable: {e}"
    if not _nvml_missing_logged:
        _nvml_missing_logged = True
        log.debug("jupyter_track: no GPU statistics: %s", reason)
    return None


@dataclass(frozen=True)
class Gpu:
    """A GPU as NVML lists it: ``index`` in NVML's (PCI bus) order, ``uuid`` as ``GPU-…``, and the UUIDs of its
    MIG devices (``MIG-…``) when MIG mode is on."""

    index: int
    uuid: str
    mig: tuple[str, ...] = ()


@dataclass(frozen=True)
class VisibleGpu:
    """A GPU this process may use, and the MIG device on it that ``CUDA_VISIBLE_DEVICES`` named, if any."""

    gpu: Gpu
    mig: str | None = None


def visible_gpus(gpus: Sequence[Gpu], cuda_visible_devices: str | None) -> list[VisibleGpu]:
    """The ``gpus`` a process may use under ``CUDA_VISIBLE_DEVICES``, in the order CUDA numbers them (the first is
    the process's device 0): unset, all of them; empty, none; else each comma-separated entry — an index, a GPU
    UUID (``GPU-…``, or a prefix of it naming one GPU), or a MIG device (``MIG-…``, or the older
    ``MIG-GPU-<uuid>/<gi>/<ci>``) — up to the first entry that names no GPU or one already listed, which ends the
    list, as it does for CUDA. Indices are NVML's (PCI bus) order, which is CUDA's where ``CUDA_DEVICE_ORDER`` is
    ``PCI_BUS_ID`` or the GPUs are of one model; UUIDs are exact.

    Example::

        gpus = [Gpu(0, "GPU-aa11"), Gpu(1, "GPU-bb22"), Gpu(2, "GPU-cc33")]
        [v.gpu.index for v in visible_gpus(gpus, "2,GPU-aa")]  # [2, 0]: device 0 is the machine's GPU 2
    """
    if cuda_visible_devices is None:
        return [VisibleGpu(g) for g in gpus]
    found: list[VisibleGpu] = []
    for entry in cuda_visible_devices.split(","):
        visible = _named_gpu(gpus, entry.strip())
        if visible is None or any(v.gpu.index == visible.gpu.index for v in found):
            break
        found.append(visible)
    return found


def _named_gpu(gpus: Sequence[Gpu], entry: str) -> VisibleGpu | None:
    if entry.isascii() and entry.isdigit():
        return next((VisibleGpu(g) for g in gpus if g.index == int(entry)), None)
    if entry.startswith("MIG-GPU-"):  # MIG-GPU-<uuid of the GPU>/<GPU instance>/<compute instance>
        parent = entry.removeprefix("MIG-").split("/")[0]
        matches = [VisibleGpu(g, entry) for g in gpus if g.uuid == parent]
    elif entry.startswith("MIG-"):
        matches = [VisibleGpu(g, m) for g in gpus for m in g.mig if m.startswith(entry)]
    elif entry.startswith("GPU-"):
        matches = [VisibleGpu(g) for g in gpus if g.uuid.startswith(entry)]
    else:
        return None
    return matches[0] if len(matches) == 1 else None


def nvml_visible_gpus(nvml: Any) -> list[tuple[VisibleGpu, Any]]:
    """The GPUs ``CUDA_VISIBLE_DEVICES`` lets this process use (:func:`visible_gpus`), each with its NVML handle
    (a MIG device: its whole GPU's), in the process's numbering; ``nvml`` is initialised (:func:`nvml_init`)."""
    wanted = os.environ.get("CUDA_VISIBLE_DEVICES")
    handles = [nvml.nvmlDeviceGetHandleByIndex(i) for i in range(nvml.nvmlDeviceGetCount())]
    gpus = [Gpu(i, text(nvml.nvmlDeviceGetUUID(h)), _mig_uuids(nvml, h) if wanted and "MIG-" in wanted else ())
            for i, h in enumerate(handles)]
    return [(v, handles[v.gpu.index]) for v in visible_gpus(gpus, wanted)]


def _mig_uuids(nvml: Any, handle: Any) -> tuple[str, ...]:
    try:
        if nvml.nvmlDeviceGetMigMode(handle)[0] != nvml.NVML_DEVICE_MIG_ENABLE:
            return ()
        slots = nvml.nvmlDeviceGetMaxMigDeviceCount(handle)
    except nvml.NVMLError:  # a GPU without MIG support
        return ()
    found = []
    for slot in range(slots):
        try:
            found.append(text(nvml.nvmlDeviceGetUUID(nvml.nvmlDeviceGetMigDeviceHandleByIndex(handle, slot))))
        except nvml.NVMLError:  # an empty slot
            continue
    return tuple(found)


def text(value: Any) -> str:
    """An NVML string: old pynvml releases give bytes."""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


class SystemMonitor:
    """Samples process/system CPU, memory, disk and network I/O (psutil) and per-GPU stats (NVML) every
    ``interval`` s, and hands each sample to ``emit(values, wall_time)`` from its own daemon thread.

    Example::

        monitor = SystemMonitor(lambda values, t: print(t, values["system/cpu.process_percent"]))
        monitor.start()   # first sample after `interval` seconds
        ...
        monitor.stop()    # wakes the thread at once, takes one last sample, joins
    """

    def __init__(self, emit: Callable[[dict[str, float], float], None], interval: float = 2.0,
                 pid: int | None = None) -> None:
        import psutil

        self._psutil = psutil
        self.emit = emit
        self.interval = interval
        self.pid = os.getpid() if pid is None else pid
        self.samples = 0  # emitted by the thread
        self.cpu_seconds = 0.0  # CPU time the monitor thread has used, for measure_overhead()
        self._process = psutil.Process(self.pid)
        self._lock = threading.Lock()  # sample() may be called from the thread and from outside at once
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._nvml: Any = None
        self._gpus: list[Any] = []
        self._gpu_failed: set[str] = set()  # queries a GPU did not support, logged once each
        self._warned = False
        self._baseline()

    # -- lifecycle ----------------------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the sampling thread (named ``jupyter_track-system``); nothing when ``interval <= 0`` or when it
        already runs."""
        if self.interval <= 0 or (self._thread is not None and self._thread.is_alive()):
            return
        self._open_nvml()
        with self._lock:
            self._baseline()  # the first sample averages over [start, start + interval], not since __init__
        self._wake.clear()
        self._thread = threading.Thread(target=self._loop, name="jupyter_track-system", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Wake the thread at once, let it take and emit one last sample, join it and release NVML; idempotent."""
        self._wake.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():  # emit() is stuck: leave the daemon thread, keep NVML open for it
                log.warning("jupyter_track: the system monitor did not stop within %.1f s", timeout)
                return
        with self._lock:
            if self._nvml is not None:
                nvml, self._nvml, self._gpus = self._nvml, None, []
                nvml.nvmlShutdown()

    def _loop(self) -> None:
        cpu_start = time.thread_time()
        stopping = False
        while not stopping:
            stopping = self._wake.wait(self.interval)
            try:
                values = self.sample()
                self.emit(values, time.time())
                self.samples += 1
            except Exception:  # thread boundary: a bad sample or emit must not end the monitor; logged below
                if not self._warned:
                    self._warned = True
                    log.warning("jupyter_track: a system sample failed (further failures are not logged)",
                                exc_info=True)
            self.cpu_seconds = time.thread_time() - cpu_start

    # -- sampling -----------------------------------------------------------------------------------------------
    def sample(self) -> dict[str, float]:
        """One sample now: ``system/*`` keys, averages since the previous sample.

        Example::

            SystemMonitor(lambda v, t: None).sample()["system/memory.process_rss_mb"]  # e.g. 231.4
        """
        with self._lock:
            return self._sample()

    def _baseline(self) -> None:
        psutil = self._psutil
        self._t = time.monotonic()
        self._proc_cpu = _busy(self._process.cpu_times())
        self._sys_cpu = psutil.cpu_times()
        self._disk = psutil.disk_io_counters()
        self._net = psutil.net_io_counters()

    def _sample(self) -> dict[str, float]:
        psutil, process = self._psutil, self._process
        last_t, last_proc, last_sys, last_disk, last_net = self._t, self._proc_cpu, self._sys_cpu, self._disk, self._net
        self._baseline()
        dt = self._t - last_t
        values: dict[str, float] = {}
        # CPU % is computed from our own baselines, not psutil.cpu_percent(), whose state is shared by the
        # whole process: two monitors (two runs) or user code calling it would skew each other.
        values["system/cpu.process_percent"] = _per_s(self._proc_cpu - last_proc, dt) * 100
        values["system/cpu.system_percent"] = _system_percent(last_sys, self._sys_cpu)
        values["system/memory.process_rss_mb"] = process.memory_info().rss / MB
        memory = psutil.virtual_memory()
        values["system/memory.system_used_percent"] = float(memory.percent)
        values["system/memory.system_available_mb"] = memory.available / MB
        if self._disk is not None and last_disk is not None:  # None on machines without disks (some containers)
            values["system/disk.read_mb_per_s"] = _per_s(self._disk.read_bytes - last_disk.read_bytes, dt) / MB
            values["system/disk.write_mb_per_s"] = _per_s(self._disk.write_bytes - last_disk.write_bytes, dt) / MB
        if self._net is not None and last_net is not None:
            values["system/network.sent_mb_per_s"] = _per_s(self._net.bytes_sent - last_net.bytes_sent, dt) / MB
            values["system/network.recv_mb_per_s"] = _per_s(self._net.bytes_recv - last_net.bytes_recv, dt) / MB
        if self._nvml is None and "init" not in self._gpu_failed:
            self._open_nvml_locked()
        for i, handle in enumerate(self._gpus):
            values.update(self._gpu_sample(i, handle))
        return values

    # -- GPUs ---------------------------------------------------------------------------------------------------
    def _open_nvml(self) -> None:
        with self._lock:
            self._open_nvml_locked()

    def _open_nvml_locked(self) -> None:
        if self._nvml is not None:
            return
        nvml = nvml_init()
        if nvml is None:
            self._gpu_failed.add("init")  # no driver: do not retry every sample
            return
        try:
            self._gpus = [handle for _, handle in nvml_visible_gpus(nvml)]  # system/gpu.<i>: the process's device i
        except nvml.NVMLError as e:
            log.debug("jupyter_track: NVML could not list the GPUs: %s", e)
            self._gpu_failed.add("init")
            nvml.nvmlShutdown()
            return
        self._nvml = nvml

    def _gpu_sample(self, i: int, handle: Any) -> dict[str, float]:
        nvml, prefix = self._nvml, f"system/gpu.{i}."
        values: dict[str, float] = {}

        def query(name: str, read: Callable[[], None]) -> None:
            try:
                read()
            except nvml.NVMLError as e:  # e.g. NotSupported for power on some boards: leave that key out
                if name not in self._gpu_failed:
                    self._gpu_failed.add(name)
                    log.debug("jupyter_track: GPU %d: no %s: %s", i, name, e)

        def utilization() -> None:
            values[prefix + "utilization_percent"] = float(nvml.nvmlDeviceGetUtilizationRates(handle).gpu)

        def memory() -> None:
            info = nvml.nvmlDeviceGetMemoryInfo(handle)
            values[prefix + "memory_used_mb"] = info.used / MB
            values[prefix + "memory_total_mb"] = info.total / MB
            values[prefix + "memory_used_percent"] = 100.0 * info.used / info.total if info.total else 0.0

        def temperature() -> None:
            values[prefix + "temperature_c"] = float(nvml.nvmlDeviceGetTemperature(handle, nvml.NVML_TEMPERATURE_GPU))

        def power() -> None:
            values[prefix + "power_w"] = nvml.nvmlDeviceGetPowerUsage(handle) / 1000.0  # NVML reports milliwatts

        def process_memory() -> None:
            # NVML sees host pids: inside a container with its own pid namespace this process is not found (0)
            used = sum(p.usedGpuMemory or 0 for p in nvml.nvmlDeviceGetComputeRunningProcesses(handle)
                       if p.pid == self.pid)  # usedGpuMemory is None where the driver cannot tell (WDDM, MIG)
            values[prefix + "process_memory_mb"] = used / MB

        for name, read in (("utilization", utilization), ("memory", memory), ("temperature", temperature),
                           ("power", power), ("process memory", process_memory)):
            query(name, read)
        return values


def _busy(times: Any) -> float:
    return float(times.user + times.system)  # the process itself; its children's times are not ours to count


def _per_s(amount: float, dt: float) -> float:
    return max(amount, 0) / dt if dt > 0 else 0.0  # counters can wrap or reset (a disk detached): never negative


def _system_percent(before: Any, after: Any) -> float:
    """Busy share of all CPUs between two ``psutil.cpu_times()``, as psutil.cpu_percent() computes it."""

    def busy_total(t: Any) -> tuple[float, float]:
        total = sum(t)
        # on Linux guest time is already counted in user time; idle and iowait are not busy
        total -= getattr(t, "guest", 0.0) + getattr(t, "guest_nice", 0.0)
        return total - t.idle - getattr(t, "iowait", 0.0), total

    busy0, total0 = busy_total(before)
    busy1, total1 = busy_total(after)
    if total1 <= total0:
        return 0.0
    return min(max((busy1 - busy0) / (total1 - total0) * 100.0, 0.0), 100.0)


def measure_overhead(seconds: float = 10.0, interval: float = 2.0) -> dict[str, float]:
    """Run a monitor with a no-op emit for ``seconds`` and report the CPU its thread used.

    ``percent_of_one_core`` is the monitor thread's own CPU time (``time.thread_time`` inside it) over the wall
    time; ``per_sample_ms`` divides it by the samples taken.

    Example::

        measure_overhead(10, 2.0)  # {'cpu_seconds': 0.004, 'percent_of_one_core': 0.04, 'samples': 5.0, ...}
    """
    monitor = SystemMonitor(lambda values, t: None, interval=interval)
    start = time.perf_counter()
    monitor.start()
    threading.Event().wait(seconds)  # the measured span itself, not a wait for a condition
    monitor.stop()
    wall = time.perf_counter() - start
    samples = float(monitor.samples)
    return {
        "cpu_seconds": monitor.cpu_seconds,
        "wall_seconds": wall,
        "percent_of_one_core": 100.0 * monitor.cpu_seconds / wall if wall > 0 else 0.0,
        "samples": samples,
        "per_sample_ms": 1000.0 * monitor.cpu_seconds / samples if samples else 0.0,
    }
