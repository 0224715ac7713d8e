#!/usr/bin/env bash
# Time to first chunk added by the host, for two agenthost builds side by side: both up at once
# with the claude plugin on the same mock Messages API, their rounds alternating (a change in
# the machine's state hits both alike); each round is claude_stream_bench's "host adds" (the
# median of SAMPLES pairs of one stream straight from the mock and one through the host), and
# the script prints every round and the median of the rounds. For a change on the path from a
# client's message to the first chunk: the build before it (BIN_A with PLUGINS_A) beside the one
# after it (BIN_B, default the build's). Beside them, in the same rounds, runs the floor
# (bench/floor/floor_relay.cpp): a relay that does nothing but pass the message to the mock and
# the text deltas back, whose figure is what the machine costs any relay on this path.
#
# Usage: BIN_A=/path/to/agenthost-before PLUGINS_A=/path/to/build-before bench/claude/ttfc_ab.sh
# Environment: BENCH_BUILD (build folder with bin/claude_stream_bench and plugins/, default
#   build-bench), BIN_A, BIN_B, PLUGINS_A (a folder whose plugins/ host a loads, default the
#   bench build's), BENCH_TTFC_ROUNDS (5), BENCH_TTFC_SAMPLES (50), BENCH_TTFC_DELTAS (3),
#   BENCH_TTFC_INTERVAL_MS (50: the idle time between a stream's events; the machine's idle
#   states count, so keep it at a chat's pace rather than back to back), BENCH_TTFC_TLS (0),
#   BENCH_TTFC_FLOOR (1: also the floor relay; not with BENCH_TTFC_TLS=1, it speaks ws:// only).
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
ROUNDS=${BENCH_TTFC_ROUNDS:-5}
SAMPLES=${BENCH_TTFC_SAMPLES:-50}
DELTAS=${BENCH_TTFC_DELTAS:-3}
INTERVAL_MS=${BENCH_TTFC_INTERVAL_MS:-50}
BIN_B=${BIN_B:-$BUILD/bin/agenthost}
BIN_A=${BIN_A:-$BIN_B}

bench_build agenthost echo claude claude_stream_bench agenthost_floor_relay
bench_setup
export NO_PROXY=127.0.0.1,localhost

SERVER_LINES=""
TLS_FLAG=()
if [[ ${BENCH_TTFC_TLS:-0} == 1 ]]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -keyout "$WORK/key.pem" -out "$WORK/cert.pem" -subj /CN=localhost \
        -addext subjectAltName=DNS:localhost,IP:127.0.0.1 >/dev/null 2>&1
    SERVER_LINES="tls_cert = $WORK/cert.pem
tls_key = $WORK/key.pem"
    TLS_FLAG=(--tls)
fi

MOCK_PORT=$(free_port)
CLAUDE_SECTION="[plugin.claude]
library = claude
api_key = bench-not-a-real-key
base_url = http://127.0.0.1:$MOCK_PORT"

# start_host NAME BINARY [BUILD]: an agenthost from BINARY with the plugins of BUILD.
start_host() {
    BUILD=${3:-$BUILD} AGENTHOST_BIN=$2 start_agenthost "$SERVER_LINES" "$CLAUDE_SECTION"
    remember_server "$1"
    if [[ -n $SERVER_LINES ]]; then SCHEME=https wait_health "$PORT"; else wait_health "$PORT"; fi
}
start_host a "$BIN_A" "${PLUGINS_A:-}"
start_host b "$BIN_B"
SERVERS=(a b)
if [[ ${BENCH_TTFC_FLOOR:-1} == 1 && ${BENCH_TTFC_TLS:-0} != 1 ]]; then
    start_floor "$MOCK_PORT"
    remember_server floor
    SERVERS+=(floor)
fi

machine_line "$ROUNDS rounds of $SAMPLES pairs, $DELTAS deltas $INTERVAL_MS ms apart${TLS_FLAG:+, wss://}"
declare -A ADDS=([a]="" [b]="" [floor]="")
for round in $(seq 1 "$ROUNDS"); do
    for server in "${SERVERS[@]}"; do
        use_server "$server"
        added=$("$BUILD/bin/claude_stream_bench" --mock-port="$MOCK_PORT" --host-port="$PORT" \
            --server-pid="$SERVER_PID" --streams=5 --samples="$SAMPLES" --deltas="$DELTAS" \
            --interval-ms="$INTERVAL_MS" "${TLS_FLAG[@]}" run |
            sed -n 's/^host adds p50 \([^ ]*\) ms.*/\1/p')
        echo "   round $round $server: host adds $added ms" >&2
        ADDS[$server]+="$added "
    done
done
stop_servers "${SERVERS[@]}"
for server in "${SERVERS[@]}"; do
    # shellcheck disable=SC2086
    median=$(printf '%s\n' ${ADDS[$server]} | median_of_input)
    echo "$server: host adds p50 ${median} ms (median of the rounds: ${ADDS[$server]% })"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
