#!/usr/bin/env python3
"""Whole-process wall times of several commands run in turn, round after round, and each
one's ratio to the first (the baseline) taken within each round: on a shared machine
whose speed drifts, a ratio of neighbours holds better than a ratio of medians. For
bench/persist.sh.

    persist_pairs.py [--runs N] [--warmup N] [--clean GLOB] 'LABEL=COMMAND' ...

Each COMMAND is split as a shell splits words (no shell runs it); its output is thrown
away and a non-zero exit stops the benchmark. Files matching GLOB are removed before
every run (a fresh study database). Prints the machine's load average before and after,
then per command the median wall seconds (min, max) and the median ratio to the first
command (min, max).
"""
import argparse
import glob
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import time


def run_once(argv, clean):
    for path in glob.glob(clean) if clean else []:
        if os.path.isdir(path):
            shutil.rmtree(path)
        else:
            os.remove(path)
    t = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--clean", default="")
    ap.add_argument("commands", nargs="+", help="LABEL=COMMAND; the first is the baseline")
    args = ap.parse_args()
    cmds = []
    for spec in args.commands:
        label, sep, cmd = spec.partition("=")
        if not sep or not cmd:
            sys.exit("persist_pairs.py: '%s' is not LABEL=COMMAND" % spec)
        cmds.append((label, shlex.split(cmd)))
    print("load average before: %.2f %.2f %.2f" % os.getloadavg())
    for _ in range(args.warmup):
        for _, argv in cmds:
            run_once(argv, args.clean)
    times = [[] for _ in cmds]
    for _ in range(args.runs):
        for i, (_, argv) in enumerate(cmds):
            times[i].append(run_once(argv, args.clean))
    print("load average after:  %.2f %.2f %.2f" % os.getloadavg())
    for i, (label, _) in enumerate(cmds):
        t = times[i]
        line = "%-40s %7.3f s (min %.3f, max %.3f)" % (label, statistics.median(t), min(t), max(t))
        if i > 0:
            r = [a / b for a, b in zip(t, times[0])]
            line += "   x%.3f of the first (min %.3f, max %.3f)" % (statistics.median(r), min(r), max(r))
        print(line)


if __name__ == "__main__":
    main()
