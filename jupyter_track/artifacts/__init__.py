"""Artifacts: named, typed datasets and models with content-addressed versions, moving aliases and lineage.

Example::

    art = jt.Artifact("mnist", type="dataset"); art.add_dir("data/")
    run.log_artifact(art, aliases=["raw"])        # v0; logging the same files again returns v0
    ds = other_run.use_artifact("mnist:latest")   # an input edge of the lineage
    ds.download()                                 # ./artifacts/mnist-v0, every file verified
    jt.lineage(ds)                                # runs ⇄ artifact versions, as a graph in a notebook
"""

from __future__ import annotations

from .core import Artifact, ArtifactEntry
from .graph import LineageGraph
from .registry import ArtifactList, artifact, artifacts, lineage, log_artifact, resolve, use_artifact

__all__ = ["Artifact", "ArtifactEntry", "ArtifactList", "LineageGraph", "artifact", "artifacts", "lineage",
           "log_artifact", "resolve", "use_artifact"]
