#!/usr/bin/env bash
# Echo server CPU per round trip of two agenthost binaries and the aiohttp peer, all three up at
# once, their runs alternating (the order rotates each run, so a change in the machine's load
# hits all alike); medians of the runs. For a change on the echo hot path: the binary before it
# (BIN_A) beside the one after it (BIN_B, default the build's), in the same run.
# Both hosts: store = none, everything else as configured by default. Beside them runs the floor
# (bench/floor/floor_server.cpp): a server that does nothing but read the frames and send the
# answers, whose CPU is what the machine's kernel costs any server for this load.
#
# Usage: BIN_A=/path/to/agenthost-before bench/echo/ab.sh
# Environment: BENCH_BUILD (build folder with bin/agenthost_loadclient and plugins/, default
#   build-bench), BIN_A, BIN_B, PLUGINS_A (a folder whose plugins/ host a loads instead, for a
#   change to the SDK or to echo.so), BENCH_ECHO_CONNECTIONS (100), BENCH_ECHO_MESSAGES (100),
#   BENCH_AB_RUNS (3), BENCH_AB_PEER (1: also aiohttp), BENCH_AB_FLOOR (1: also the floor).
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
ECHO_C=${BENCH_ECHO_CONNECTIONS:-100}
ECHO_M=${BENCH_ECHO_MESSAGES:-100}
RUNS=${BENCH_AB_RUNS:-3}
BIN_B=${BIN_B:-$BUILD/bin/agenthost}
BIN_A=${BIN_A:-$BIN_B}
ulimit -n "$(ulimit -Hn)"
bench_setup
[[ ${BENCH_AB_FLOOR:-1} != 1 || -x $BUILD/bin/agenthost_floor_server ]] ||
    bench_build agenthost_floor_server

# start_host NAME BINARY [BUILD]: an agenthost from BINARY with store = none and the plugins of
# BUILD (default the bench build), kept as NAME.
start_host() {
    BUILD=${3:-$BUILD} AGENTHOST_BIN=$2 start_agenthost "" "$(printf '[conversations]\nstore = none\n')"
    remember_server "$1"
    wait_health "$PORT"
}

start_host a "$BIN_A" "${PLUGINS_A:-}"
start_host b "$BIN_B"
SERVERS=(a b)
if [[ ${BENCH_AB_PEER:-1} == 1 ]]; then
    start_aiohttp
    remember_server aiohttp
    wait_health "$PORT"
    SERVERS+=(aiohttp)
fi
if [[ ${BENCH_AB_FLOOR:-1} == 1 ]]; then
    start_floor
    remember_server floor
    SERVERS+=(floor)
fi
# wait_idle: until the current server has closed the last run's connections (the floor has no
# health endpoint; what it does on a close is a few system calls).
wait_idle() {
    [[ $SERVER == floor ]] || wait_health "$PORT" 0
}
# Warm-up: first connections, page faults, allocator arenas.
for server in "${SERVERS[@]}"; do
    use_server "$server"
    load warmup echo "$ECHO_C" "$ECHO_M"
    wait_idle
done
n=${#SERVERS[@]}
for run in $(seq 1 "$RUNS"); do
    for i in $(seq 0 $((n - 1))); do
        use_server "${SERVERS[$(((i + run) % n))]}"
        load "echo$run" echo "$ECHO_C" "$ECHO_M"
        wait_idle
    done
done
stop_servers "${SERVERS[@]}"

median() {  # median SERVER KEY over the runs
    local run
    for run in $(seq 1 "$RUNS"); do get "$1" "echo$run" "$2"; done | median_of_input
}
echo "$(machine_line "$ECHO_C connections x $ECHO_M round trips, $RUNS runs, store = none")"
for server in "${SERVERS[@]}"; do
    echo "$server: cpu_us_per_rt=$(median "$server" cpu_us_per_rt) msgs_per_s=$(median "$server" msgs_per_s)" \
        "runs=$(for run in $(seq 1 "$RUNS"); do printf '%s,' "$(get "$server" "echo$run" cpu_us_per_rt)"; done)"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
