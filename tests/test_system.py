"""SystemMonitor: real psutil/NVML samples, the sampling thread's timing, stop and failure handling, overhead."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import psutil
import pytest

from jupyter_track.capture.system import (
    Gpu,
    SystemMonitor,
    measure_overhead,
    nvml_init,
    nvml_visible_gpus,
    text,
    visible_gpus,
)
from tests.conftest import run_python

CPU_KEYS = {"system/cpu.process_percent", "system/cpu.system_percent"}
MEMORY_KEYS = {"system/memory.process_rss_mb", "system/memory.system_used_percent",
               "system/memory.system_available_mb"}
RATE_KEYS = {"system/disk.read_mb_per_s", "system/disk.write_mb_per_s", "system/network.sent_mb_per_s",
             "system/network.recv_mb_per_s"}
GPU_SUFFIXES = {"utilization_percent", "memory_used_mb", "memory_total_mb", "memory_used_percent", "temperature_c",
                "power_w", "process_memory_mb"}


class Collector:
    """An emit that records samples and lets a test wait for a number of them."""

    def __init__(self) -> None:
        self.samples: list[tuple[dict[str, float], float]] = []
        self.threads: set[str] = set()
        self.changed = threading.Condition()

    def __call__(self, values: dict[str, float], t: float) -> None:
        with self.changed:
            self.samples.append((values, t))
            self.threads.add(threading.current_thread().name)
            self.changed.notify_all()

    def wait_for(self, n: int, timeout: float = 10.0) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: len(self.samples) >= n, timeout)


def nothing(values: dict[str, float], t: float) -> None:
    pass


def test_a_sample_has_cpu_and_memory_keys_in_sane_ranges() -> None:
    monitor = SystemMonitor(nothing)
    sum(i * i for i in range(200_000))  # some CPU time for the process to report
    values = monitor.sample()
    monitor.stop()
    assert set(values) >= CPU_KEYS | MEMORY_KEYS
    assert all(k.startswith("system/") and isinstance(v, float) for k, v in values.items())
    cores = psutil.cpu_count() or 1
    assert 0 <= values["system/cpu.process_percent"] <= 100 * cores + 5  # of one core: up to 100 per core
    assert 0 <= values["system/cpu.system_percent"] <= 100
    assert values["system/memory.process_rss_mb"] > 0
    assert 0 < values["system/memory.system_used_percent"] < 100
    assert values["system/memory.system_available_mb"] > 0
    assert all(values[k] >= 0 for k in RATE_KEYS & set(values))


def test_process_cpu_percent_sees_a_busy_loop() -> None:
    monitor = SystemMonitor(nothing)
    monitor.sample()
    wall, cpu = time.monotonic(), time.process_time()
    while time.process_time() < cpu + 0.3:
        pass
    values = monitor.sample()
    used = 100 * (time.process_time() - cpu) / (time.monotonic() - wall)  # ~100 on an idle machine, less when busy
    assert values["system/cpu.process_percent"] > 0.5 * used, (values["system/cpu.process_percent"], used)


def test_disk_write_rate_rises_when_the_test_writes(tmp_path: Path) -> None:
    if psutil.disk_io_counters() is None:
        pytest.skip("psutil sees no disk counters on this machine")
    monitor = SystemMonitor(nothing)
    monitor.sample()
    started = time.monotonic()
    chunk = os.urandom(1024 * 1024)
    with open(tmp_path / "big.bin", "wb") as f:
        for _ in range(50):
            f.write(chunk)
        f.flush()
        os.fsync(f.fileno())
    values = monitor.sample()
    # the rate times the time between the samples covers the 50 MiB written (other writers only add to it)
    seen_mb = values["system/disk.write_mb_per_s"] * (time.monotonic() - started)
    assert seen_mb > 40, (seen_mb, values)


def test_the_thread_emits_at_the_interval_from_its_own_named_thread() -> None:
    collector = Collector()
    monitor = SystemMonitor(collector, interval=0.2)
    started = time.time()
    monitor.start()
    monitor.start()  # idempotent: still one thread
    try:
        assert collector.wait_for(3)
    finally:
        monitor.stop()
    elapsed = time.time() - started
    times = [t for _, t in collector.samples]
    assert times == sorted(times) and times[0] >= started
    assert elapsed >= 0.2 * 3 - 0.05  # not faster than the interval
    assert collector.threads == {"jupyter_track-system"}
    assert [t.name for t in threading.enumerate()].count("jupyter_track-system") == 0
    assert all(set(values) >= CPU_KEYS | MEMORY_KEYS for values, _ in collector.samples)


def test_stop_wakes_the_thread_at_once_takes_a_last_sample_and_is_idempotent() -> None:
    collector = Collector()
    monitor = SystemMonitor(collector, interval=60)
    monitor.start()
    start = time.perf_counter()
    monitor.stop()
    assert time.perf_counter() - start < 5  # at once, not at the end of the 60 s interval
    assert len(collector.samples) == 1  # the last sample, taken on the way out
    monitor.stop()
    assert len(collector.samples) == 1
    assert not any(t.name == "jupyter_track-system" for t in threading.enumerate())


def test_stop_without_start_and_a_zero_interval_do_nothing() -> None:
    collector = Collector()
    SystemMonitor(collector).stop()
    monitor = SystemMonitor(collector, interval=0)
    monitor.start()
    assert not any(t.name == "jupyter_track-system" for t in threading.enumerate())
    monitor.stop()
    assert collector.samples == []


def test_an_emit_that_raises_does_not_kill_the_thread(caplog: pytest.LogCaptureFixture) -> None:
    calls = Collector()

    def failing(values: dict[str, float], t: float) -> None:
        calls(values, t)
        raise RuntimeError("store is gone")

    monitor = SystemMonitor(failing, interval=0.05)
    with caplog.at_level("WARNING", logger="jupyter_track"):
        monitor.start()
        try:
            assert calls.wait_for(3)
        finally:
            monitor.stop()
    warnings = [r for r in caplog.records if "system sample failed" in r.getMessage()]
    assert len(warnings) == 1  # logged once, not at every sample


def test_gpu_keys_are_absent_without_an_nvidia_driver() -> None:
    nvml = nvml_init()
    if nvml is not None:
        nvml.nvmlShutdown()
        pytest.skip("an NVIDIA driver answers here")
    monitor = SystemMonitor(nothing)
    values = monitor.sample()
    monitor.stop()
    assert not any(k.startswith("system/gpu.") for k in values)


# A node of four GPUs as NVML lists them; the third is in MIG mode with two MIG devices.
NODE = [Gpu(0, "GPU-0a1b2c3d-0000-1111-2222-333344445555"), Gpu(1, "GPU-0a1b9999-0000-1111-2222-333344445555"),
        Gpu(2, "GPU-7f00aa00-0000-1111-2222-333344445555",
            ("MIG-11111111-aaaa-bbbb-cccc-dddddddddddd", "MIG-22222222-aaaa-bbbb-cccc-dddddddddddd")),
        Gpu(3, "GPU-e5e5e5e5-0000-1111-2222-333344445555")]


@pytest.mark.parametrize(("value", "expected"), [
    (None, [(0, None), (1, None), (2, None), (3, None)]),  # unset: every GPU
    ("", []),  # empty: none
    ("3", [(3, None)]),  # one DDP rank's GPU: it is the process's device 0
    ("2,1", [(2, None), (1, None)]),  # CUDA numbers them in the listed order
    (" 1 , 3 ", [(1, None), (3, None)]),
    ("0,2,-1,1", [(0, None), (2, None)]),  # an invalid entry ends the list (CUDA's documented example)
    ("1,7,0", [(1, None)]),  # no GPU 7
    ("1,1,0", [(1, None)]),  # a GPU listed twice
    ("GPU-e5e5e5e5-0000-1111-2222-333344445555,0", [(3, None), (0, None)]),  # full UUIDs and indices mixed
    ("GPU-7f00", [(2, None)]),  # a prefix that names one GPU
    ("GPU-0a1b,3", []),  # a prefix of two GPUs names none
    ("MIG-22222222", [(2, "MIG-22222222-aaaa-bbbb-cccc-dddddddddddd")]),  # a MIG device: its GPU
    ("MIG-GPU-7f00aa00-0000-1111-2222-333344445555/1/0", [(2, "MIG-GPU-7f00aa00-0000-1111-2222-333344445555/1/0")]),
    ("MIG-33333333", []),
    ("gpu0,1", []),
])
def test_cuda_visible_devices_picks_and_numbers_the_gpus_as_cuda_does(value: str | None,
                                                                      expected: list[tuple[int, str | None]]) -> None:
    assert [(v.gpu.index, v.mig) for v in visible_gpus(NODE, value)] == expected


def test_gpu_stats_are_real_when_an_nvidia_gpu_is_present() -> None:
    nvml = nvml_init()
    if nvml is None:
        pytest.skip("NVML cannot initialise here (no pynvml or no NVIDIA driver)")
    try:
        count = len(nvml_visible_gpus(nvml))  # those CUDA_VISIBLE_DEVICES lets this process use
    finally:
        nvml.nvmlShutdown()
    if count == 0:
        pytest.skip("NVML sees no GPU")
    monitor = SystemMonitor(nothing)
    values = monitor.sample()
    monitor.stop()
    for i in range(count):
        prefix = f"system/gpu.{i}."
        assert {prefix + "memory_used_mb", prefix + "memory_total_mb", prefix + "memory_used_percent",
                prefix + "process_memory_mb"} <= set(values), values
        assert set(values) & {prefix + s for s in GPU_SUFFIXES} <= {prefix + s for s in GPU_SUFFIXES}
        assert values[prefix + "memory_total_mb"] > 0
        assert 0 <= values[prefix + "memory_used_mb"] <= values[prefix + "memory_total_mb"]
        assert 0 <= values[prefix + "memory_used_percent"] <= 100
        assert 0 <= values.get(prefix + "utilization_percent", 0) <= 100
        assert 0 < values.get(prefix + "temperature_c", 40) < 120
        assert values.get(prefix + "power_w", 1) >= 0
    assert not any(k.startswith(f"system/gpu.{count}.") for k in values)


def test_a_process_given_the_last_gpu_logs_it_as_gpu_0_and_records_which_it_is() -> None:
    nvml = nvml_init()
    if nvml is None:
        pytest.skip("NVML cannot initialise here (no pynvml or no NVIDIA driver)")
    try:
        last = nvml.nvmlDeviceGetCount() - 1
        uuid = text(nvml.nvmlDeviceGetUUID(nvml.nvmlDeviceGetHandleByIndex(last))) if last >= 0 else ""
    finally:
        nvml.nvmlShutdown()
    if not uuid:
        pytest.skip("NVML sees no GPU")
    probe = """
        import json
        from jupyter_track.capture.environment import capture_environment
        from jupyter_track.capture.system import SystemMonitor
        monitor = SystemMonitor(lambda values, t: None)
        keys = sorted({k.split(".")[1] for k in monitor.sample() if k.startswith("system/gpu.")})
        monitor.stop()
        meta = capture_environment(".", {"environment"}).meta
        print(json.dumps({"keys": keys, "gpus": meta["gpus"], "env": meta.get("cuda_visible_devices")}))
    """
    for value, index in ((str(last), "0"), (uuid, "0"), ("", None)):
        found = json.loads(run_python(probe, env={"CUDA_VISIBLE_DEVICES": value}).stdout)
        assert found["env"] == value
        if index is None:
            assert found["keys"] == [] and found["gpus"] == []
        else:
            assert found["keys"] == [index]
            assert [(g["index"], g["nvml_index"], g["uuid"]) for g in found["gpus"]] == [(0, last, uuid)]


def test_measure_overhead_reports_the_monitor_threads_own_cpu_time() -> None:
    # the figure itself (a fraction of a core at the 2 s default) is benchmarks/bench_logging.py's to print
    busy_cpu = []
    stop = threading.Event()

    def spin() -> None:  # another thread of the process burns CPU meanwhile: not the monitor's to count
        start = time.thread_time()
        while not stop.is_set():
            pass
        busy_cpu.append(time.thread_time() - start)

    spinner = threading.Thread(target=spin)
    spinner.start()
    try:
        result = measure_overhead(0.5, interval=0.1)
    finally:
        stop.set()
        spinner.join()
    assert result["samples"] >= 2  # about 5 at 0.1 s, and the last one at stop()
    assert result["wall_seconds"] >= 0.5 and result["cpu_seconds"] > 0
    assert result["cpu_seconds"] < busy_cpu[0] / 2, (result, busy_cpu)  # the process's CPU time would exceed it
    assert result["percent_of_one_core"] == pytest.approx(100 * result["cpu_seconds"] / result["wall_seconds"])
    assert result["per_sample_ms"] == pytest.approx(1000 * result["cpu_seconds"] / result["samples"])
