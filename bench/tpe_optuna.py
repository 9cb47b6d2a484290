#!/usr/bin/python3
"""Optuna's side of the TPE benchmarks (bench/tpe.sh runs both sides).

    tpe_optuna.py cost    [--sizes 100,1000,2000] [--reps N] [--univariate]
    tpe_optuna.py quality [--seeds N] [--trials N] [--workers N]
                                [--sampler tpe|random] [--univariate] [--functions a,b]

The spaces, objectives and parallel simulation mirror bench/tpe.c: the cost
space has 6 floats, a log float, an int and a categorical; quality runs branin,
hartmann3, ackley (4-d), rastrigin (4-d), six-hump camel and a mixed log/int/
categorical/step space, with `workers` trials outstanding (ask/tell, the oldest told
first, constant_liar=True when workers > 1). Output lines match the C driver's; quality
also prints each function's per-seed regrets (`seeds fn=... regrets=r0,r1,...`, seed
order) for bench/tpe_quality_stats.py.
"""
import argparse
import math
import statistics
import time
import warnings

import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

warnings.filterwarnings("ignore")
optuna.logging.set_verbosity(optuna.logging.ERROR)
F = FloatDistribution


def branin(x):
    b, c, t = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 1 / (8 * math.pi)
    return (x[1] - b * x[0] ** 2 + c * x[0] - 6) ** 2 + 10 * (1 - t) * math.cos(x[0]) + 10


def hartmann3(x):
    alpha = [1.0, 1.2, 3.0, 3.2]
    a = [[3, 10, 30], [0.1, 10, 35], [3, 10, 30], [0.1, 10, 35]]
    p = [[0.3689, 0.1170, 0.2673], [0.4699, 0.4387, 0.7470],
         [0.1091, 0.8732, 0.5547], [0.0381, 0.5743, 0.8828]]
    return -sum(alpha[i] * math.exp(-sum(a[i][j] * (x[j] - p[i][j]) ** 2 for j in range(3)))
                for i in range(4))


def ackley(x):
    n = len(x)
    sq = sum(v * v for v in x)
    cs = sum(math.cos(2 * math.pi * v) for v in x)
    return -20 * math.exp(-0.2 * math.sqrt(sq / n)) - math.exp(cs / n) + 20 + math.e


def rastrigin(x):
    return 10.0 * len(x) + sum(v * v - 10 * math.cos(2 * math.pi * v) for v in x)


def camel(x):
    a, b = x
    return (4 - 2.1 * a * a + a ** 4 / 3) * a * a + a * b + (-4 + 4 * b * b) * b * b


def mixed(x):
    pen = [0.8, 0.3, 0, 0.5, 1.0]
    l, n = math.log10(x[0]) + 2.5, (x[1] - 37) / 20
    return l * l + n * n + pen[int(x[2])] + (x[3] - 0.3) ** 2 + (x[4] - 0.65) ** 2


def rosenbrock(x):
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(len(x) - 1))


def sphere(x):
    return sum(v * v for v in x)


def box(n, lo, hi):
    return [(f"x{i}", F(lo, hi)) for i in range(n)]


FUNCTIONS = {
    "branin": (branin, [("x0", F(-5, 10)), ("x1", F(0, 15))], 0.39788735772973816),
    "hartmann3": (hartmann3, box(3, 0, 1), -3.8627797873327),
    "ackley": (ackley, box(4, -32.768, 32.768), 0.0),
    "rastrigin": (rastrigin, box(4, -5.12, 5.12), 0.0),
    "camel": (camel, [("x0", F(-3, 3)), ("x1", F(-2, 2))], -1.0316284534898774),
    "mixed": (mixed, [("lr", F(1e-5, 1, log=True)), ("n", IntDistribution(1, 100)),
                      ("c", CategoricalDistribution([0, 1, 2, 3, 4])), ("x", F(-1, 1)),
                      ("s", F(0, 1, step=0.05))], 0.0),
}

