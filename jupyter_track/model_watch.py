"""``jt.watch`` / ``jt.unwatch``: per-layer histograms of a PyTorch model's gradients and parameters.

Hooks, as W&B does: a tensor hook per parameter for gradients (``gradients/<name>``) and a forward hook on the
model for parameters (``parameters/<name>``). Each hook counts its calls and logs on every ``log_freq``-th one
(calls ``log_freq``, ``2·log_freq`` …), with ``commit=False`` at the run's current step, so the histograms join
the user's next ``log()`` row. Histograms are computed where the tensor lives (``torch.histc``, 64 bins); only
the counts travel to the CPU. torch is never imported here: the model brings it.
"""

from __future__ import annotations

import sys
import threading
import weakref
from typing import Any

from .media.histogram import Histogram

NUM_BINS = 64
_MODES = {"gradients": (True, False), "parameters": (False, True), "all": (True, True), None: (False, False)}
_lock = threading.Lock()
_watched: dict[int, tuple[weakref.ref[Any], list[Any], str]] = {}  # id(model) -> (model, hook handles, run id)
_next_index: dict[str, int] = {}  # per run id: the next model's index (W&B prefixes graph_<n> after the first)


def watch(models: Any, criterion: Any = None, log: str | None = "gradients", log_freq: int = 1000,
          idx: int | None = None, log_graph: bool = False, *, run: Any) -> None:
    """Log histograms of ``models``' gradients and/or parameters every ``log_freq`` steps to ``run`` (what
    ``run.watch(model)`` and ``jt.watch(model)`` do).

    ``log``: ``"gradients"`` (default), ``"parameters"``, ``"all"`` or None. ``criterion`` and ``log_graph`` are
    accepted for W&B compatibility and ignored. Several models (a list, or later calls) get W&B's key prefix
    ``graph_<n>`` after the first one watched in a run (``idx`` sets n).

    Example::

        run = jt.init(project="mnist")
        jt.watch(model, log="all", log_freq=100)
        for x, y in loader:
            loss = F.cross_entropy(model(x), y); loss.backward(); opt.step(); opt.zero_grad()
            jt.log({"loss": loss.item()})          # every 100th row also holds gradients/… and parameters/…
        jt.unwatch(model)
    """
    if log not in _MODES:
        raise ValueError(f"watch(log={log!r}): use 'gradients', 'parameters', 'all' or None")
    if not isinstance(log_freq, int) or log_freq < 1:
        raise ValueError(f"watch(log_freq={log_freq!r}): use a whole number of steps ≥ 1")
    models = list(models) if isinstance(models, list | tuple) else [models]
    for m in models:
        if not (hasattr(m, "named_parameters") and hasattr(m, "register_forward_hook")):
            raise TypeError(f"watch(): {type(m).__name__} is not a torch.nn.Module")
    grads, params = _MODES[log]
    with _lock:
        run_id = str(getattr(run, "id", ""))
        start = _next_index.get(run_id, 0) if idx is None else idx
        _next_index[run_id] = max(_next_index.get(run_id, 0), start + len(models))
    for i, model in enumerate(models):
        unwatch(model)
        prefix = f"graph_{start + i}" if start + i > 0 else ""
        handles: list[Any] = []
        if params:
            handles.append(model.register_forward_hook(_parameters_hook(run, model, prefix, log_freq)))
        if grads:
            for name, p in model.named_parameters():
                if p.requires_grad:
                    handles.append(p.register_hook(_gradient_hook(run, f"gradients/{prefix}{name}", log_freq)))
        with _lock:
            _watched[id(model)] = (weakref.ref(model), handles, run_id)


def unwatch(models: Any = None, *, run: Any = None) -> None:
    """Remove the hooks of ``models`` (a model or a list), or of every watched model when None (with ``run``:
    of every model watched for that run, as ``run.unwatch()`` does)."""
    with _lock:
        if models is None:
            run_id = None if run is None else str(getattr(run, "id", ""))
            keys = [k for k, e in _watched.items() if run_id is None or e[2] == run_id]
            entries = [_watched.pop(k) for k in keys]
        else:
            keys = [id(m) for m in (models if isinstance(models, list | tuple) else [models])]
            entries = [e for e in (_watched.pop(k, None) for k in keys) if e is not None]
    for _, handles, _ in entries:
        for handle in handles:
            handle.remove()


def _parameters_hook(run: Any, model: Any, prefix: str, log_freq: int) -> Any:
    calls = [0]
    model_ref = weakref.ref(model)

    def hook(module: Any, inputs: Any, output: Any) -> None:
        calls[0] += 1
        if calls[0] % log_freq or run.state != "running":
            return
        target = model_ref()
        if target is None:
            return
        hists = {f"parameters/{prefix}{name}": tensor_histogram(p) for name, p in target.named_parameters()}
        run.log(hists, commit=False)

    return hook


def _gradient_hook(run: Any, key: str, log_freq: int) -> Any:
    calls = [0]

    def hook(grad: Any) -> None:
        calls[0] += 1
        if calls[0] % log_freq or run.state != "running":
            return
        run.log({key: tensor_histogram(grad)}, commit=False)

    return hook


def tensor_histogram(tensor: Any, num_bins: int = NUM_BINS) -> Histogram:
    """A :class:`Histogram` of a torch tensor, computed on its device (NaN/inf left out and counted)."""
    torch = sys.modules["torch"]
    t = tensor.detach()
    if t.is_sparse:
        t = t.coalesce().values()
    flat = t.reshape(-1)
    if not flat.is_floating_point() or (flat.device.type == "cpu" and flat.dtype in (torch.float16,
                                                                                      torch.bfloat16)):
        flat = flat.float()
    finite = torch.isfinite(flat)
    values = flat[finite]
    nan, pos = torch.isnan(flat).sum(), (flat == float("inf")).sum()
    n_bad = flat.numel() - int(finite.sum())
    if values.numel():
        lo, hi = float(values.min()), float(values.max())
    else:
        lo, hi = 0.0, 0.0
    if lo == hi:  # one value: a unit-wide bin range around it, as numpy.histogram does
        lo, hi = lo - 0.5, hi + 0.5
    counts = torch.histc(values, bins=num_bins, min=lo, max=hi).cpu().numpy()
    edges = [lo + (hi - lo) * i / num_bins for i in range(num_bins + 1)]
    hist = Histogram(np_histogram=(counts, edges))
    if n_bad:
        n_nan, n_pos = int(nan), int(pos)
        hist.dropped = {"nan": n_nan, "inf": n_pos, "-inf": n_bad - n_nan - n_pos}
    return hist
