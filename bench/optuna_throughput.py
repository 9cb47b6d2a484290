#!/usr/bin/python3
"""Optuna's durable trial throughput: P processes sharing one SQLite storage, a no-op
objective over two floats, RandomSampler. Prints JSON {"trials", "secs", "per_sec"}.
Usage: optuna_throughput.py N_TRIALS [PROCESSES]"""
import json, multiprocessing as mp, os, sys, tempfile, time

import optuna


def objective(trial):
    trial.suggest_float("x", -5, 5)
    trial.suggest_float("y", -5, 5)
    return 0.0


def work(url, n, seed):
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.load_study(study_name="noop", storage=url,
                              sampler=optuna.samplers.RandomSampler(seed=seed))
    study.optimize(objective, n_trials=n)


def main():
    n = int(sys.argv[1])
    procs = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with tempfile.TemporaryDirectory() as d:
        url = "sqlite:///" + os.path.join(d, "optuna.db")
        optuna.create_study(study_name="noop", storage=url)
        start = time.perf_counter()
        ps = [mp.Process(target=work, args=(url, n // procs, i)) for i in range(procs)]
        for p in ps:
            p.start()
        for p in ps:
            p.join()
        secs = time.perf_counter() - start
        done = len(optuna.load_study(study_name="noop", storage=url).trials)
    print(json.dumps({"trials": done, "secs": round(secs, 3), "per_sec": round(done / secs, 1)}))


if __name__ == "__main__":
    main()
