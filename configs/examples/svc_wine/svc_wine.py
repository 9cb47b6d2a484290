#!/usr/bin/env python3
"""An sklearn SVC on the wine table for hps (svc_wine.yaml): 5-fold cross-validated
accuracy of StandardScaler + SVC(C, gamma), the running mean reported after each fold.

With `persistent: true` hps starts this once per trial process and sends it trial after
trial; the imports and the CSV load below happen once. python/hps_objective.py must be
importable (the study sets PYTHONPATH: python).
"""
import csv
import os

import numpy as np
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

import hps_objective

_DATA = {}


def load(path):
    """Features and labels of a CSV whose last column is the label; cached by path."""
    if path not in _DATA:
        with open(path, newline="") as f:
            rows = list(csv.reader(f))[1:]
        x = np.array([[float(v) for v in r[:-1]] for r in rows])
        y = np.array([int(r[-1]) for r in rows])
        _DATA[path] = (x, y)
    return _DATA[path]


@hps_objective.objective
def objective(trial):
    x, y = load(trial.data or os.path.join("data", "wine.csv"))
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    scores = []
    for k, (train, test) in enumerate(folds.split(x, y)):
        model = make_pipeline(StandardScaler(),
                              SVC(C=trial.params["C"], gamma=trial.params["gamma"]))
        model.fit(x[train], y[train])
        scores.append(model.score(x[test], y[test]))
        trial.report(k, sum(scores) / len(scores))
        if trial.should_prune():
            raise hps_objective.TrialPruned()
    return sum(scores) / len(scores)
