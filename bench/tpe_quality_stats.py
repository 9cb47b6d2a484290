#!/usr/bin/python3
"""Compare hps's and Optuna's TPE search quality per seed, with a significance test.

    tpe_quality_stats.py [--alpha 0.05] [--wide] [--against NAME] [--only NAMES] LOG...

Reads the `seeds fn=F sampler=S workers=W regrets=r0,r1,...` lines that
`hps-bench tpe quality` and `bench/tpe_optuna.py quality` print (any mix of
logs; other lines are ignored). A configuration is the sampler label without the
`optuna-` prefix plus the worker count (e.g. `tpe-uni x8`); hps's and Optuna's lines of
the same configuration and function are paired. For each pair it prints both medians,
the two-sided Mann-Whitney U p-value (scipy's default method: exact for small samples
without ties) and a verdict: "hps better" or "Optuna better" when p < alpha (the
direction is the side the U statistic favours), else "tie". Per configuration it counts
the problems where hps's median regret is <= Optuna's, and those where hps is not
significantly worse (and those where it is significantly better). Output is Markdown,
ready for docs/bench-tpe.md: a table per configuration, or with --wide one table of all
configurations followed by the counts (with a total over all configurations).
With --against NAME every hps configuration is paired with Optuna's NAME instead of its
namesake (e.g. hps's auto and gp against Optuna's tpe); --only NAMES (comma-separated
hps sampler labels) keeps those hps configurations. The counts close with the worst
ratio hps median / Optuna median and its problem.

Exit code: 0 done, 2 no pairs or unreadable input (message on stderr).
"""
import argparse
import statistics
import sys

from scipy.stats import mannwhitneyu


def parse_line(line):
    """(fn, side, sampler label without optuna-, workers, regrets) of a `seeds` line;
    None for any other line."""
    if not line.startswith("seeds "):
        return None
    fields = dict(f.split("=", 1) for f in line.split()[1:])
    sampler, workers = fields["sampler"], int(fields["workers"])
    side = "optuna" if sampler.startswith("optuna-") else "hps"
    regrets = [float(r) for r in fields["regrets"].split(",")]
    return fields["fn"], side, sampler.removeprefix("optuna-"), workers, regrets


def read_logs(paths, against=None, only=None):
    """{(config, fn): {side: regrets}}; functions keep their first-seen order. With
    against, Optuna's `against` lines are the peer of every hps configuration; with
    only, just those hps labels are kept."""
    recs = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                try:
                    rec = parse_line(line.strip())
                except (KeyError, ValueError) as e:
                    raise ValueError(f"{path}:{lineno}: bad seeds line ({e})") from e
                if rec:
                    recs.append(rec)
    runs = {}
    hps_labels = {r[2] for r in recs if r[1] == "hps" and (not only or r[2] in only)}
    for fn, side, label, workers, regrets in recs:
        if side == "hps" and label not in hps_labels:
            continue
        if side == "optuna" and against:
            if label != against:
                continue
            for peer in sorted(hps_labels):
                runs.setdefault((f"{peer} x{workers}", fn), {})[side] = regrets
            continue
        runs.setdefault((f"{label} x{workers}", fn), {})[side] = regrets
    return runs


def compare(hps, optuna, alpha):
    """(p-value, verdict) of hps's regrets against Optuna's."""
    u_hps, p = mannwhitneyu(hps, optuna, alternative="two-sided")
    if p >= alpha:
        return p, "tie"
    # U counts the pairs where hps's regret is the larger: below half, hps tends lower.
    return p, "hps better" if u_hps < len(hps) * len(optuna) / 2 else "Optuna better"


def analyse(rows, alpha):
    """[(fn, n_hps, n_optuna, hps median, Optuna median, p, verdict, hps mean, Optuna mean)]
    of (fn, hps, optuna)."""
    return [(fn, len(h), len(o), statistics.median(h), statistics.median(o),
             *compare(h, o, alpha), statistics.fmean(h), statistics.fmean(o))
            for fn, h, o in rows]


def ratio(hps_median, optuna_median):
    """hps median / Optuna median (both 0: 1)."""
    if optuna_median > 0:
        return hps_median / optuna_median
    return 1.0 if hps_median <= 0 else float("inf")


def holm_worse(results, alpha):
    """The problems where hps is significantly worse once the test is corrected for
    testing them all (Holm's step-down: the k-th smallest p of m must be below
    alpha / (m - k + 1), and every smaller one too). With 96 problems at alpha 0.05,
    about 2.4 uncorrected verdicts each way come from noise alone (docs/bench-bbob.md)."""
    m, out = len(results), []
    for k, r in enumerate(sorted(results, key=lambda r: r[5])):
        if r[5] >= alpha / (m - k):
            break
        if r[6] == "Optuna better":
            out.append(r[0])
    return out


