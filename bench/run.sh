#!/usr/bin/env bash
# The host core's performance targets, measured beside the Python prototype's stack (aiohttp)
# with the same load client in the same run:
#   - 10,000 authenticated idle connections: resident memory, threads (also at 100, to show the
#     thread count does not follow the connection count), idle CPU;
#   - echo round trips: messages/s, p50/p99 latency, server CPU time per round trip.
# Prints a markdown table and writes it to bench/results/latest.md.
#
# Usage: bench/run.sh            (about two minutes)
# Environment: BENCH_BUILD (build folder, default build-bench), BENCH_IDLE (10000),
#   BENCH_ECHO_CONNECTIONS (100), BENCH_ECHO_MESSAGES (100), BENCH_HOLD_S (3).
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
IDLE=${BENCH_IDLE:-10000}
SMALL=100
ECHO_C=${BENCH_ECHO_CONNECTIONS:-100}
ECHO_M=${BENCH_ECHO_MESSAGES:-100}
HOLD=${BENCH_HOLD_S:-3}
MAX_CONNECTIONS=$((IDLE + 1000))
RESULTS=$ROOT/bench/results/latest.md

# Each process needs one descriptor per connection (the client and each server separately).
ulimit -n "$(ulimit -Hn)"
if (($(ulimit -n) < IDLE + 200)); then
    echo "run.sh: ulimit -n is $(ulimit -n); $IDLE connections need more" >&2
    exit 1
fi

bench_build agenthost echo agenthost_loadclient
bench_setup

# measure SERVER: the whole sequence against a fresh server process.
measure() {
    echo "== $1" >&2
    "start_$1"
    remember_server "$1"
    wait_health "$PORT"
    load small --hold="$HOLD" idle "$SMALL"
    wait_health "$PORT" 0
    load idle --hold="$HOLD" idle "$IDLE"
    wait_health "$PORT" 0
    load_median echo echo "$ECHO_C" "$ECHO_M"
    wait_health "$PORT" 0
    # All connections at once, as after a restart: does the server take them all?
    load burst --window="$IDLE" --hold=1 --settle=0 --timeout=60 idle "$IDLE"
    stop_server
}

# Diagnosis only: the same echo run on agenthost without conversation history, whose copy
# per request is a large part of the host's cost per round trip.
measure_without_history() {
    echo "== agenthost with history_max_turns = 0 (diagnosis)" >&2
    start_agenthost "history_max_turns = 0"
    remember_server nohistory
    wait_health "$PORT"
    load_median echo echo "$ECHO_C" "$ECHO_M"
    stop_server
}

measure agenthost
measure aiohttp
measure_without_history

# ---- the table

row() {  # row LABEL AGENTHOST AIOHTTP RATIO
    printf '| %s | %s | %s | %s |\n' "$1" "$2" "$3" "$4"
}

A_RSS=$(get agenthost idle rss_kb)
P_RSS=$(get aiohttp idle rss_kb)
A_CPU=$(get agenthost echo cpu_us_per_rt)
P_CPU=$(get aiohttp echo cpu_us_per_rt)
A_T100=$(get agenthost small threads)
A_T10K=$(get agenthost idle threads)

