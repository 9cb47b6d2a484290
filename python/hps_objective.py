"""hps_objective: write an hps `command` objective as one Python function.

    import hps_objective

    def objective(trial):
        model = fit(C=trial.params["C"])
        for epoch in range(10):
            trial.report(epoch, score(model))
            if trial.should_prune():
                raise hps_objective.TrialPruned()
        return score(model)

    hps_objective.serve(objective)      # or put @hps_objective.objective on the function

With `persistent: true` in the study's objective section, hps starts this program once
per trial process and sends it trial after trial (docs/command-protocol.md), so the
interpreter starts and the imports load once, not once per trial. Without it, the same
program serves the one trial it was started for (parameters on stdin, score printed last),
so one script works in both modes.

Standard library only: copy this file next to your script, or put python/ on PYTHONPATH.
In the persistent mode the protocol has this process's original stdin and stdout to itself:
sys.stdin reads nothing, and whatever the objective prints (print(), a library writing to
fd 1) goes to stderr, which hps keeps as the trial's log.
"""
import json
import os
import sys
import traceback

__all__ = ["Trial", "TrialPruned", "serve", "objective"]
PROTOCOL = 1


class TrialPruned(Exception):
    """Raise it from the objective when trial.should_prune() says so: the trial ends
    PRUNED with its last reported value (as optuna.TrialPruned)."""


class Trial:
    """One trial: its parameters and where to report.

    params       the parameter values by name ({"C": 0.5, "kernel": "rbf"})
    id           the trial's id in the study database (HPS_TRIAL in the per-trial mode)
    number       the trial's number within its study, 0, 1, ... (HPS_TRIAL_NUMBER)
    attempt      0, or how many times this trial was handed out before
    seed         a per-trial seed derived from the study's seed
    final        True for a strategy's final refit (fit on the training part, score the
                 held-out test data: the score returned is the test score)
    data         the local path of the study's dataset, or None
    cache_dir    a directory for caches that outlive the trial, or None
    artifact_dir a final refit's empty folder: a model file written there is uploaded
                 to the model registry; None otherwise
    """

    def __init__(self, msg, channel):
        self.params = msg.get("params", {})
        self.id = msg.get("trial")
        self.number = msg.get("number")
        self.attempt = msg.get("attempt", 0)
        self.seed = msg.get("seed")
        self.final = bool(msg.get("final", False))
        self.data = msg.get("data")
        self.cache_dir = msg.get("cache_dir")
        self.artifact_dir = msg.get("artifact_dir")
        self._channel = channel
        self._prune = False

    def report(self, step, value):
        """An intermediate value (step: an integer >= 0) for the pruner."""
        step, value = int(step), float(value)
        if step < 0:
            raise ValueError("step must be >= 0")
        self._prune = self._channel.report(step, value)

    def should_prune(self):
        """Whether the pruner asked to stop after the last report."""
        return self._prune


class _Persistent:
    """The protocol on the process's original fds 0 and 1 (see the module doc)."""

    def __init__(self):
        self._in = os.fdopen(os.dup(0), "r", encoding="utf-8")
        self._out = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        os.dup2(2, 1)  # prints go to the log, never between protocol lines
        sys.stdin = open(os.devnull, "r", encoding="utf-8")
        sys.stdout = sys.stderr

    def send(self, *words):
        self._out.write("@hps " + " ".join(str(w) for w in words) + "\n")

    def receive(self):
        line = self._in.readline()
        return json.loads(line) if line else None

    def report(self, step, value):
        self.send("report", step, repr(value))
        answer = self.receive()
        if answer is None:
            raise SystemExit(0)  # hps went away mid-trial
        return bool(answer.get("prune"))


class _OneShot:
    """The per-trial mode: report lines on stdout; the pruner kills, never answers."""

    def report(self, step, value):
        print("report %d %r" % (step, value), flush=True)
        return False


def _one_line(exc):
    text = "%s: %s" % (type(exc).__name__, exc)
    return " ".join(text.split())[:300]


def _serve_persistent(fn):
    channel = _Persistent()
    channel.send("ready")
    while True:
        msg = channel.receive()
        if msg is None:
            return
        trial = Trial(msg, channel)
        try:
            value = float(fn(trial))
        except TrialPruned:
            channel.send("pruned")
            continue
        except Exception as exc:  # the trial fails; the program serves on
            traceback.print_exc()
            sys.stderr.flush()
            channel.send("fail", _one_line(exc))
            continue
        channel.send("result", repr(value))


def _serve_once(fn):
    env = os.environ
    msg = {
        "params": json.load(sys.stdin),
        "trial": int(env.get("HPS_TRIAL", "0")),
        "number": int(env.get("HPS_TRIAL_NUMBER", "0")),
        "attempt": int(env.get("HPS_ATTEMPT", "0")),
        "seed": int(env["HPS_SEED"]) if "HPS_SEED" in env else None,
        "final": env.get("HPS_FINAL") == "1",
        "data": env.get("HPS_DATA"),
        "cache_dir": env.get("HPS_CACHE_DIR"),
        "artifact_dir": env.get("HPS_ARTIFACT_DIR"),
    }
    value = float(fn(Trial(msg, _OneShot())))
    print(repr(value), flush=True)


def serve(fn):
    """Run fn(trial) -> score for the trials hps sends this program, then return (in
    the persistent mode when hps closes stdin). An exception in fn fails that trial (the
    traceback goes to stderr); TrialPruned ends it pruned."""
    if os.environ.get("HPS_PERSISTENT") == "1":
        _serve_persistent(fn)
    else:
        _serve_once(fn)


def objective(fn):
    """Decorator: serve fn when it is defined in the script being run (not when the
    script is imported, e.g. by a test)."""
    if fn.__module__ == "__main__":
        serve(fn)
    return fn
