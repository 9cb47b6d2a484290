#!/usr/bin/env python3
"""A no-op objective for bench/persist.sh: the cost of a trial in the persistent
protocol with nothing to compute. `--loop N` instead calls the same function N times in
this process, the in-process baseline."""
import sys
import time

import hps_objective


def objective(trial):
    return trial.params["x"] ** 2


class _Trial:
    params = {"x": 0.5}


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--loop":
        n = int(sys.argv[2])
        t0 = time.perf_counter()
        for _ in range(n):
            objective(_Trial())
        print("in-process: %.4f ms a call" % ((time.perf_counter() - t0) * 1e3 / n))
    else:
        hps_objective.serve(objective)
