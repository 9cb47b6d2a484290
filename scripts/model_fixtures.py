#!/usr/bin/python3
"""Reference solutions from scikit-learn for the logreg and ridge unit tests.

Writes tests/fixtures/{logreg_binary,logreg_multi,ridge,ols}.txt. Each file is plain
numbers, whitespace separated:

    n d n_classes reg           (reg = C for logreg, alpha for ridge)
    n lines: d features, then the label or target
    coefficient lines: intercept then d weights (one line per weight vector)

Run from the repo root: /usr/bin/python3 scripts/model_fixtures.py
"""
import sys

import numpy as np
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge


def write(path, X, y, k, reg, intercepts, coefs):
    with open(path, "w") as f:
        f.write("%d %d %d %.17g\n" % (X.shape[0], X.shape[1], k, reg))
        for row, target in zip(X, y):
            f.write(" ".join("%.17g" % v for v in row) + " %.17g\n" % target)
        for b, w in zip(intercepts, coefs):
            f.write("%.17g " % b + " ".join("%.17g" % v for v in w) + "\n")


def main():
    rng = np.random.RandomState(0)
    n, d = 40, 5
    X = rng.normal(size=(n, d)) * np.array([1.0, 2.0, 0.5, 1.0, 3.0])
    w = np.array([1.0, -0.5, 2.0, 0.0, 0.3])
    noise = rng.normal(size=n)
    y2 = (X @ w + noise > 0.2).astype(int)
    lr = LogisticRegression(C=0.7, solver="lbfgs", tol=1e-12, max_iter=100000).fit(X, y2)
    write("tests/fixtures/logreg_binary.txt", X, y2, 2, 0.7, lr.intercept_, lr.coef_)

    s = X @ w + noise
    y3 = np.digitize(s, np.quantile(s, [1 / 3, 2 / 3]))
    lr = LogisticRegression(C=2.0, solver="lbfgs", tol=1e-12, max_iter=100000).fit(X, y3)
    write("tests/fixtures/logreg_multi.txt", X, y3, 3, 2.0, lr.intercept_, lr.coef_)

    yr = X @ w + 0.1 * noise + 3.0
    rd = Ridge(alpha=0.5).fit(X, yr)
    write("tests/fixtures/ridge.txt", X, yr, 0, 0.5, [rd.intercept_], [rd.coef_])
    ols = LinearRegression().fit(X, yr)
    write("tests/fixtures/ols.txt", X, yr, 0, 0.0, [ols.intercept_], [ols.coef_])
    return 0


if __name__ == "__main__":
    sys.exit(main())
