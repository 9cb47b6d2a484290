#!/usr/bin/python3
"""Optuna's side of the real-HPO benchmark (bench/hpo.sh runs both sides).

    hpo_optuna.py HPS_BENCH CONFIG --name NAME [--seeds 20] [--seed0 0] [--trials 50]
                  [--sampler tpe|tpe-multi|random]

For each seed s (seed0, seed0+1, ...) Optuna's sampler, seeded with s, runs `trials`
trials of the study in CONFIG; every trial is evaluated by `HPS_BENCH objective CONFIG
sampler.seed=s` over a pipe, so Optuna trains exactly hps's model with hps's data
split, folds and per-trial seeds (trial k gets the seed hps gives trial k). Prints the
lines bench/tpe_quality_stats.py reads: the regret of a study is its best value for a
metric to minimise, 1 - best for one to maximise (accuracy), labelled `optuna-NAME`.
"""
import argparse
import json
import math
import statistics
import subprocess
import warnings

import optuna

warnings.filterwarnings("ignore")
optuna.logging.set_verbosity(optuna.logging.ERROR)


class Served:
    """The study's objective through `hps-bench objective`."""

    def __init__(self, hps_bench, config, seed):
        self.proc = subprocess.Popen([hps_bench, "objective", config, f"sampler.seed={seed}"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.spec = json.loads(self.proc.stdout.readline())

    def __call__(self, values):
        self.proc.stdin.write(json.dumps(values) + "\n")
        self.proc.stdin.flush()
        return float(self.proc.stdout.readline())

    def close(self):
        self.proc.stdin.close()
        if self.proc.wait() != 0:
            raise SystemExit(f"hps-bench objective exited {self.proc.returncode}")


def suggest(trial, p):
    if p["type"] == "categorical":
        return trial.suggest_categorical(p["name"], p["choices"])
    if p["type"] == "int":
        return trial.suggest_int(p["name"], int(p["low"]), int(p["high"]),
                                 step=1 if p["log"] else int(p["step"]), log=p["log"])
    step = p["step"] if p["step"] > 0 and not p["log"] else None
    return trial.suggest_float(p["name"], p["low"], p["high"], step=step, log=p["log"])


def make_sampler(name, seed):
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed, multivariate=name == "tpe-multi")


def one_study(args, seed):
    served = Served(args.hps_bench, args.config, seed)
    spec = served.spec

    def objective(trial):
        value = served({p["name"]: suggest(trial, p) for p in spec["params"]})
        return value if math.isfinite(value) else float("nan")

    study = optuna.create_study(direction=spec["direction"],
                                sampler=make_sampler(args.sampler, seed))
    study.optimize(objective, n_trials=args.trials)
    served.close()
    best = study.best_value
    return best if spec["direction"] == "minimize" else 1 - best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("hps_bench")
    ap.add_argument("config")
    ap.add_argument("--name", required=True)
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--seed0", type=int, default=0)
    ap.add_argument("--trials", type=int, default=50)
    ap.add_argument("--sampler", default="tpe", choices=["tpe", "tpe-multi", "random"])
    args = ap.parse_args()
    regrets = [one_study(args, args.seed0 + k) for k in range(args.seeds)]
    fn, label = f"{args.name}-b{args.trials}", f"optuna-{args.sampler}"
    print(f"quality fn={fn} sampler={label} workers=1 seeds={len(regrets)} "
          f"median_regret={statistics.median(regrets):.6g} "
          f"mean_regret={statistics.mean(regrets):.6g}")
    print(f"seeds fn={fn} sampler={label} workers=1 "
          f"regrets={','.join(f'{r:.10g}' for r in regrets)}", flush=True)


if __name__ == "__main__":
    main()
