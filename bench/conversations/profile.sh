#!/usr/bin/env bash
# Where the host's CPU goes in bench/conversations/run.sh's loads, under `perf record`
# (cpu-clock samples with DWARF call graphs), folded per thread into CPU time per function:
#   none, sqlite: one run of protocol 1 echo round trips with that store (µs per round trip);
#   resume: 20 resumes by URL of a conversation of 10,000 stored frames (ms per resume).
# Writes bench/results/conversations-profile.md.
#
# Usage: bench/conversations/profile.sh [none|sqlite|resume ...]   (default: all three)
# Needs perf (Debian: linux-perf) with software events allowed (perf_event_paranoid <= 2).
# Environment: BENCH_BUILD, BENCH_CONV_ECHO_CONNECTIONS (100), BENCH_CONV_ECHO_MESSAGES (1000).
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
ECHO_C=${BENCH_CONV_ECHO_CONNECTIONS:-100}
ECHO_M=${BENCH_CONV_ECHO_MESSAGES:-1000}
if (($# > 0)); then STORES=("$@"); else STORES=(none sqlite resume); fi
RESULTS=$ROOT/bench/results/conversations-profile.md

if ! perf record -e cpu-clock -o /dev/null true >/dev/null 2>&1; then
    echo "profile.sh: perf record does not work here (apt-get install linux-perf?)" >&2
    exit 1
fi
bench_build agenthost echo agenthost_loadclient
bench_setup

# perf_start NAME / perf_stop NAME: samples the current server into $WORK/NAME.txt.
perf_start() {
    perf record -e cpu-clock -F 1000 --call-graph dwarf,8192 -o "$WORK/$1.perf" \
        -p "$SERVER_PID" 2>"$WORK/perf.err" &
    PERF_PID=$!
    sleep 1  # perf attaches
}
perf_stop() {
    kill -INT "$PERF_PID"
    wait "$PERF_PID" || true
    perf script -i "$WORK/$1.perf" -F tid,ip,sym --no-inline >"$WORK/$1.txt" 2>/dev/null
}

# profile STORE: a warm-up run, then the measured run with perf attached to the host.
profile() {
    local store=$1
    echo "== store = $store" >&2
    start_agenthost "" "$(printf '[conversations]\nstore = %s\n' "$store")"
    remember_server "$store"
    wait_health "$PORT"
    load warmup echo "$ECHO_C" 100
    wait_health "$PORT" 0
    perf_start "$store"
    load echo --settle-cpu=60 echo "$ECHO_C" "$ECHO_M"
    perf_stop "$store"
    stop_server
}

# profile_resume: as in run.sh, a conversation of 10,000 frames, the host restarted, then
# 20 resumes by URL under perf (after 3 that are not sampled).
profile_resume() {
    echo "== resume" >&2
    start_agenthost "" "$(printf '[conversations]\nstore = sqlite\n\n[plugin.echo10k]\nlibrary = echo\nrepeat = 9998\n')"
    remember_server resume
    wait_health "$PORT"
    load build --route=echo10k --protocol=2 --repeat=9998 --ids="$WORK/resume.id" echo 1 1
    restart_agenthost
    remember_server resume
    wait_health "$PORT"
    load warmup --route=echo10k resume "$(head -n 1 "$WORK/resume.id")" 3
    perf_start resume
    load resume --route=echo10k resume "$(head -n 1 "$WORK/resume.id")" 20
    perf_stop resume
    stop_server
}

for store in "${STORES[@]}"; do
    if [[ $store == resume ]]; then profile_resume; else profile "$store"; fi
done

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
        if [[ $store == resume ]]; then
            echo
            echo "## resume of 10,000 stored frames (by URL, after a restart)"
            echo
            echo "Run: \`p50 $(get resume resume p50_ms) ms, max $(get resume resume max_ms) ms, $(get resume resume server_cpu_ms_per_resume) ms CPU per resume\`"
            echo
            "$PYTHON" "$ROOT/bench/conversations/perf_fold.py" "$WORK/resume.txt" \
                "$(get resume resume server_cpu_ms_per_resume)" 30 "ms per resume"
            continue
        fi
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
