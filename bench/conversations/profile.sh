#!/usr/bin/env bash
# Where the host's CPU goes in the echo round trips of bench/conversations/run.sh: one run of
# protocol 1 echo round trips under `perf record` (cpu-clock samples with DWARF call graphs)
# for each store given, folded per thread into microseconds of CPU per round trip per function.
# Writes bench/results/conversations-profile.md.
#
# Usage: bench/conversations/profile.sh [STORE...]     (default: none sqlite; a minute each)
# Needs perf (Debian: linux-perf) with software events allowed (perf_event_paranoid <= 2).
# Environment: BENCH_BUILD, BENCH_CONV_ECHO_CONNECTIONS (100), BENCH_CONV_ECHO_MESSAGES (1000).
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
ECHO_C=${BENCH_CONV_ECHO_CONNECTIONS:-100}
ECHO_M=${BENCH_CONV_ECHO_MESSAGES:-1000}
if (($# > 0)); then STORES=("$@"); else STORES=(none sqlite); fi
RESULTS=$ROOT/bench/results/conversations-profile.md

if ! perf record -e cpu-clock -o /dev/null true >/dev/null 2>&1; then
    echo "profile.sh: perf record does not work here (apt-get install linux-perf?)" >&2
    exit 1
fi
bench_build agenthost echo agenthost_loadclient
bench_setup

# profile STORE: a warm-up run, then the measured run with perf attached to the host.
profile() {
    local store=$1
    echo "== store = $store" >&2
    start_agenthost "" "$(printf '[conversations]\nstore = %s\n' "$store")"
    remember_server "$store"
    wait_health "$PORT"
    load warmup echo "$ECHO_C" 100
    wait_health "$PORT" 0
    perf record -e cpu-clock -F 1000 --call-graph dwarf,8192 -o "$WORK/$store.perf" \
        -p "$SERVER_PID" 2>"$WORK/perf.err" &
    local perf_pid=$!
    sleep 1  # perf attaches
    load echo --settle-cpu=60 echo "$ECHO_C" "$ECHO_M"
    kill -INT "$perf_pid"
    wait "$perf_pid" || true
    stop_server
    perf script -i "$WORK/$store.perf" -F tid,ip,sym --no-inline >"$WORK/$store.txt" 2>/dev/null
}

for store in "${STORES[@]}"; do profile "$store"; done

report() {
    echo "# Where the host's CPU goes per echo round trip (bench/conversations/profile.sh)"
    echo
    machine_line
    echo
    echo "$ECHO_C protocol 1 connections x $ECHO_M round trips of 64 characters; perf record -e cpu-clock"
    echo "-F 1000 --call-graph dwarf on the host process; samples scaled to the measured CPU per round"
    echo "trip of that run (perf itself slows the host down a little). Functions inlined by the"
    echo "compiler count in their caller."
    for store in "${STORES[@]}"; do
        echo
        echo "## store = $store"
        echo
        echo "Run: \`$(get "$store" echo msgs_per_s) msgs/s, $(get "$store" echo cpu_us_per_rt) µs CPU per round trip\`"
        echo
        "$PYTHON" "$ROOT/bench/conversations/perf_fold.py" "$WORK/$store.txt" \
            "$(get "$store" echo cpu_us_per_rt)" 30
    done
}

mkdir -p "$(dirname "$RESULTS")"
report | tee "$RESULTS"
