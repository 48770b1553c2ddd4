"""seed_everything(): the same seed gives the same random numbers; bad seeds are refused."""

from __future__ import annotations

import os
import random

import numpy as np
import pytest

from jupyter_track.capture.seeds import seed_everything


@pytest.fixture(autouse=True)
def keep_hash_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    # seed_everything sets PYTHONHASHSEED (and CUBLAS_WORKSPACE_CONFIG); monkeypatch restores them afterwards
    monkeypatch.setenv("PYTHONHASHSEED", os.environ.get("PYTHONHASHSEED", "random"))
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)


def draws() -> tuple[float, list[float]]:
    return random.random(), np.random.rand(3).tolist()


def test_the_same_seed_reproduces_python_and_numpy_draws() -> None:
    result = seed_everything(123)
    first = draws()
    seed_everything(123)
    assert draws() == first
    assert os.environ["PYTHONHASHSEED"] == "123"
    seed_everything(124)
    assert draws() != first
    assert result == {"seed": 123, "seeded": ["random", "PYTHONHASHSEED", "numpy", *result["seeded"][3:]],
                      "deterministic": False}


def test_numpy_integer_seeds_are_accepted() -> None:
    assert seed_everything(np.int64(7))["seed"] == 7


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5, "42", True, None])
def test_bad_seeds_raise_a_value_error_naming_the_value(seed: object) -> None:
    with pytest.raises(ValueError, match=r"seed must be an integer in \[0, 4294967295\]; got") as info:
        seed_everything(seed)  # type: ignore[arg-type]
    assert repr(seed) in str(info.value)


def test_torch_draws_reproduce_and_deterministic_mode_is_set() -> None:
    torch = pytest.importorskip("torch")
    result = seed_everything(5, deterministic=True)
    try:
        first = torch.rand(3).tolist()
        seed_everything(5)
        assert torch.rand(3).tolist() == first
        assert "torch" in result["seeded"] and result["deterministic"] is True
        assert torch.are_deterministic_algorithms_enabled()
        assert torch.backends.cudnn.deterministic and not torch.backends.cudnn.benchmark
    finally:
        torch.use_deterministic_algorithms(False)
