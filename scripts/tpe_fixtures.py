#!/usr/bin/python3
"""Reference log-densities for hps's TPE, computed by Optuna's own Parzen estimator.

Each case is a search space and a trial history (COMPLETE, PRUNED, RUNNING, FAIL).
The history is split into below/above exactly as Optuna's TPESampler does it
(_get_observation_pairs scores with constant liar on, _split_observation_pairs with
default_gamma, default_weights inside _ParzenEstimator), and the log_pdf of both
estimators is written at a set of points. tpe_test (samplers/tpe_test.c) rebuilds the
same estimators through the sampler and compares.

Usage: /usr/bin/python3 scripts/tpe_fixtures.py [OUTDIR]   (default tests/fixtures)

Output format, one file per case (tests/fixtures/tpe_NAME.txt), whitespace separated:
    multivariate 0|1
    direction 1|-1                       (1 minimize, -1 maximize)
    params K
    param NAME KIND LOW HIGH STEP LOG NCHOICES   (KIND float|int|cat; STEP 0 = none)
    trials T
    trial STATE VALUE X1..XK             (internal values: numbers, choice indexes)
    points M
    point X1..XK L.. G..                 (multivariate: one L and one G; else K of each)
Pruned trials all report their last value at step 1 (hps ranks pruned trials by value
only, after every complete trial; Optuna agrees when the steps are equal).
"""
import math
import os
import sys

import numpy as np
import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.samplers._tpe import parzen_estimator as pe_mod
from optuna.samplers._tpe.parzen_estimator import _ParzenEstimator, _ParzenEstimatorParameters
from optuna.samplers._tpe.sampler import _split_observation_pairs, default_gamma, default_weights

# Optuna sorts kernel centres with np.argsort's default (unstable for long arrays); the
# C side breaks ties by trial order. Check every sort we rely on was tie-free or stable.
_orig_argsort = np.argsort


def _checked_argsort(a, *args, **kw):
    out = _orig_argsort(a, *args, **kw)
    if not args and not kw and np.ndim(a) == 1:
        if not (out == _orig_argsort(a, kind="stable")).all():
            print("TIE", a, out, file=sys.stderr); raise AssertionError("tie order differs")
    return out


pe_mod.np.argsort = _checked_argsort


def dist_line(name, d):
    if isinstance(d, CategoricalDistribution):
        return f"param {name} cat 0 {len(d.choices) - 1} 0 0 {len(d.choices)}"
    kind = "int" if isinstance(d, IntDistribution) else "float"
    step = d.step if d.step is not None else 0
    return f"param {name} {kind} {d.low!r} {d.high!r} {step!r} {int(d.log)} 0"


def draw(rng, d):
    if isinstance(d, CategoricalDistribution):
        return int(rng.randint(len(d.choices)))
    if d.log:
        v = math.exp(rng.uniform(math.log(d.low), math.log(d.high)))
        return float(min(max(round(v), d.low), d.high)) if isinstance(d, IntDistribution) else v
    if d.step is not None:
        k = rng.randint(int(round((d.high - d.low) / d.step)) + 1)
        return float(d.low + k * d.step) if isinstance(d, FloatDistribution) else float(d.low + k * d.step)
    return float(rng.uniform(d.low, d.high))


def make_history(rng, space, n, states):
    trials = []
    for i in range(n):
        x = [draw(rng, d) for d in space.values()]
        val = sum((float(v) - 0.3 * j) ** 2 for j, v in enumerate(x)) / len(x)
        val = round(val, 3) if i % 7 == 3 else val  # a few ties in the values
        trials.append((states(i), val, x))
    return trials


def estimators(space, trials, direction, multivariate):
    sign = 1 if direction == 1 else -1
    scores, values = [], {k: [] for k in space}
    for state, val, x in trials:
        if state == "FAIL":
            continue
        if state == "COMPLETE":
            score = (-float("inf"), [sign * val])
        elif state == "PRUNED":
            score = (-1, [sign * val])
        else:
            score = (float("inf"), [float("inf")])
        scores.append(score)
        for k, v in zip(space, x):
            values[k].append(v)
    n = sum(s < float("inf") for s, _ in scores)
    below_idx, above_idx = _split_observation_pairs(scores, default_gamma(n), None)
    params = _ParzenEstimatorParameters(True, 1.0, True, False, default_weights, multivariate)
    out = []
    names = list(space)
    groups = [names] if multivariate else [[k] for k in names]
    for group in groups:
        sub = {k: space[k] for k in group}
        cfg = {k: np.asarray(values[k], dtype=float) for k in group}
        below = {k: v[below_idx] for k, v in cfg.items()}
        above = {k: v[above_idx] for k, v in cfg.items()}
        out.append((group, _ParzenEstimator(below, sub, params), _ParzenEstimator(above, sub, params)))
    return out


