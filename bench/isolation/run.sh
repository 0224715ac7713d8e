#!/usr/bin/env bash
# What process isolation costs on the echo path: one host with two routes served by the same
# echo library, `echo` in the server's process and `isolated_echo` with isolation = process
# (a runner process, frames over a socket pair), echo round trips of protocol 1 clients
# against each, alternating; messages/s, p50/p99 round trip, and CPU per round trip: the
# server's, plus the runner's for the isolated route (read from /proc before and after each
# run). For echo the first chunk and the complete frame leave in one write, so the round trip
# is also the time to the first chunk.
# Prints a markdown report and writes it to bench/results/isolation.md.
#
# Usage: bench/isolation/run.sh          (about a minute on 2 cores)
# Environment: BENCH_BUILD (build folder, default build-bench), BENCH_ISOLATION_CONNECTIONS (50),
#   BENCH_ISOLATION_MESSAGES (400), BENCH_ISOLATION_RUNS (3).
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
ECHO_C=${BENCH_ISOLATION_CONNECTIONS:-50}
ECHO_M=${BENCH_ISOLATION_MESSAGES:-400}
RUNS=${BENCH_ISOLATION_RUNS:-3}
RESULTS=$ROOT/bench/results/isolation.md

ulimit -n "$(ulimit -Hn)"
bench_build agenthost echo agenthost_loadclient
bench_setup

# cpu_ticks PID: utime + stime of PID, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# median_of_lines ROUTE KEY: the median of KEY over the runs of ROUTE.
median() {
    local run
    for run in $(seq 1 "$RUNS"); do get one "$1$run" "$2"; done | median_of_input
}

echo "== echo in process and isolated, alternating" >&2
start_agenthost "" $'[conversations]\nstore = none\n\n[plugin.isolated_echo]\nlibrary = echo\nisolation = process\n'
remember_server one
wait_health "$PORT"
RUNNER=$(pgrep -P "$SERVER_PID" | head -n 1)
TICK_US=$((1000000 / $(getconf CLK_TCK)))
for run in $(seq 1 "$RUNS"); do
    order="echo isolated_echo"
    if ((run % 2 == 0)); then order="isolated_echo echo"; fi
    for route in $order; do
        before=$(cpu_ticks "$RUNNER")
        load "$route$run" --settle-cpu=30 --route="$route" echo "$ECHO_C" "$ECHO_M"
        after=$(cpu_ticks "$RUNNER")
        declare -g "RUNNER_US_$route$run=$(((after - before) * TICK_US / (ECHO_C * ECHO_M)))"
        wait_health "$PORT" 0
    done
done
stop_server

runner_median() {
    local run var
    for run in $(seq 1 "$RUNS"); do
        var="RUNNER_US_$1$run"
        echo "${!var}"
    done | median_of_input
}

report() {
    echo "# Process isolation: echo in the server's process and in a runner process"
    echo
    machine_line "$ECHO_C connections x $ECHO_M round trips, $RUNS runs per route, store = none"
    echo
    echo "| | in process | isolation = process |"
    echo "|---|---|---|"
    echo "| round trip = time to first chunk, p50 (µs) | $(median echo p50_us) | $(median isolated_echo p50_us) |"
    echo "| round trip, p99 (µs) | $(median echo p99_us) | $(median isolated_echo p99_us) |"
    echo "| messages/s | $(median echo msgs_per_s) | $(median isolated_echo msgs_per_s) |"
    echo "| server CPU per round trip (µs) | $(median echo cpu_us_per_rt) | $(median isolated_echo cpu_us_per_rt) |"
    echo "| runner CPU per round trip (µs) | - | $(runner_median isolated_echo) |"
    echo
    raw_results "one" "$(for run in $(seq 1 "$RUNS"); do printf 'echo%s isolated_echo%s ' "$run" "$run"; done)"
}
report | tee "$RESULTS"
