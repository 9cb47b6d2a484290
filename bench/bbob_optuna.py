#!/usr/bin/python3
"""Optuna's side of the BBOB benchmark (bench/bbob.sh runs both sides).

    bbob_optuna.py HPS_BENCH [--functions 1-24] [--dims 2,5] [--budgets 50,100]
                   [--instances 5] [--seeds 6] [--workers 1] [--seed0 0]
                   [--sampler tpe|tpe-multi|random] [--cats K [--levels M]]

The same studies as `hps-bench bbob quality` (study k: instance 1 + k // seeds,
sampler seed seed0 + k, run to the largest budget, `workers` trials outstanding with
the oldest told first and constant_liar=True when workers > 1), with Optuna's sampler
at its defaults (TPESampler: univariate, 10 startup trials; tpe-multi: multivariate).
The functions are evaluated by `HPS_BENCH bbob serve` over a pipe, so both sides
optimise exactly the same problems. --cats K: x0..x{K-1} categorical with M choices
(default 4), choice k standing for -5 + 10 k / (M - 1), as `hps-bench bbob quality
--cats` maps them. Output lines match the C driver's, with the sampler labelled
`optuna-NAME`.
"""
import argparse
import math
import statistics
import subprocess
import warnings

import optuna

warnings.filterwarnings("ignore")
optuna.logging.set_verbosity(optuna.logging.ERROR)


def int_list(text):
    out = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out.extend(range(int(lo), int(hi or lo) + 1))
    return out


class Bbob:
    """f(x) - f_opt through `hps-bench bbob serve`."""

    def __init__(self, hps_bench):
        self.proc = subprocess.Popen([hps_bench, "bbob", "serve"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, bufsize=1)

    def regret(self, fn, dim, instance, x):
        self.proc.stdin.write(f"{fn} {dim} {instance} " + " ".join(repr(v) for v in x) + "\n")
        self.proc.stdin.flush()
        return float(self.proc.stdout.readline())


def make_sampler(name, seed, workers):
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed, multivariate=name == "tpe-multi",
                                      constant_liar=workers > 1)


def suggest(trial, j, args):
    if j >= args.cats:
        return trial.suggest_float(f"x{j}", -5, 5)
    k = trial.suggest_categorical(f"x{j}", [f"c{i}" for i in range(args.levels)])
    return -5 + 10 * int(k[1:]) / (args.levels - 1)


def run_study(bbob, fn, dim, instance, args, seed, top):
    study = optuna.create_study(sampler=make_sampler(args.sampler, seed, args.workers))
    pending, best, trace = [], math.inf, []
    for t in range(top + 1):
        while pending and (len(pending) >= args.workers or t == top):
            trial, x = pending.pop(0)
            v = bbob.regret(fn, dim, instance, x)
            study.tell(trial, v)
            best = min(best, v)
            trace.append(best)
        if t == top:
            break
        trial = study.ask()
        pending.append((trial, [suggest(trial, j, args) for j in range(dim)]))
    return trace


def main():
    p = argparse.ArgumentParser()
    p.add_argument("hps_bench")
    p.add_argument("--functions", default="1-24")
    p.add_argument("--dims", default="2,5")
    p.add_argument("--budgets", default="50,100")
    p.add_argument("--instances", type=int, default=5)
    p.add_argument("--seeds", type=int, default=6)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--seed0", type=int, default=0)
    p.add_argument("--sampler", default="tpe", choices=["tpe", "tpe-multi", "random"])
    p.add_argument("--cats", type=int, default=0)
    p.add_argument("--levels", type=int, default=4)
    args = p.parse_args()
    budgets = int_list(args.budgets)
    if not 2 <= args.levels <= 64 or not 0 <= args.cats <= min(int_list(args.dims)):
        p.error("--levels must be 2..64 and --cats 0..the smallest dimension")
    bbob, n, label = Bbob(args.hps_bench), args.instances * args.seeds, f"optuna-{args.sampler}"
    for dim in int_list(args.dims):
        for fn in int_list(args.functions):
            traces = [run_study(bbob, fn, dim, 1 + k // args.seeds, args, args.seed0 + k,
                                max(budgets)) for k in range(n)]
            for b in budgets:
                reg = [tr[b - 1] for tr in traces]
                print(f"quality fn=f{fn}-d{dim}-b{b} sampler={label} workers={args.workers} "
                      f"seeds={n} median_regret={statistics.median(reg):.6g} "
                      f"mean_regret={statistics.mean(reg):.6g}")
                print(f"seeds fn=f{fn}-d{dim}-b{b} sampler={label} workers={args.workers} "
                      "regrets=" + ",".join(f"{r:.10g}" for r in reg), flush=True)


if __name__ == "__main__":
    main()
