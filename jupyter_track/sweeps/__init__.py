"""Sweeps on Optuna: ``jt.sweep(config)`` makes one from a W&B-style config, ``jt.agent(sweep_id, train)`` runs
its trials in this process, ``jupyter-track agent`` runs the config's program; the optimiser's state lives in
the store's database, so agents in several processes share one sweep.

Example::

    import jupyter_track as wandb
    sweep_id = wandb.sweep({"method": "bayes", "metric": {"name": "loss", "goal": "minimize"},
                            "parameters": {"lr": {"min": 0.0001, "max": 0.1}}}, project="test-project")
    wandb.agent(sweep_id, function=train, count=10)
"""

from __future__ import annotations

from ..api import Sweep
from .config import SweepSpec, load_config, parse_config
from .core import get_sweep, list_sweeps, sweep, sweep_runs
from .trials import agent

__all__ = ["Sweep", "SweepSpec", "agent", "get_sweep", "list_sweeps", "load_config", "parse_config", "sweep",
           "sweep_runs"]
