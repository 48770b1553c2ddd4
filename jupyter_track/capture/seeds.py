"""seed_everything(): one seed for Python, numpy, torch and tensorflow, returning what was seeded for the run's meta."""

from __future__ import annotations

import importlib
import importlib.util
import numbers
import os
import random
from typing import Any

SEED_MAX = 2**32 - 1  # numpy's legacy seeder takes [0, 2**32 - 1]; one range for every library keeps runs comparable


def seed_everything(seed: int, deterministic: bool = False) -> dict[str, Any]:
    """Seed ``random``, ``PYTHONHASHSEED``, numpy, and torch (CPU and every CUDA device) and tensorflow when they
    are installed; returns ``{"seed": seed, "seeded": [names...], "deterministic": bool}`` for the run's meta.

    ``PYTHONHASHSEED`` only affects subprocesses started afterwards (e.g. DataLoader workers started with
    *spawn*): the hash seed of the running interpreter is fixed at its start. jax has no global state to seed:
    pass ``jax.random.key(seed)`` explicitly. ``deterministic=True`` also asks torch for deterministic
    algorithms (cuDNN deterministic, no benchmark autotuning; sets ``CUBLAS_WORKSPACE_CONFIG`` if unset, which
    cuBLAS needs for it) and tensorflow for op determinism; expect slower kernels, and torch raises on ops
    that have no deterministic implementation.

    Raises ValueError when ``seed`` is not an integer in ``[0, 2**32 - 1]``.

    Example::

        jt.seed_everything(42)  # {'seed': 42, 'seeded': ['random', 'PYTHONHASHSEED', 'numpy', 'torch'], ...}
    """
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not 0 <= seed <= SEED_MAX:
        raise ValueError(f"seed must be an integer in [0, {SEED_MAX}]; got {seed!r}")
    seed = int(seed)  # numpy integers too
    seeded = ["random", "PYTHONHASHSEED"]
    random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)

    if _installed("numpy"):
        import numpy as np

        np.random.seed(seed)
        seeded.append("numpy")

    if _installed("torch"):
        torch: Any = importlib.import_module("torch")  # the user asked for it seeded: importing it is expected
        torch.manual_seed(seed)  # seeds the CPU and every CUDA device
        torch.cuda.manual_seed_all(seed)  # lazy: applies when CUDA initialises, never initialises it here
        if deterministic:
            # cuBLAS needs a fixed workspace to be deterministic; it is read when CUDA initialises
            os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
            torch.use_deterministic_algorithms(True)
            torch.backends.cudnn.deterministic = True
            torch.backends.cudnn.benchmark = False
        seeded.append("torch")

    if _installed("tensorflow"):
        tf: Any = importlib.import_module("tensorflow")
        tf.random.set_seed(seed)
        if deterministic and hasattr(tf.config.experimental, "enable_op_determinism"):
            tf.config.experimental.enable_op_determinism()
        seeded.append("tensorflow")

    return {"seed": seed, "seeded": seeded, "deterministic": deterministic}


def _installed(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # a half-removed package (no __spec__) counts as not installed
        return False
