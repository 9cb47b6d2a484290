#!/usr/bin/python3
"""The peer side of the end-to-end scenario: Optuna + scikit-learn on the reviews data.

Mirrors `hps run configs/reviews.yaml strategy=rigorous model=logreg n_trials=100 -j 2`:
TPE (seed 42) over C in [1e-2, 100] (log) and min_df in {1, 2, 3}; each trial is a
stratified 5-fold cross-validation (cross_val_score, n_jobs=2) of a TfidfVectorizer +
LogisticRegression pipeline on the training part, so the vectorizer is refitted per
fold exactly as hps does; the best parameters are then refit on the whole training
part and scored once on the test part (the file's `split` column). Prints the wall
time, the best CV mean ± std, the test accuracy, and a JSON line.

    /usr/bin/python3 bench/scenario_optuna.py [--trials 100] [--jobs 2]
"""
import argparse
import csv
import json
import re
import sys
import time

import numpy as np
import optuna
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline

MARKUP = re.compile(r"<[a-zA-Z/][^<>]{0,98}>|&#?[a-zA-Z0-9]{1,10};")


def clean(s):
    return MARKUP.sub(" ", s).lower()


def load(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    part = lambda test: [r for r in rows if (r["split"] == "test") == test]
    train, test = part(False), part(True)
    return ([r["text"] for r in train], np.array([int(r["label"]) for r in train]),
            [r["text"] for r in test], np.array([int(r["label"]) for r in test]))


def pipeline(C, min_df, max_iter):
    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=min_df,
                          preprocessor=clean)
    return make_pipeline(vec, LogisticRegression(C=C, solver="lbfgs", max_iter=max_iter))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default="data/reviews.csv")
    p.add_argument("--trials", type=int, default=100)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--max_iter", type=int, default=200)
    args = p.parse_args()
    xtr, ytr, xte, yte = load(args.data)
    folds = StratifiedKFold(n_splits=args.folds, shuffle=True, random_state=0)

    def objective(trial):
        C = trial.suggest_float("C", 1e-2, 100, log=True)
        min_df = trial.suggest_int("min_df", 1, 3)
        scores = cross_val_score(pipeline(C, min_df, args.max_iter), xtr, ytr, cv=folds,
                                 scoring="accuracy", n_jobs=args.jobs)
        trial.set_user_attr("std", float(scores.std()))
        return float(scores.mean())

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    t0 = time.perf_counter()
    study = optuna.create_study(direction="maximize",
                                sampler=optuna.samplers.TPESampler(seed=42))
    study.optimize(objective, n_trials=args.trials)
    search = time.perf_counter() - t0
    best = study.best_trial
    model = pipeline(best.params["C"], best.params["min_df"], args.max_iter).fit(xtr, ytr)
    test = float((model.predict(xte) == yte).mean())
    wall = time.perf_counter() - t0
    print("optuna+sklearn  %d trials x %d folds, n_jobs=%d: wall %.1f s (search %.1f s)"
          % (args.trials, args.folds, args.jobs, wall, search))
    print("best cv %.4f ± %.4f  C=%.4g min_df=%d  test accuracy %.4f"
          % (best.value, best.user_attrs["std"], best.params["C"], best.params["min_df"], test))
    print(json.dumps({"impl": "optuna+sklearn", "trials": args.trials, "folds": args.folds,
                      "jobs": args.jobs, "wall_s": wall, "search_s": search,
                      "best_cv": best.value, "best_cv_std": best.user_attrs["std"],
                      "params": best.params, "test_accuracy": test}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
