"""Generate notebooks/integrations.ipynb (no outputs saved).

Run from the repository root:  .venv/bin/python scripts/make_integrations_notebook.py  (--check: is it up to date?)
Edit the cells here, not the .ipynb, so the committed notebook stays clean and reproducible.
"""

from __future__ import annotations

from pathlib import Path

from notebook_gen import main

OUT = Path(__file__).resolve().parent.parent / "notebooks" / "integrations.ipynb"

CELLS: list[tuple[str, str]] = [
    ("md", """\
# Framework integrations: Lightning, Hugging Face, Keras, XGBoost, LightGBM, scikit-learn

Each framework gets a logger or callback from `jupyter_track.integrations`; the training loop stays the
framework's own, and the live run panel shows in the cell that trains. Tiny models on synthetic data, CPU only,
no downloads (the Hugging Face model is built from a config). Each section needs its framework installed:
`pip install lightning transformers keras xgboost lightgbm scikit-learn` (or the ones you use)."""),
    ("code", """\
import os
import tempfile

os.environ.setdefault("KERAS_BACKEND", "torch")  # Keras 3 on PyTorch: no TensorFlow needed

import numpy as np
import torch

import jupyter_track as jt

PROJECT = "integrations-demo"
os.chdir(tempfile.mkdtemp(prefix="jt-integrations-"))  # checkpoints and model files go to a scratch folder
rng = np.random.default_rng(0)
X = rng.normal(size=(256, 4)).astype("float32")
y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype("int64")  # two classes, a linear boundary"""),
    ("md", """\
## PyTorch Lightning

`JupyterTrackLogger` goes where any Lightning logger goes. It starts the run when training starts (or uses
the one `jt.init()` started), records `save_hyperparameters()` as the config, every `self.log(...)` at the
trainer's global step, and with `log_model=True` the best checkpoint as a `model` artifact. The run finishes
with `fit()`; a later `trainer.test()` continues it."""),
    ("code", """\
import lightning as L

from jupyter_track.integrations.lightning import JupyterTrackLogger


class Classifier(L.LightningModule):
    def __init__(self, lr=0.5, hidden=16):
        super().__init__()
        self.save_hyperparameters()
        self.net = torch.nn.Sequential(torch.nn.Linear(4, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 2))

    def training_step(self, batch, index):
        x, t = batch
        loss = torch.nn.functional.cross_entropy(self.net(x), t)
        self.log("train/loss", loss)
        return loss

    def validation_step(self, batch, index):
        x, t = batch
        self.log("val/acc", (self.net(x).argmax(1) == t).float().mean())

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)


data = torch.utils.data.TensorDataset(torch.from_numpy(X), torch.from_numpy(y))
train_loader = torch.utils.data.DataLoader(data, batch_size=32, shuffle=True)
val_loader = torch.utils.data.DataLoader(data, batch_size=64)
logger = JupyterTrackLogger(project=PROJECT, name="lightning", log_model=True)
trainer = L.Trainer(logger=logger, max_epochs=5, log_every_n_steps=2, enable_progress_bar=False,
                    enable_model_summary=False)
trainer.fit(Classifier(), train_loader, val_loader)"""),
    ("code", """\
lightning_run = jt.load_run(logger.experiment.path)
print(lightning_run.state, lightning_run.config, f"val/acc {lightning_run.summary['val/acc']:.2f}")
jt.artifact(f"{PROJECT}/model-{lightning_run.id}:best").files()"""),
    ("md", """\
## Hugging Face transformers

`JupyterTrackCallback` goes in the Trainer's `callbacks` (with `report_to="none"` so no other tracker is
asked for). The run's config holds the model's config and the `TrainingArguments`; `loss` becomes
`train/loss`, `eval_loss` `eval/loss`, at the trainer's global step. `log_model="end"` keeps the trained
model (`save_pretrained`) as an artifact."""),
    ("code", """\
from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments

from jupyter_track.integrations.huggingface import JupyterTrackCallback


class Tokens(torch.utils.data.Dataset):
    \"\"\"Six token ids per example; the label: is the first one in the upper half of the vocabulary?\"\"\"

    def __init__(self, n, seed):
        self.ids = torch.randint(0, 32, (n, 6), generator=torch.Generator().manual_seed(seed))

    def __len__(self):
        return len(self.ids)

    def __getitem__(self, i):
        return {"input_ids": self.ids[i], "attention_mask": torch.ones(6, dtype=torch.long),
                "labels": int(self.ids[i, 0] >= 16)}


model = BertForSequenceClassification(BertConfig(vocab_size=32, hidden_size=16, num_hidden_layers=1,
                                                 num_attention_heads=2, intermediate_size=32,
                                                 max_position_embeddings=8))
args = TrainingArguments("hf-out", report_to="none", num_train_epochs=3, per_device_train_batch_size=16,
                         learning_rate=5e-3, logging_steps=2, eval_strategy="epoch", save_strategy="no",
                         use_cpu=True, disable_tqdm=True, run_name="huggingface")
hf_callback = JupyterTrackCallback(project=PROJECT, log_model="end")
Trainer(model=model, args=args, train_dataset=Tokens(128, 0), eval_dataset=Tokens(64, 1),
        callbacks=[hf_callback]).train()"""),
    ("md", """\
## Keras 3

Keras' callbacks log to the run `jt.init()` started: `JupyterTrackMetricsLogger` the epoch metrics and the
learning rate (every `log_freq` batches too, when asked), `JupyterTrackModelCheckpoint` (Keras'
`ModelCheckpoint`, same arguments) each saved file as an artifact version."""),
    ("code", """\
import keras

from jupyter_track.integrations.keras import JupyterTrackMetricsLogger, JupyterTrackModelCheckpoint

keras_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(16, activation="relu"),
                                keras.layers.Dense(1, activation="sigmoid")])
keras_model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy", metrics=["accuracy"])
with jt.init(project=PROJECT, name="keras", config={"optimizer": "adam", "lr": 1e-2}) as keras_run:
    keras_model.fit(X, y, epochs=5, batch_size=32, validation_split=0.25, verbose=0,
                    callbacks=[JupyterTrackMetricsLogger(log_freq=2),
                               JupyterTrackModelCheckpoint("keras/model.keras", save_best_only=True)])"""),
    ("md", """\
## XGBoost and LightGBM

The boosting callbacks log each round's evaluation metrics at the round's step, and when training ends the
feature importance as a table."""),
    ("code", """\
import lightgbm
import xgboost

from jupyter_track.integrations.lightgbm import JupyterTrackLightGBMCallback
from jupyter_track.integrations.xgboost import JupyterTrackXGBoostCallback

features = ["signal", "weak", "noise_a", "noise_b"]
params = {"objective": "binary:logistic", "eval_metric": "logloss", "max_depth": 2}
with jt.init(project=PROJECT, name="xgboost", config=params):
    dtrain = xgboost.DMatrix(X[:192], y[:192], feature_names=features)
    dvalid = xgboost.DMatrix(X[192:], y[192:], feature_names=features)
    xgboost.train(params, dtrain, 20, evals=[(dtrain, "train"), (dvalid, "valid")], verbose_eval=False,
                  callbacks=[JupyterTrackXGBoostCallback()])

params = {"objective": "binary", "num_leaves": 4, "verbose": -1}
with jt.init(project=PROJECT, name="lightgbm", config=params) as lgb_run:
    train_set = lightgbm.Dataset(X[:192], y[:192], feature_name=features)
    lightgbm.train(params, train_set, 20, valid_sets=[lightgbm.Dataset(X[192:], y[192:], reference=train_set)],
                   callbacks=[JupyterTrackLightGBMCallback()])
jt.load_run(lgb_run.path).table("feature_importance")"""),
    ("md", """\
## scikit-learn

`jt.sklearn` is W&B's `wandb.sklearn`: `plot_classifier` logs, in one step, the charts W&B logs for a fitted
classifier (feature importances, confusion matrix, summary metrics, class proportions, calibration curve, ROC,
precision-recall), computed with scikit-learn; `plot_regressor` and `plot_clusterer` do the same for regressors and
clusterers, and each chart has its own function (`plot_roc`, `plot_confusion_matrix`, `plot_learning_curve`, …).
They log to the active run; the live panel draws the charts, and each one's data reads back as a DataFrame."""),
    ("code", """\
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

x_train, x_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
forest = RandomForestClassifier(n_estimators=50, max_depth=3, random_state=0).fit(x_train, y_train)
with jt.init(project=PROJECT, name="sklearn", config={"n_estimators": 50, "max_depth": 3}) as sk_run:
    jt.sklearn.plot_classifier(forest, x_train, x_test, y_train, y_test, forest.predict(x_test),
                               forest.predict_proba(x_test), labels=["negative", "positive"],
                               model_name="RandomForest", feature_names=features)
jt.load_run(sk_run.path).media("summary_metrics")[-1][2].to_pandas()"""),
    ("md", """\
## Every run of the demo

One row per framework; the Runs sidebar shows the same runs, and `jt.compare` overlays their curves."""),
    ("code", """\
jt.runs(PROJECT, order="created_at").to_pandas()[["name", "state", "duration"]]"""),
]


if __name__ == "__main__":
    raise SystemExit(main(OUT, CELLS, "scripts/make_integrations_notebook.py"))