COST_SPACE = [(n, F(-5, 5)) for n in "abcdef"] + [
    ("lr", F(1e-4, 1, log=True)), ("n", IntDistribution(1, 100)),
    ("k", CategoricalDistribution([0, 1, 2, 3]))]


def cost_obj(x):
    v = sum((x[i] - 1) ** 2 for i in range(6))
    return v + (math.log10(x[6]) + 2) ** 2 + ((x[7] - 30) / 30) ** 2 + (0 if x[8] == 1 else 1)


# Outside the suite (only when named by --functions), as in bench/tpe.c: checks
# that choices tuned on the six above carry over.
EXTRA = {
    "rosenbrock": (rosenbrock, box(4, -5, 10), 0.0),
    "sphere": (sphere, box(8, -5.12, 5.12), 0.0),
    "cost": (cost_obj, COST_SPACE, 0.0),
}


def suggest(trial, space):
    return [trial._suggest(name, dist) for name, dist in space]


def make_sampler(args, seed, workers):
    if args.sampler == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed, multivariate=not args.univariate,
                                      constant_liar=workers > 1)


def run_cost(args):
    for n in [int(s) for s in args.sizes.split(",")]:
        study = optuna.create_study(sampler=make_sampler(args, 1, 1))
        rnd = optuna.samplers.RandomSampler(seed=99)
        dists = dict(COST_SPACE)
        trials = []
        for _ in range(n):
            params = {name: rnd.sample_independent(None, None, name, d) for name, d in COST_SPACE}
            trials.append(optuna.trial.create_trial(
                params=params, distributions=dists,
                value=cost_obj([params[k] for k, _ in COST_SPACE])))
        study.add_trials(trials)
        cpu, wall = [], []
        for _ in range(args.reps):
            c0, w0 = time.process_time(), time.perf_counter()
            trial = study.ask()
            x = suggest(trial, COST_SPACE)
            cpu.append(1e3 * (time.process_time() - c0))
            wall.append(1e3 * (time.perf_counter() - w0))
            study.tell(trial, cost_obj(x))
        mode = "univariate" if args.univariate else "multivariate"
        print(f"cost optuna-{mode} n={n} cpu_median_ms={statistics.median(cpu):.4f} "
              f"wall_median_ms={statistics.median(wall):.4f}", flush=True)


def run_study(fn, space, args, seed):
    study = optuna.create_study(sampler=make_sampler(args, seed, args.workers))
    pending, best = [], math.inf
    for t in range(args.trials + 1):
        while pending and (len(pending) >= args.workers or t == args.trials):
            trial, x = pending.pop(0)
            v = fn(x)
            study.tell(trial, v)
            best = min(best, v)
        if t == args.trials:
            break
        trial = study.ask()
        pending.append((trial, suggest(trial, space)))
    return best


def run_quality(args):
    chosen = args.functions.split(",") if args.functions else list(FUNCTIONS)
    for name, (fn, space, opt) in {**FUNCTIONS, **EXTRA}.items():
        if name not in chosen:
            continue
        t0 = time.perf_counter()
        reg = [run_study(fn, space, args, s) - opt for s in range(args.seeds)]
        label = args.sampler if args.sampler == "random" else \
            "tpe-uni" if args.univariate else "tpe-multi"
        print(f"quality fn={name} sampler=optuna-{label} workers={args.workers} "
              f"seeds={args.seeds} trials={args.trials} "
              f"median_regret={statistics.median(reg):.6g} mean_regret={statistics.mean(reg):.6g} "
              f"secs={time.perf_counter() - t0:.2f}", flush=True)
        print(f"seeds fn={name} sampler=optuna-{label} workers={args.workers} "
              f"regrets={','.join(f'{r:.10g}' for r in reg)}", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["cost", "quality"])
    ap.add_argument("--sizes", default="100,1000,2000")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--sampler", default="tpe", choices=["tpe", "random"])
    ap.add_argument("--univariate", action="store_true")
    ap.add_argument("--functions", default="")
    args = ap.parse_args()
    run_cost(args) if args.mode == "cost" else run_quality(args)


if __name__ == "__main__":
    main()
