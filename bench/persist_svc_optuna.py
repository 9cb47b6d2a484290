#!/usr/bin/env python3
"""The svc_wine study (configs/examples/svc_wine) in one process with Optuna: the same
data, folds, model, space, trial count and per-fold reports, for bench/persist.sh.
Needs Debian's python3-optuna and python3-sklearn (run with /usr/bin/python3).

    /usr/bin/python3 bench/persist_svc_optuna.py [N_TRIALS]
"""
import csv
import sys

import numpy as np
import optuna
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC


def main():
    n_trials = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    with open("data/wine.csv", newline="") as f:
        rows = list(csv.reader(f))[1:]
    x = np.array([[float(v) for v in r[:-1]] for r in rows])
    y = np.array([int(r[-1]) for r in rows])
    folds = list(StratifiedKFold(n_splits=5, shuffle=True, random_state=0).split(x, y))

    def objective(trial):
        c = trial.suggest_float("C", 1e-3, 1e3, log=True)
        gamma = trial.suggest_float("gamma", 1e-4, 1.0, log=True)
        scores = []
        for k, (train, test) in enumerate(folds):
            model = make_pipeline(StandardScaler(), SVC(C=c, gamma=gamma))
            model.fit(x[train], y[train])
            scores.append(model.score(x[test], y[test]))
            trial.report(sum(scores) / len(scores), k)
        return sum(scores) / len(scores)

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(seed=1, n_startup_trials=10)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    study.optimize(objective, n_trials=n_trials)
    print("best %.5f" % study.best_value)


if __name__ == "__main__":
    main()
