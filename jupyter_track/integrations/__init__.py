"""Framework integrations: one small module per framework, imported only when used (the frameworks are never
requirements of jupyter_track).

- ``jupyter_track.integrations.lightning``: :class:`JupyterTrackLogger` for ``Trainer(logger=...)``
- ``jupyter_track.integrations.huggingface``: :class:`JupyterTrackCallback` for ``transformers.Trainer``
- ``jupyter_track.integrations.keras``: :class:`JupyterTrackMetricsLogger`, :class:`JupyterTrackModelCheckpoint`
- ``jupyter_track.integrations.xgboost``: :class:`JupyterTrackXGBoostCallback`
- ``jupyter_track.integrations.lightgbm``: :class:`JupyterTrackLightGBMCallback`, :func:`log_summary`
- ``jupyter_track.integrations.sklearn``: ``plot_classifier``, ``plot_roc`` … (also ``jt.sklearn``, W&B's
  ``wandb.sklearn``); scikit-learn is imported by the first chart

Example::

    from jupyter_track.integrations.lightning import JupyterTrackLogger
    trainer = lightning.Trainer(logger=JupyterTrackLogger(project="mnist"), max_epochs=3)
"""