table() {
    echo "| measure | agenthost | aiohttp (Python) | aiohttp / agenthost |"
    echo "|---|---|---|---|"
    row "RSS at $SMALL idle connections (MB)" "$(mb "$(get agenthost small rss_kb)")" \
        "$(mb "$(get aiohttp small rss_kb)")" \
        "$(ratio "$(get aiohttp small rss_kb)" "$(get agenthost small rss_kb)")"
    row "RSS at $IDLE idle authenticated connections (MB)" "$(mb "$A_RSS")" "$(mb "$P_RSS")" \
        "$(ratio "$P_RSS" "$A_RSS")"
    row "threads at $SMALL / $IDLE connections" "$A_T100 / $A_T10K" \
        "$(get aiohttp small threads) / $(get aiohttp idle threads)" ""
    row "time to open + authenticate $IDLE (s)" "$(get agenthost idle establish_s)" \
        "$(get aiohttp idle establish_s)" ""
    row "server CPU while $IDLE sit idle (ms per s)" "$(get agenthost idle idle_cpu_ms_per_s)" \
        "$(get aiohttp idle idle_cpu_ms_per_s)" ""
    row "$IDLE connecting at once: authenticated / refused" \
        "$(get agenthost burst ready) / $(get agenthost burst failed)" \
        "$(get aiohttp burst ready) / $(get aiohttp burst failed)" ""
    row "echo: messages/s ($ECHO_C conns x $ECHO_M round trips)" \
        "$(get agenthost echo msgs_per_s)" "$(get aiohttp echo msgs_per_s)" \
        "$(ratio "$(get agenthost echo msgs_per_s)" "$(get aiohttp echo msgs_per_s)") (agenthost / aiohttp)"
    row "echo: round trip p50 / p99 (ms)" \
        "$(awk -v a="$(get agenthost echo p50_us)" -v b="$(get agenthost echo p99_us)" 'BEGIN { printf "%.2f / %.2f", a / 1000, b / 1000 }')" \
        "$(awk -v a="$(get aiohttp echo p50_us)" -v b="$(get aiohttp echo p99_us)" 'BEGIN { printf "%.2f / %.2f", a / 1000, b / 1000 }')" ""
    row "echo: server CPU per round trip (µs)" "$A_CPU" "$P_CPU" "$(ratio "$P_CPU" "$A_CPU")"
    row "threads after the echo run" "$(get agenthost echo threads)" "$(get aiohttp echo threads)" ""
    row "diagnosis: agenthost echo without history (µs CPU per round trip, msgs/s)" \
        "$(get nohistory echo cpu_us_per_rt) µs, $(get nohistory echo msgs_per_s)/s" "" \
        "$(ratio "$P_CPU" "$(get nohistory echo cpu_us_per_rt)")"
    echo
    echo "Targets:"
    echo "- RSS < 100 MB at $IDLE connections: $(verdict "$A_RSS < 102400") ($(mb "$A_RSS") MB)"
    echo "- thread count independent of connections: $(verdict "$A_T100 == $A_T10K")" \
        "($A_T100 at $SMALL, $A_T10K at $IDLE)"
    echo "- CPU per round trip >= 5x lower than aiohttp: $(verdict "$A_CPU * 5 <= $P_CPU")" \
        "($(ratio "$P_CPU" "$A_CPU"))"
}

report() {
    echo "# agenthost benchmark (bench/run.sh)"
    echo
    machine_line "aiohttp $("$PYTHON" -c 'import aiohttp; print(aiohttp.__version__)') on Python $("$PYTHON" -c 'import platform; print(platform.python_version())')"
    echo
    table
    echo
    echo "Same load client (build-bench/bin/agenthost_loadclient, one epoll thread) against both,"
    echo "one server at a time. CPU is utime+stime of the server process from /proc/<pid>/stat,"
    echo "sampled right before and after the echo round trips; memory and threads from"
    echo "/proc/<pid>/status while the connections are held. Echo messages are 64 ASCII characters;"
    echo "each echo row is the median (by CPU per round trip) of three runs."
    echo
    local range
    read -r -a range </proc/sys/net/ipv4/ip_local_port_range
    echo "Loopback ephemeral ports: ${range[0]}-${range[1]} ($((range[1] - range[0] + 1)) per"
    echo "destination address:port; connect() shares a port between different destinations)."
    echo "The client closes first, so its ports wait in TIME_WAIT (60 s): against one server"
    echo "this run uses $((2 * IDLE + SMALL + 3 * ECHO_C)) in about a minute, which fits even without"
    echo "net.ipv4.tcp_tw_reuse (here: $(cat /proc/sys/net/ipv4/tcp_tw_reuse)); each server gets its own port."
    echo
    raw_results "agenthost aiohttp nohistory" "small idle echo burst"
}

mkdir -p "$(dirname "$RESULTS")"
report | tee "$RESULTS"
