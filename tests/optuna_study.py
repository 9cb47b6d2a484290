"""Optuna's side of tests/t_optuna.sh, run with /usr/bin/python3 (Debian's python3-optuna;
no pandas).

  optuna_study.py make FILE NAME N        a study of N trials made by Optuna itself: float,
                                          log float, int, step int and categorical params,
                                          reported steps, pruned and failed trials (#12
                                          fails before it has every parameter), and one
                                          more trial left RUNNING with one parameter
  optuna_study.py cond FILE NAME          3 trials, the second without its parameter "y"
                                          (a conditional space, which hps refuses)
  optuna_study.py dump FILE NAME          every trial as one JSON line, as load_study sees it
  optuna_study.py best FILE NAME          {"number": n, "value": v} of study.best_trial
"""
import json
import sys

import optuna


def objective(trial):
    x = trial.suggest_float("x", -3.0, 3.0)
    if trial.number == 12:
        raise ValueError("failed before the other parameters")
    lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
    n = trial.suggest_int("n", 1, 8)
    width = trial.suggest_int("width", 16, 128, step=16)
    act = trial.suggest_categorical("act", ["relu", "tanh", "gelu"])
    if trial.number == 7:
        raise ValueError("failed on purpose")
    value = x * x + abs(lr - 0.01) + n * 0.1 + width / 128 + {"relu": 0, "tanh": 0.5, "gelu": 1}[act]
    for step in range(1, 4):
        trial.report(value + 1.0 / step, step)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return value


def make(path, name, n):
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.create_study(study_name=name, storage="sqlite:///" + path,
                                sampler=optuna.samplers.TPESampler(seed=1),
                                pruner=optuna.pruners.MedianPruner(n_startup_trials=3))
    study.optimize(objective, n_trials=n, catch=(ValueError,))
    study.ask().suggest_float("x", -3.0, 3.0)  # left RUNNING, as by a killed worker


def cond(path, name):
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.create_study(study_name=name, storage="sqlite:///" + path)

    def f(trial):
        x = trial.suggest_float("x", 0.0, 1.0)
        return x if trial.number == 1 else x + trial.suggest_int("y", 0, 3)
    study.optimize(f, n_trials=3)


def dump(path, name):
    study = optuna.load_study(study_name=name, storage="sqlite:///" + path)
    for t in study.trials:
        print(json.dumps({"number": t.number, "state": t.state.name, "value": t.value,
                          "params": t.params,
                          "dists": {k: optuna.distributions.distribution_to_json(d)
                                    for k, d in t.distributions.items()},
                          "steps": {str(k): v for k, v in t.intermediate_values.items()},
                          "start": str(t.datetime_start), "complete": str(t.datetime_complete)},
                         sort_keys=True))


def best(path, name):
    study = optuna.load_study(study_name=name, storage="sqlite:///" + path)
    print(json.dumps({"number": study.best_trial.number, "value": study.best_value,
                      "direction": study.direction.name}))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "make":
        make(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif cmd == "cond":
        cond(sys.argv[2], sys.argv[3])
    elif cmd == "dump":
        dump(sys.argv[2], sys.argv[3])
    else:
        best(sys.argv[2], sys.argv[3])
