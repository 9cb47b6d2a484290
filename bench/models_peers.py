#!/usr/bin/python3
"""Peers of `hps-bench mlp-xgb`: scikit-learn's MLPClassifier/MLPRegressor and Python
xgboost, on the same data prepared the same way, printing the same result line.

    /usr/bin/python3 bench/models_peers.py mlp data/digits.csv --repeat 5 [name=value ...]
    /usr/bin/python3 bench/models_peers.py xgboost data/diamonds.csv --repeat 3 [name=value ...]

Parameters use hps's names (see objectives/model.h) and hps's defaults. Preparation, as
in bench/mlp_xgb.c: rows with index % 5 == 4 are the test set; string columns
become the rank of their value among the column's distinct values; for the mlp,
features are standardised on the training rows. Run r uses seed r (random_state /
seed). Timed is the fit alone (for xgboost: xgb.DMatrix + xgb.train), in wall time and
in the process's CPU time (time.process_time, all threads).
"""
import argparse
import csv
import statistics
import time

import numpy as np

MLP_DEFAULTS = {"hidden_layers": 1, "hidden_size": 100, "learning_rate": 1e-3, "epochs": 200,
                "batch_size": 200, "weight_decay": 1e-4, "beta1": 0.9, "beta2": 0.999,
                "epsilon": 1e-8, "tol": 1e-4, "n_iter_no_change": 10}
XGB_DEFAULTS = {"max_depth": 6, "eta": 0.3, "n_rounds": 100, "subsample": 1.0,
                "colsample_bytree": 1.0, "min_child_weight": 1.0, "lambda": 1.0,
                "alpha": 0.0, "gamma": 0.0, "max_bin": 256, "nthread": 1}


def load(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header, rows = rows[0], rows[1:]
    classification = header[-1] == "label"
    cols = []
    for j in range(len(header) - 1):
        values = [r[j] for r in rows]
        try:
            cols.append([float(v) for v in values])
        except ValueError:
            rank = {v: i for i, v in enumerate(sorted(set(values)))}
            cols.append([float(rank[v]) for v in values])
    X = np.array(cols).T.copy()
    y = np.array([float(r[-1]) for r in rows])
    test = np.arange(len(rows)) % 5 == 4
    return X[~test], y[~test], X[test], y[test], classification


def fit_mlp(p, Xtr, ytr, seed, classification):
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    cls = MLPClassifier if classification else MLPRegressor
    model = cls(hidden_layer_sizes=(int(p["hidden_size"]),) * int(p["hidden_layers"]),
                activation="relu", solver="adam", alpha=p["weight_decay"],
                batch_size=int(p["batch_size"]), learning_rate_init=p["learning_rate"],
                max_iter=int(p["epochs"]), tol=p["tol"], random_state=seed,
                beta_1=p["beta1"], beta_2=p["beta2"], epsilon=p["epsilon"],
                n_iter_no_change=int(p["n_iter_no_change"]))
    return model.fit(Xtr, ytr)


def fit_xgb(p, Xtr, ytr, seed, classification):
    import xgboost as xgb
    params = {k: v for k, v in p.items() if k != "n_rounds"}
    params.update(tree_method="hist", seed=seed, verbosity=0, nthread=int(p["nthread"]))
    n_classes = len(set(ytr)) if classification else 0
    if n_classes == 0:
        params["objective"] = "reg:squarederror"
    elif n_classes == 2:
        params["objective"] = "binary:logistic"
    else:
        params.update(objective="multi:softprob", num_class=n_classes)
    return xgb.train(params, xgb.DMatrix(Xtr, label=ytr), num_boost_round=int(p["n_rounds"]))


def score(model, kind, Xte, yte, classification):
    if kind == "xgboost":
        import xgboost as xgb
        pred = model.predict(xgb.DMatrix(Xte))
        if classification:
            pred = pred.argmax(axis=1) if pred.ndim == 2 else (pred > 0.5).astype(float)
    else:
        pred = model.predict(Xte)
    if classification:
        return float(np.mean(pred == yte))
    return float(np.sqrt(np.mean((pred - yte) ** 2)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model", choices=["mlp", "xgboost"])
    ap.add_argument("data")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("params", nargs="*", help="name=value")
    args = ap.parse_intermixed_args()
    p = dict(MLP_DEFAULTS if args.model == "mlp" else XGB_DEFAULTS)
    for kv in args.params:
        k, v = kv.split("=", 1)
        if k not in p:
            raise SystemExit("unknown parameter " + k)
        # XGBoost rejects "8.0" for an integer parameter: keep the default's type.
        p[k] = int(float(v)) if isinstance(p[k], int) else float(v)
    Xtr, ytr, Xte, yte, classification = load(args.data)
    if args.model == "mlp":
        mean, sd = Xtr.mean(axis=0), Xtr.std(axis=0)
        sd[sd == 0] = 1.0
        Xtr, Xte = (Xtr - mean) / sd, (Xte - mean) / sd
    fit = fit_mlp if args.model == "mlp" else fit_xgb
    secs, cpu, scores = [], [], []
    for r in range(args.repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        model = fit(p, Xtr, ytr, r, classification)
        cpu.append(time.process_time() - c0)
        secs.append(time.perf_counter() - t0)
        scores.append(score(model, args.model, Xte, yte, classification))
    print("py %s %s: fit secs median %.3f [%s], cpu secs median %.3f, test %s mean %.4f, "
          "train %d test %d"
          % (args.model, args.data, statistics.median(secs), " ".join("%.3f" % s for s in secs),
             statistics.median(cpu), "accuracy" if classification else "rmse",
             statistics.mean(scores), len(ytr), len(yte)))


if __name__ == "__main__":
    main()
