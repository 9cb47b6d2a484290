#!/usr/bin/python3
"""Train time at equal accuracy: hps logreg against scikit-learn on reviews TF-IDF.

Prints one line per implementation, the same shape as `hps-bench model`, then the
speed-up of hps over each scikit-learn solver and whether the test accuracies agree
within 0.5 points. Both sides use the file's own train/test split, TF-IDF over word
unigrams and bigrams (sublinear tf, smooth idf, L2 rows) fitted on the training rows,
and L2 logistic regression with the same C, tol and max_iter. Timed: the features
once, the fit --repeat times (median).

    /usr/bin/python3 bench/models.py --hps-bench ./hps-bench [--repeat 5] [--C 10]
    /usr/bin/python3 bench/models.py --hps-bench ./hps-bench --C 1 --hash_bits 22

--hps-bench takes the hps-bench binary (runs `hps-bench model`); without it only scikit-learn runs.
Set OPENBLAS_NUM_THREADS / OMP_NUM_THREADS in the environment to pin threads for both.
"""
import argparse
import csv
import json
import re
import statistics
import subprocess
import sys
import time

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

MARKUP = re.compile(r"<[a-zA-Z/][^<>]{0,98}>|&#?[a-zA-Z0-9]{1,10};")


def load(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    train = [r for r in rows if r["split"] != "test"]
    test = [r for r in rows if r["split"] == "test"]
    return ([r["text"] for r in train], [int(r["label"]) for r in train],
            [r["text"] for r in test], [int(r["label"]) for r in test])


def sklearn_line(args, solver):
    xtr, ytr, xte, yte = load(args.data)
    t0 = time.perf_counter()
    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=args.min_df,
                          preprocessor=lambda s: MARKUP.sub(" ", s).lower())
    a = vec.fit_transform(xtr)
    b = vec.transform(xte)
    feat = time.perf_counter() - t0
    times = []
    for _ in range(args.repeat):
        model = LogisticRegression(C=args.C, solver=solver, tol=args.tol, max_iter=args.max_iter)
        t0 = time.perf_counter()
        model.fit(a, ytr)
        times.append(time.perf_counter() - t0)
    acc = float((model.predict(b) == yte).mean())
    return {"impl": "sklearn-" + solver, "features_s": feat, "fit_s": statistics.median(times),
            "accuracy": acc, "n_features": a.shape[1], "nnz": int(a.nnz), "repeat": args.repeat}


def hps_line(args):
    cmd = [args.hps_bench, "model", "--data", args.data, "--repeat", str(args.repeat), "--json",
           "C=%g" % args.C, "tol=%g" % args.tol, "max_iter=%d" % args.max_iter,
           "min_df=%d" % args.min_df, "hash_bits=%d" % args.hash_bits]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--hps-bench", help="path to the hps-bench binary")
    p.add_argument("--data", default="data/reviews.csv")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--C", type=float, default=10.0)
    p.add_argument("--tol", type=float, default=1e-4)
    p.add_argument("--max_iter", type=int, default=100)
    p.add_argument("--min_df", type=int, default=1)
    p.add_argument("--hash_bits", type=int, default=18, help="hps hashes terms into 2^bits")
    args = p.parse_args()
    lines = [sklearn_line(args, "lbfgs"), sklearn_line(args, "liblinear")]
    if args.hps_bench:
        lines.insert(0, hps_line(args))
    for r in lines:
        print("%-18s features %.3f s  fit %.3f s (median of %d)  test accuracy %.4f  (%d features)"
              % (r["impl"], r["features_s"], r["fit_s"], r["repeat"], r["accuracy"],
                 r["n_features"]))
    if args.hps_bench:
        h = lines[0]
        for r in lines[1:]:
            same = abs(h["accuracy"] - r["accuracy"]) <= 0.005
            print("hps vs %-16s fit speed-up %.1fx, accuracy %+.2f points (%s)"
                  % (r["impl"], r["fit_s"] / h["fit_s"], 100 * (h["accuracy"] - r["accuracy"]),
                     "equal within 0.5" if same else "NOT equal within 0.5"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
