#!/usr/bin/python3
"""Compare hps-bench / bbob_optuna.py logs against a reference log, problem by problem:
the tuning tables of docs/bench-bbob.md.

    bbob_compare.py REF.log OTHER.log...

Per problem (the `seeds` lines of REF): REF's median regret, then for each OTHER its
median, the ratio OTHER/REF and a mark: + significantly lower (two-sided Mann-Whitney,
p < 0.05), - significantly higher. Per OTHER at the end: the worst ratio and its
problem, the counts (lower, higher, neither), and the geometric mean of the ratios.
"""
import math
import statistics
import sys

from scipy.stats import mannwhitneyu


def read(path):
    """{problem: regrets} of a log's `seeds` lines."""
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("seeds "):
                fields = dict(x.split("=", 1) for x in line.split()[1:])
                out[fields["fn"]] = [float(r) for r in fields["regrets"].split(",")]
    return out


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    ref, others = read(sys.argv[1]), [(p, read(p)) for p in sys.argv[2:]]
    print("reference", sys.argv[1])
    for path, _ in others:
        print("  against", path)
    summary = {path: {"worst": (0.0, ""), "marks": [0, 0, 0], "logsum": 0.0, "n": 0}
               for path, _ in others}
    for fn, r in ref.items():
        mr = statistics.median(r)
        line = f"{fn:12s} ref {mr:9.3g}"
        for path, o in others:
            if fn not in o:
                line += " |        -"
                continue
            mo = statistics.median(o[fn])
            ratio = (mo + 1e-12) / (mr + 1e-12)
            u, p = mannwhitneyu(o[fn], r, alternative="two-sided")
            mark = " " if p >= 0.05 else "+" if u < len(o[fn]) * len(r) / 2 else "-"
            s = summary[path]
            s["marks"][0 if mark == "+" else 1 if mark == "-" else 2] += 1
            s["logsum"] += math.log(ratio)
            s["n"] += 1
            s["worst"] = max(s["worst"], (ratio, fn))
            line += f" | {mo:9.3g} {ratio:5.2f}{mark}"
        print(line)
    for path, s in summary.items():
        lower, higher, neither = s["marks"]
        print(f"{path}: worst ratio {s['worst'][0]:.2f} ({s['worst'][1]}); significantly "
              f"lower {lower}, higher {higher}, neither {neither}; geometric mean ratio "
              f"{math.exp(s['logsum'] / max(s['n'], 1)):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
