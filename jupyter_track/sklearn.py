"""``jt.sklearn`` (W&B: ``wandb.sklearn``): the scikit-learn charts of :mod:`jupyter_track.integrations.sklearn`
under W&B's name, so ``import jupyter_track as wandb; wandb.sklearn.plot_roc(...)`` works unchanged.

Example::

    import jupyter_track as wandb
    wandb.init(project="iris")
    wandb.sklearn.plot_confusion_matrix(y_test, model.predict(x_test), ["setosa", "versicolor", "virginica"])
"""

from .integrations.sklearn import *  # noqa: F403 - every plot_* function, under W&B's name
from .integrations.sklearn import __all__ as __all__