def counts(results, alpha=0.05):
    """'a/n (x%)' of: hps median <= Optuna's; hps mean <= Optuna's; not significantly
    worse; significantly better; then the worst median ratio and its problem, and the
    problems significantly worse after Holm's correction."""
    n = len(results)
    at_most = sum(r[3] <= r[4] for r in results)
    mean_at_most = sum(r[7] <= r[8] for r in results)
    not_worse = sum(r[6] != "Optuna better" for r in results)
    better = sum(r[6] == "hps better" for r in results)
    worst = max(results, key=lambda r: ratio(r[3], r[4]))
    holm = holm_worse(results, alpha)
    return [f"{k}/{n} ({100 * k / n:.0f}%)" for k in (at_most, mean_at_most, not_worse, better)
            ] + [f"{ratio(worst[3], worst[4]):.3g} ({worst[0]})",
                 f"{len(holm)}" + (f" ({', '.join(holm)})" if holm else "")]


def report(config, results, alpha):
    """One configuration's table and counts."""
    print(f"### {config}\n")
    print("| function | seeds (hps/Optuna) | hps median | Optuna median | hps mean "
          "| Optuna mean | p (MWU) | verdict |")
    print("|---|---|---:|---:|---:|---:|---:|---|")
    for fn, nh, no, mh, mo, p, verdict, ah, ao in results:
        print(f"| {fn} | {nh}/{no} | {mh:.4g} | {mo:.4g} | {ah:.4g} | {ao:.4g} | {p:.3g} "
              f"| {verdict} |")
    at_most, mean_at_most, not_worse, better, worst, _ = counts(results, alpha)
    print(f"\nhps median <= Optuna's: {at_most}; hps mean <= Optuna's: {mean_at_most}; "
          f"not significantly worse (p >= {alpha} or hps better): {not_worse}; "
          f"significantly better: {better}; worst median ratio: {worst}\n")


def report_wide(by_config, alpha):
    """All configurations in one table (cell: hps median / Optuna median, p, verdict
    in bold when p < alpha), then the counts per configuration and in total."""
    configs = list(by_config)
    fns = list(dict.fromkeys(r[0] for results in by_config.values() for r in results))
    print("| function | " + " | ".join(configs) + " |")
    print("|---" * (len(configs) + 1) + "|")
    mark = {"tie": "", "hps better": ", **hps**", "Optuna better": ", **Optuna**"}
    for fn in fns:
        cells = []
        for config in configs:
            r = next((r for r in by_config[config] if r[0] == fn), None)
            cells.append(f"{r[3]:.3g} / {r[4]:.3g} (p {r[5]:.3g}{mark[r[6]]})" if r else "—")
        print(f"| {fn} | " + " | ".join(cells) + " |")
    print(f"\n| configuration | hps median <= Optuna's | hps mean <= Optuna's "
          f"| not significantly worse (alpha {alpha}) | significantly better "
          f"| worst median ratio | significantly worse, Holm-corrected "
          f"|\n|---|---|---|---|---|---|---|")
    for config, results in [*by_config.items(),
                            ("all", [r for rs in by_config.values() for r in rs])]:
        print(f"| {config} | " + " | ".join(counts(results, alpha)) + " |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--alpha", type=float, default=0.05)
    ap.add_argument("--wide", action="store_true",
                    help="one table for all configurations, then the counts")
    ap.add_argument("--against", help="pair every hps configuration with this Optuna one")
    ap.add_argument("--only", help="comma-separated hps sampler labels to keep")
    ap.add_argument("logs", nargs="+")
    args = ap.parse_args()
    try:
        runs = read_logs(args.logs, args.against, args.only.split(",") if args.only else None)
    except (OSError, ValueError) as e:
        print(f"tpe_quality_stats: {e}", file=sys.stderr)
        return 2
    configs = {}
    for (config, fn), sides in runs.items():
        if "hps" in sides and "optuna" in sides:
            configs.setdefault(config, []).append((fn, sides["hps"], sides["optuna"]))
        else:
            print(f"tpe_quality_stats: {config} {fn}: only {', '.join(sides)}; skipped",
                  file=sys.stderr)
    if not configs:
        print("tpe_quality_stats: no function has both sides' seeds lines", file=sys.stderr)
        return 2
    by_config = {config: analyse(rows, args.alpha) for config, rows in configs.items()}
    if args.wide:
        report_wide(by_config, args.alpha)
    else:
        for config, results in by_config.items():
            report(config, results, args.alpha)
    return 0


if __name__ == "__main__":
    sys.exit(main())
