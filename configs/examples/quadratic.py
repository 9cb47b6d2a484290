#!/usr/bin/env python3
"""A tiny training script for hps's `command` objective (configs/command-example.yaml).

hps writes the trial's parameters to stdin as one JSON object, e.g.
{"x": 1.5, "y": -2, "shape": "bowl"}, and also sets HPS_PARAM_X, HPS_PARAM_Y,
HPS_PARAM_SHAPE, HPS_TRIAL and HPS_SEED in the environment. The script prints
"report STEP VALUE" lines as it "trains" (the pruner may stop it early: it is then
killed) and the score as its last line. A non-zero exit marks the trial FAIL.
"""
import json
import os
import sys
import time


def main():
    params = json.load(sys.stdin)
    x, y = float(params["x"]), float(params["y"])
    final = (x - 1.0) ** 2 + (y + 2.0) ** 2
    if params.get("shape") == "ridge":
        final += 0.5 * abs(x * y)
    trial = os.environ.get("HPS_TRIAL", "?")
    print(f"trial {trial}: training on {params}", file=sys.stderr)
    epochs = 5
    for epoch in range(1, epochs + 1):
        # A learning curve that decays towards the final loss.
        loss = final + (final + 1.0) * (epochs - epoch) / (epochs * epoch)
        print(f"report {epoch} {loss}", flush=True)
        time.sleep(0.02)
    print(final)


if __name__ == "__main__":
    main()
