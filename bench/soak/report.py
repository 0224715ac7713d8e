#!/usr/bin/python3
"""Judges a soak run (bench/soak.sh): the driver's summary and its CSV of 10 s samples.

Fails (exit 1, one line per reason starting with "soak: FAIL") on any lost or duplicated
message, any unexpected error, or RSS or open fds growing after the warm-up: the mean of the
last fifth of the samples after the warm-up may be at most 5 % above the mean of the first
fifth (the slope of a least-squares line over the same samples is reported alongside).
Writes the markdown report (a row per minute) and a gnuplot script that draws the SVG.

    report.py --csv soak.csv --summary summary.json --minutes M --markdown soak.md
              --gnuplot soak.gp --svg soak.svg [--machine "..."]
"""
import argparse
import csv
import json
import os
import sys

GROWTH_LIMIT = 0.05


def read_rows(path):
    with open(path) as f:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]


def warmup_s(minutes):
    if os.environ.get("SOAK_WARMUP_S"):
        return float(os.environ["SOAK_WARMUP_S"])
    return min(300.0, minutes * 60 / 5)


def mean(values):
    return sum(values) / len(values)


def slope_per_hour(rows, key):
    xs = [r["t_s"] for r in rows]
    ys = [r[key] for r in rows]
    mx, my = mean(xs), mean(ys)
    var = sum((x - mx) ** 2 for x in xs)
    return 0.0 if var == 0 else 3600 * sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / var