def write_case(outdir, name, space, trials, direction, multivariate, n_points, rng):
    points = [[draw(rng, d) for d in space.values()] for _ in range(n_points)]
    ests = estimators(space, trials, direction, multivariate)
    lines = [f"multivariate {int(multivariate)}", f"direction {direction}", f"params {len(space)}"]
    lines += [dist_line(k, d) for k, d in space.items()]
    lines.append(f"trials {len(trials)}")
    for state, val, x in trials:
        lines.append(f"trial {state} {val!r} " + " ".join(repr(float(v)) for v in x))
    lines.append(f"points {n_points}")
    names = list(space)
    ls, gs = [], []
    for group, l_est, g_est in ests:
        sd = {k: np.asarray([p[names.index(k)] for p in points], dtype=float) for k in group}
        for k, d in space.items():
            if k in sd and isinstance(d, CategoricalDistribution):
                sd[k] = sd[k].astype(int)
        ls.append(l_est.log_pdf(sd))
        gs.append(g_est.log_pdf(sd))
    for i, p in enumerate(points):
        cols = [repr(float(v)) for v in p] + [repr(float(l[i])) for l in ls]
        cols += [repr(float(g[i])) for g in gs]
        lines.append("point " + " ".join(cols))
    path = os.path.join(outdir, f"tpe_{name}.txt")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(path)


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures"
    os.makedirs(outdir, exist_ok=True)
    rng = np.random.RandomState(20240601)
    complete = lambda i: "COMPLETE"
    mixed_states = lambda i: ["COMPLETE", "COMPLETE", "PRUNED", "COMPLETE", "RUNNING", "COMPLETE", "FAIL"][i % 7]
    f = FloatDistribution
    singles = {
        "float": ({"x": f(-5.0, 10.0)}, 40),
        "logfloat": ({"lr": f(1e-4, 1.0, log=True)}, 40),
        "int": ({"n": IntDistribution(1, 20)}, 16),
        "stepfloat": ({"s": f(0.0, 1.0, step=0.1)}, 16),
        "stepint": ({"k": IntDistribution(50, 500, step=50)}, 14),
        "logint": ({"u": IntDistribution(1, 1000, log=True)}, 16),
        "cat": ({"c": CategoricalDistribution(["a", "b", "c", "d"])}, 40),
    }
    for name, (space, n) in singles.items():
        write_case(outdir, name, space, make_history(rng, space, n, complete), 1, False, 12, rng)
    mixed = {
        "a": f(-5.0, 10.0),
        "lr": f(1e-4, 1.0, log=True),
        "n": IntDistribution(1, 20),
        "s": f(0.0, 1.0, step=0.1),
        "c": CategoricalDistribution(["x", "y", "z"]),
        "u": IntDistribution(1, 1000, log=True),
    }
    hist = make_history(rng, mixed, 40, mixed_states)
    write_case(outdir, "mixed_multi", mixed, hist, -1, True, 16, rng)
    hist = make_history(rng, mixed, 15, mixed_states)
    write_case(outdir, "mixed_uni", mixed, hist, -1, False, 16, rng)
    # A long history: the good set is capped at 25 and the bad set's weights ramp.
    hist = make_history(rng, mixed, 400, mixed_states)
    write_case(outdir, "long_multi", mixed, hist, 1, True, 16, rng)
    cont = {"a": f(-5.0, 10.0), "lr": f(1e-4, 1.0, log=True), "c": CategoricalDistribution([1, 2, 3])}
    hist = make_history(rng, cont, 300, complete)
    write_case(outdir, "long_uni", cont, hist, 1, False, 16, rng)
    print("optuna", optuna.__version__)


if __name__ == "__main__":
    main()
