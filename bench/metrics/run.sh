#!/usr/bin/env bash
# What the metrics and the key's limits cost on the echo hot path: echo round trips of protocol 1
# clients against two hosts up at once, one with [metrics] enabled = true (the default) and every
# limit of the key set (high enough never to refuse, so each is checked and counted on every
# message), and one with enabled = false and no limits,
# their runs alternating; server CPU per round trip (utime+stime until it stops growing after the
# last echo) and messages/s, median of the runs. Both hosts use store = none, so the store's
# writer does not dilute the difference. A scrape of /metrics follows each run on the host that
# has them, as Prometheus would. Target (issue 12): under 5 % more CPU with metrics and limits on.
# Prints a markdown report and writes it to bench/results/metrics.md.
#
# Usage: bench/metrics/run.sh          (about two minutes on 2 cores)
# Environment: BENCH_BUILD (build folder, default build-bench), BENCH_METRICS_CONNECTIONS (100),
#   BENCH_METRICS_MESSAGES (1000), BENCH_METRICS_RUNS (5).
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
ECHO_C=${BENCH_METRICS_CONNECTIONS:-100}
ECHO_M=${BENCH_METRICS_MESSAGES:-1000}
RUNS=${BENCH_METRICS_RUNS:-5}
RESULTS=$ROOT/bench/results/metrics.md

ulimit -n "$(ulimit -Hn)"
bench_build agenthost echo agenthost_loadclient
bench_setup

sections() {
    printf '[conversations]\nstore = none\n\n[metrics]\nenabled = %s\nrequire_admin = false\n' "$1"
}

# median SERVER KEY: the median of KEY over the runs' result lines R_<SERVER>_echo<N>.
median() {
    local run
    for run in $(seq 1 "$RUNS"); do get "$1" "echo$run" "$2"; done | median_of_input
}

echo "== echo round trips: metrics on and off, alternating" >&2
LIMITS=$'max_connections = 20000\nrequests_per_minute = 100000000\nmax_concurrent_requests = 1000\ntokens_per_day = 100000000000'
KEY_LINES=$LIMITS start_agenthost "" "$(sections true)"
remember_server on
wait_health "$PORT"
start_agenthost "" "$(sections false)"
remember_server off
wait_health "$PORT"
for run in $(seq 1 "$RUNS"); do
    # Alternate which goes first, so a change in the machine's load hits both alike.
    order="on off"
    if ((run % 2 == 0)); then order="off on"; fi
    for server in $order; do
        use_server "$server"
        load "echo$run" --settle-cpu=30 echo "$ECHO_C" "$ECHO_M"
        wait_health "$PORT" 0
        if [[ $server == on ]]; then curl -sf "http://127.0.0.1:$PORT/metrics" >"$WORK/metrics.txt"; fi
    done
done
use_server on
stop_server
use_server off
stop_server

CPU_ON=$(median on cpu_us_per_rt)
CPU_OFF=$(median off cpu_us_per_rt)
RATE_ON=$(median on msgs_per_s)
RATE_OFF=$(median off msgs_per_s)
MORE=$(awk -v a="$CPU_ON" -v b="$CPU_OFF" 'BEGIN { printf "%+.1f", (a / b - 1) * 100 }')
COMPLETE=$(sed -n 's/^agenthost_requests_total{route="echo",key="bench",outcome="complete"} //p' \
    "$WORK/metrics.txt")

report() {
    echo "# Metrics and limits: echo CPU with both on and both off"
    echo
    machine_line "$ECHO_C connections x $ECHO_M round trips, $RUNS runs per host, store = none"
    echo
    echo "| | metrics + limits on | both off | change | target |"
    echo "|---|---|---|---|---|"
    echo "| server CPU per round trip (µs, median) | $CPU_ON | $CPU_OFF | $MORE % | < +5 % $(verdict "$CPU_ON < $CPU_OFF * 1.05") |"
    echo "| messages/s (median) | $RATE_ON | $RATE_OFF | | |"
    echo
    echo "The host with metrics counted $COMPLETE complete requests (agenthost_requests_total) over"
    echo "its $RUNS runs of $((ECHO_C * ECHO_M)) round trips. Its key's limits:"
    echo
    echo '```'
    echo "$LIMITS"
    echo '```'
    echo
    raw_results "on off" "$(for run in $(seq 1 "$RUNS"); do printf 'echo%s ' "$run"; done)"
}
report | tee "$RESULTS"