def growth(rows, key):
    """(first fifth mean, last fifth mean, relative growth, slope per hour) after warm-up."""
    fifth = max(1, len(rows) // 5)
    first, last = mean([r[key] for r in rows[:fifth]]), mean([r[key] for r in rows[-fifth:]])
    return first, last, (last - first) / first if first else 0.0, slope_per_hour(rows, key)


def verdicts(summary, rows, minutes):
    failures = []
    for kind in ("lost", "duplicated", "errors"):
        if summary[kind]:
            failures.append(f"{summary[kind]} {kind} (first: {summary['failures'][:1]})")
    steady = [r for r in rows if r["t_s"] >= warmup_s(minutes)]
    trends = {}
    if len(steady) < 5:
        failures.append(f"only {len(steady)} samples after the warm-up: too short to judge growth")
    else:
        for key in ("rss_kb", "fds"):
            trends[key] = growth(steady, key)
            if trends[key][2] > GROWTH_LIMIT:
                failures.append(f"{key} grew {100 * trends[key][2]:.1f} % after the warm-up "
                                f"({trends[key][0]:.0f} -> {trends[key][1]:.0f}; limit "
                                f"{100 * GROWTH_LIMIT:.0f} %)")
    if summary["done"] == 0:
        failures.append("no message was answered")
    return failures, trends


def markdown(args, summary, rows, failures, trends):
    minutes = args.minutes
    every = 1 if minutes <= 5 else 6  # a row per 10 s sample for short runs, else per minute
    lines = [f"# Soak: {minutes:g} minutes, {summary['sessions']} sessions", ""]
    if args.machine:
        lines += [args.machine, ""]
    lines += [
        f"{summary['sessions']} sessions ({summary['protocol2']} protocol 2, "
        f"{summary['sessions'] - summary['protocol2']} protocol 1; {summary['claude']} on the "
        f"claude route against a local mock of the Messages API, the rest on echo), one message "
        f"every {summary['interval_s']:g} s on average each; random disconnects and resumes, "
        f"a SIGHUP every 10 s and a new echo library every minute. Warm-up: the first "
        f"{warmup_s(minutes):g} s.", "",
        f"**{'FAIL' if failures else 'PASS'}**: {summary['done']} answers checked, "
        f"{summary['lost']} lost, {summary['duplicated']} duplicated, {summary['errors']} "
        f"errors; {summary['reconnects']} reconnects, {summary['resumes']} resumes, "
        f"{summary['abandoned']} protocol 1 answers left on purpose, {summary['reloads']} "
        f"reloads, {summary['swaps']} library swaps.", ""]
    for key, label in (("rss_kb", "RSS (kB)"), ("fds", "open fds")):
        if key in trends:
            first, last, rel, slope = trends[key]
            lines.append(f"- {label} after the warm-up: first fifth {first:.0f}, last fifth "
                         f"{last:.0f} ({100 * rel:+.1f} %; least-squares slope {slope:+.0f}/h)")
    for failure in failures:
        lines.append(f"- FAIL: {failure}")
    lines += ["", "![soak](soak.svg)", "",
              "| t (min) | RSS (MB) | fds | threads | host CPU % | driver CPU % | mock CPU % | "
              "sessions connected | answers | answers/s | p50 (ms) | p99 (ms) | errors | lost | dup |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for i, r in enumerate(rows):
        if (i + 1) % every and i != len(rows) - 1:
            continue
        lines.append(
            f"| {r['t_s'] / 60:.1f} | {r['rss_kb'] / 1024:.1f} | {r['fds']:.0f} | {r['threads']:.0f} | "
            f"{r['host_cpu_pct']:.0f} | {r['driver_cpu_pct']:.0f} | {r['mock_cpu_pct']:.0f} | "
            f"{r['connected']:.0f} | {r['messages_done']:.0f} | {r['messages_per_s']:.0f} | "
            f"{r['p50_ms']:.0f} | {r['p99_ms']:.0f} | {r['errors']:.0f} | {r['lost']:.0f} | "
            f"{r['duplicated']:.0f} |")
    lines += ["", "Every 10 s sample is in soak.csv; `bench/soak.sh` regenerates all three.", ""]
    return "\n".join(lines)


GNUPLOT = """set terminal svg size 1000,1000 dynamic font "sans,11" background rgb "white"
set output "{svg}"
set datafile separator ","
set key outside right top vertical Left reverse width 2
set lmargin 10
set rmargin 32
set grid
set xlabel "minutes"
set xrange [0:*]
set arrow 1 from {warmup_min},graph 0 to {warmup_min},graph 1 nohead dashtype 2 lc rgb "gray40"
set label 1 "end of warm-up" at {warmup_min},graph 0.92 offset 0.5,0 font ",9" tc rgb "gray40"
set multiplot layout 4,1 title "agenthost soak: {title}"
set ylabel "RSS (MB)"
set y2label "open fds"
set yrange [0:*]
set y2range [0:*]
set ytics nomirror
set y2tics
plot "{csv}" using ($1/60):($2/1024) with lines lw 2 title "RSS (MB)", \\
     "" using ($1/60):3 axes x1y2 with lines lw 2 title "open fds"
set ylabel "CPU % of one core"
set y2label "threads"
plot "{csv}" using ($1/60):6 with lines lw 2 title "host", \\
     "" using ($1/60):7 with lines lw 2 title "driver", \\
     "" using ($1/60):8 with lines lw 2 title "mock API", \\
     "" using ($1/60):4 axes x1y2 with lines lw 1 dashtype 3 title "host threads"
unset y2label
unset y2tics
set y2range [0:1]
set ytics mirror
set ylabel "round trip (ms)"
plot "{csv}" using ($1/60):12 with lines lw 2 title "p50", \\
     "" using ($1/60):13 with lines lw 2 title "p99"
set ylabel "answers/s"
set y2label "errors, cumulative"
set y2range [0:{errors_max}]
set y2tics
set ytics nomirror
plot "{csv}" using ($1/60):11 with lines lw 2 title "answers/s", \\
     "" using ($1/60):($14+$15+$16) axes x1y2 with lines lw 2 title "errors + lost + dup"
unset multiplot
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--csv", required=True)
    parser.add_argument("--summary", required=True)
    parser.add_argument("--minutes", type=float, required=True)
    parser.add_argument("--markdown", required=True)
    parser.add_argument("--gnuplot", required=True)
    parser.add_argument("--svg", required=True)
    parser.add_argument("--machine", default="")
    args = parser.parse_args()
    with open(args.summary) as f:
        summary = json.load(f)
    rows = read_rows(args.csv)
    failures, trends = verdicts(summary, rows, args.minutes)
    with open(args.markdown, "w") as f:
        f.write(markdown(args, summary, rows, failures, trends))
    with open(args.gnuplot, "w") as f:
        f.write(GNUPLOT.format(svg=args.svg, csv=args.csv, warmup_min=warmup_s(args.minutes) / 60,
                               errors_max=max([1] + [r["errors"] + r["lost"] + r["duplicated"]
                                                     for r in rows]) * 1.1,
                               title=f"{args.minutes:g} min, {summary['sessions']} sessions"))
    for failure in failures:
        print(f"soak: FAIL: {failure}")
    if not failures:
        print(f"soak: PASS: {summary['done']} answers, none lost or duplicated, no errors; RSS and "
              f"fds flat within {100 * GROWTH_LIMIT:.0f} % after the warm-up")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
