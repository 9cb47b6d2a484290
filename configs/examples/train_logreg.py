#!/usr/bin/env python3
"""A small model trained through the `command` objective: logistic regression by
mini-batch SGD on a numeric CSV (label column last), standard library only.

hps gives the parameters as JSON on stdin (lr, l2, epochs, batch) and the local copy of
the study's dataset in $HPS_DATA; this script reports the validation accuracy after
each epoch as "report EPOCH VALUE" (so a pruner can stop it) and prints the final
validation accuracy as its last line. Any framework (PyTorch, a transformer) plugs in
the same way."""
import csv
import json
import math
import os
import random
import sys


def load(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header, rows = rows[0], rows[1:]
    y_col = header.index("label")
    xs = [[float(v) for i, v in enumerate(r) if i != y_col] for r in rows]
    ys = [int(r[y_col]) for r in rows]
    return xs, ys


def standardise(train, rows):
    n, d = len(train), len(train[0])
    mean = [sum(r[j] for r in train) / n for j in range(d)]
    std = [math.sqrt(sum((r[j] - mean[j]) ** 2 for r in train) / n) or 1.0 for j in range(d)]
    return [[(r[j] - mean[j]) / std[j] for j in range(d)] for r in rows]


def accuracy(w, b, xs, ys):
    hits = sum((sum(wj * xj for wj, xj in zip(w, x)) + b > 0) == (y == 1) for x, y in zip(xs, ys))
    return hits / len(ys)


def main():
    p = json.load(sys.stdin)
    xs, ys = load(os.environ["HPS_DATA"])
    order = list(range(len(ys)))
    random.Random(0).shuffle(order)          # the same split for every trial
    cut = int(0.8 * len(order))
    tr, va = order[:cut], order[cut:]
    x_tr = standardise([xs[i] for i in tr], [xs[i] for i in tr])
    x_va = standardise([xs[i] for i in tr], [xs[i] for i in va])
    y_tr, y_va = [ys[i] for i in tr], [ys[i] for i in va]
    rng = random.Random(int(os.environ.get("HPS_SEED", "0")))
    w, b = [0.0] * len(x_tr[0]), 0.0
    lr, l2, batch = p["lr"], p["l2"], int(p["batch"])
    acc = 0.0
    for epoch in range(1, int(p["epochs"]) + 1):
        idx = list(range(len(y_tr)))
        rng.shuffle(idx)
        for s in range(0, len(idx), batch):
            gw, gb = [0.0] * len(w), 0.0
            for i in idx[s:s + batch]:
                z = sum(wj * xj for wj, xj in zip(w, x_tr[i])) + b
                err = 1 / (1 + math.exp(-max(min(z, 30), -30))) - y_tr[i]
                gw = [g + err * xj for g, xj in zip(gw, x_tr[i])]
                gb += err
            m = len(idx[s:s + batch])
            w = [wj - lr * (g / m + l2 * wj) for wj, g in zip(w, gw)]
            b -= lr * gb / m
        acc = accuracy(w, b, x_va, y_va)
        print(f"report {epoch} {acc}", flush=True)
    print(acc)


if __name__ == "__main__":
    main()
