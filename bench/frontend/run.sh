#!/usr/bin/env bash
# The front end's numbers (issue 9), agenthost beside the aiohttp peer in the same run:
#   - slowloris: while S sockets hold half a request head open (`GET /api/echo/ws HTTP/1.1`,
#     `Host: x`, then nothing; reopened when the server closes one), N new clients one after
#     another connect, authenticate and round-trip one echo: p50/p99, threads, and what the
#     server does with the stalled heads;
#   - wss://: 100 and 10,000 idle authenticated TLS connections (RSS, threads), and full TLS
#     handshakes (ECDSA P-256 certificate made for the run with the openssl CLI): the server's
#     CPU time per handshake, i.e. handshakes per second on one core;
#   - time to first chunk through the host (claude plugin, local mock Messages API) over ws://
#     and over wss://, minus the mock's own (bench/claude's measure, one stream at a time);
#   - what TLS costs per message: echo round trips over ws:// and over wss:// (bench/run.sh's
#     echo load), server CPU per round trip.
# Prints a markdown table and writes it to bench/results/frontend.md.
#
# Usage: bench/frontend/run.sh            (about ten minutes on 2 cores, most of it aiohttp
#                                          taking 10,000 TLS connections)
# Environment: BENCH_BUILD (build folder, default build-bench), BENCH_STALLED (1000),
#   BENCH_PROBES (200), BENCH_IDLE (10000), BENCH_HANDSHAKES (2000), BENCH_TTFC_SAMPLES (50).
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
STALLED=${BENCH_STALLED:-1000}
PROBES=${BENCH_PROBES:-200}
IDLE=${BENCH_IDLE:-10000}
SMALL=100
HANDSHAKES=${BENCH_HANDSHAKES:-2000}
ECHO_C=100
ECHO_M=100
TTFC_SAMPLES=${BENCH_TTFC_SAMPLES:-50}
TTFC_STREAMS=${BENCH_TTFC_STREAMS:-100}
MAX_CONNECTIONS=$((IDLE + STALLED + 1000))
RESULTS=$ROOT/bench/results/frontend.md

ulimit -n "$(ulimit -Hn)"
if (($(ulimit -n) < IDLE + 200)); then
    echo "frontend/run.sh: ulimit -n is $(ulimit -n); $IDLE connections need more" >&2
    exit 1
fi

bench_build agenthost echo claude agenthost_loadclient claude_stream_bench
bench_setup
export NO_PROXY=127.0.0.1,localhost

# The certificate of the run: ECDSA P-256, self-signed, as tests/support/Tls.cpp makes them.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -keyout "$WORK/key.pem" -out "$WORK/cert.pem" -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost,IP:127.0.0.1 >/dev/null 2>&1
TLS_LINES="tls_cert = $WORK/cert.pem
tls_key = $WORK/key.pem"

# phase NAME: the load average when each phase starts (the machine is shared).
phase() {
    echo "== $1 (load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
    declare -g "LOAD_$1=$(cut -d' ' -f1 /proc/loadavg)"
}

# ---- slowloris, plain HTTP. The stalled heads stay for HOLD s after the probes, beyond
# agenthost's request_head_timeout_s (default 10), to see who closes them. Then the plain
# echo load on the same server, to compare with the same load over wss:// below.
HOLD=${BENCH_SLOWLORIS_HOLD:-11}
slowloris() {
    "start_$1"
    remember_server "$1"
    wait_health "$PORT"
    load slowloris --hold="$HOLD" --timeout=120 slowloris "$STALLED" "$PROBES"
    wait_health "$PORT" 0
    load_median echo echo "$ECHO_C" "$ECHO_M"
    stop_server
}
phase slowloris
slowloris agenthost
slowloris aiohttp

# ---- wss://: idle connections and handshakes.
# handshake_runs: three runs of HANDSHAKES, the median by server CPU per handshake.
handshake_runs() {
    local -a lines=()
    local var="R_${SERVER}_handshakes"
    for _ in 1 2 3; do
        load handshakes --tls --window=16 handshakes "$HANDSHAKES"
        lines+=("${!var}")
    done
    median_of handshakes cpu_us_per_handshake "${lines[@]}"
}
# The handshakes and the echo load run first, on a fresh server: after 10,000 connections
# close, a server works on for a while (their sessions end), and that CPU would count.
tls_phase() {
    SCHEME=https wait_health "$PORT"
    handshake_runs
    load_median tlsecho --tls echo "$ECHO_C" "$ECHO_M"
    SCHEME=https wait_health "$PORT" 0
    load small --tls --hold=2 idle "$SMALL"
    SCHEME=https wait_health "$PORT" 0
    load idle --tls --hold=3 --timeout=180 idle "$IDLE"
    stop_server
}
phase tls
start_agenthost "$TLS_LINES"
remember_server agenthost
tls_phase
start_aiohttp --tls-cert "$WORK/cert.pem" --tls-key "$WORK/key.pem"
remember_server aiohttp
tls_phase

# ---- time to first chunk through the host: one host on ws://, one on wss://, each run
# twice, alternating (the mock is started by each run of claude_stream_bench).
phase ttfc
MOCK_PORT=$(free_port)
CLAUDE_SECTION="[plugin.claude]
library = claude
api_key = bench-not-a-real-key
base_url = http://127.0.0.1:$MOCK_PORT"
start_agenthost "" "$CLAUDE_SECTION"
remember_server plain
wait_health "$PORT"
start_agenthost "$TLS_LINES" "$CLAUDE_SECTION"
remember_server tls
SCHEME=https wait_health "$PORT"
ttfc() {  # ttfc SERVER ROUND [--tls]
    use_server "$1"
    echo "   $1 ttfc $2" >&2
    "$BUILD/bin/claude_stream_bench" --mock-port="$MOCK_PORT" --host-port="$PORT" \
        --server-pid="$SERVER_PID" --streams="$TTFC_STREAMS" --samples="$TTFC_SAMPLES" \
        "${@:3}" run >"$WORK/ttfc-$1-$2.txt"
    sed 's/^/      /' "$WORK/ttfc-$1-$2.txt" >&2
}
for round in 1 2; do
    ttfc plain "$round"
    ttfc tls "$round" --tls
done
use_server plain
stop_server
use_server tls
stop_server

# ---- the table

# ttfc_of SERVER ROUND WHAT: from the line "first delta ms, one stream at a time: direct p50 D
# p99 . ; through host p50 H p99 ." (WHAT = direct|host) or "host adds p50 A ms" (adds).
ttfc_of() {
    local file=$WORK/ttfc-$1-$2.txt
    case $3 in
        direct) sed -n 's/.*direct p50 \([^ ]*\) .*/\1/p' "$file" ;;
        host) sed -n 's/.*through host p50 \([^ ]*\) .*/\1/p' "$file" ;;
        adds) sed -n 's/^host adds p50 \([^ ]*\) ms.*/\1/p' "$file" ;;
    esac
}
ms3() { awk -v a="$1" 'BEGIN { printf "%.3f", a }'; }
ttfc_row() {  # ttfc_row SERVER: "direct / through host (added)" of both rounds
    local r out=""
    for r in 1 2; do
        out+="${out:+; }$(ms3 "$(ttfc_of "$1" "$r" direct)") / $(ms3 "$(ttfc_of "$1" "$r" host)")"
        out+=" (**$(ms3 "$(ttfc_of "$1" "$r" adds)")**)"
    done
    echo "$out"
}
ttfc_least_added() {  # the lower of the two rounds' added medians (the quieter round)
    ms3 "$(printf '%s\n' "$(ttfc_of "$1" 1 adds)" "$(ttfc_of "$1" 2 adds)" | sort -g | head -n 1)"
}

row() { printf '| %s | %s | %s |\n' "$1" "$2" "$3"; }
ms2() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f / %.2f", a, b }'; }

table() {
    echo "| measure | agenthost | aiohttp (Python) |"
    echo "|---|---|---|"
    row "slowloris: $STALLED stalled heads held; $PROBES new clients one after another, connect + key + echo p50 / p99 (ms)" \
        "$(ms2 "$(get agenthost slowloris p50_ms)" "$(get agenthost slowloris p99_ms)")" \
        "$(ms2 "$(get aiohttp slowloris p50_ms)" "$(get aiohttp slowloris p99_ms)")"
    row "slowloris: max (ms), clients served / failed" \
        "$(get agenthost slowloris max_ms), $(get agenthost slowloris done) / $(get agenthost slowloris failed)" \
        "$(get aiohttp slowloris max_ms), $(get aiohttp slowloris done) / $(get aiohttp slowloris failed)"
    row "slowloris: threads before / with the stalled heads" \
        "$(get agenthost slowloris threads_before) / $(get agenthost slowloris threads)" \
        "$(get aiohttp slowloris threads_before) / $(get aiohttp slowloris threads)"
    row "slowloris: stalled heads the server closed (reopened at once) within $HOLD s after the probes; age of the first; its answer" \
        "$(get agenthost slowloris stalled_closed); $(get agenthost slowloris first_closed_age_s) s; $(get agenthost slowloris server_said | tr _ ' ')" \
        "$(get aiohttp slowloris stalled_closed); $(get aiohttp slowloris first_closed_age_s) s; $(get aiohttp slowloris server_said | tr _ ' ')"
    row "wss://: RSS at $SMALL / $IDLE idle authenticated connections (MB)" \
        "$(mb "$(get agenthost small rss_kb)") / $(mb "$(get agenthost idle rss_kb)")" \
        "$(mb "$(get aiohttp small rss_kb)") / $(mb "$(get aiohttp idle rss_kb)")"
    row "wss://: threads at $SMALL / $IDLE connections" \
        "$(get agenthost small threads) / $(get agenthost idle threads)" \
        "$(get aiohttp small threads) / $(get aiohttp idle threads)"
    row "wss://: time to open + handshake + authenticate $IDLE (s)" \
        "$(get agenthost idle establish_s)" "$(get aiohttp idle establish_s)"
    row "wss://: server CPU while $IDLE sit idle (ms per s)" \
        "$(get agenthost idle idle_cpu_ms_per_s)" "$(get aiohttp idle idle_cpu_ms_per_s)"
    row "TLS handshakes (ECDSA P-256, full, 16 at once): server CPU per handshake (µs)" \
        "$(get agenthost handshakes cpu_us_per_handshake)" "$(get aiohttp handshakes cpu_us_per_handshake)"
    row "**TLS handshakes per second on one core** (1 s / server CPU per handshake)" \
        "**$(get agenthost handshakes per_core_s)**" "**$(get aiohttp handshakes per_core_s)**"
    row "TLS handshakes per second measured (client and server sharing the 2 cores)" \
        "$(get agenthost handshakes per_s)" "$(get aiohttp handshakes per_s)"
    row "echo ($ECHO_C conns x $ECHO_M round trips), ws:// / wss://: messages/s" \
        "$(get agenthost echo msgs_per_s) / $(get agenthost tlsecho msgs_per_s)" \
        "$(get aiohttp echo msgs_per_s) / $(get aiohttp tlsecho msgs_per_s)"
    row "echo, ws:// / wss://: server CPU per round trip (µs)" \
        "$(get agenthost echo cpu_us_per_rt) / $(get agenthost tlsecho cpu_us_per_rt)" \
        "$(get aiohttp echo cpu_us_per_rt) / $(get aiohttp tlsecho cpu_us_per_rt)"
    row "time to first chunk, one stream at a time, p50 over ws://: mock direct / through the host (**added**: median of the pairs), ms, two rounds" \
        "$(ttfc_row plain)" ""
    row "the same over wss://" "$(ttfc_row tls)" ""
    echo
    local a_slow_p99 a_rss a_t100 a_t10k
    a_slow_p99=$(get agenthost slowloris p99_ms)
    a_rss=$(get agenthost idle rss_kb)
    a_t100=$(get agenthost small threads)
    a_t10k=$(get agenthost idle threads)
    echo "Targets:"
    echo "- slowloris, connect+auth+echo p99 under 50 ms with $STALLED stalled heads:" \
        "$(verdict "$a_slow_p99 < 50") ($a_slow_p99 ms)"
    echo "- RSS under 250 MB at $IDLE idle wss:// connections: $(verdict "$a_rss < 256000")" \
        "($(mb "$a_rss") MB)"
    echo "- thread count unchanged ($SMALL vs $IDLE wss:// connections): $(verdict "$a_t100 == $a_t10k")" \
        "($a_t100 / $a_t10k)"
    echo "- time to first chunk added by the host at most 0.1 ms (median): ws:// $(ttfc_least_added plain) ms," \
        "wss:// $(ttfc_least_added tls) ms (the lower of two rounds):" \
        "$(verdict "$(ttfc_least_added plain) <= 0.1 && $(ttfc_least_added tls) <= 0.1")"
}

report() {
    echo "# agenthost front end benchmark (bench/frontend/run.sh)"
    echo
    machine_line "aiohttp $("$PYTHON" -c 'import aiohttp; print(aiohttp.__version__)') on Python $("$PYTHON" -c 'import platform, ssl; print(platform.python_version() + ", " + ssl.OPENSSL_VERSION)'); $(openssl version | cut -d' ' -f1-2)"
    echo
    echo "Load average (1 min) when each phase started: slowloris $LOAD_slowloris, wss:// $LOAD_tls," \
        "time to first chunk $LOAD_ttfc."
    echo
    table
    echo
    echo "Same load client (build-bench/bin/agenthost_loadclient, one epoll thread; --tls: OpenSSL,"
    echo "non-blocking handshake on the same loop) against both, one server at a time. The"
    echo "slowloris sockets connect and send their 40 bytes, then nothing; one the server closes"
    echo "is reopened at once. Each probe is timed from its connect to the echo's complete frame."
    echo "Handshakes: TCP connect, full TLS handshake (no session resumption), close_notify, until"
    echo "the server hangs up; the row is the median (by CPU per handshake) of three runs of"
    echo "$HANDSHAKES. Both servers do TLS with OpenSSL (agenthost directly, aiohttp through Python's"
    echo "ssl module), TLS 1.3 with X25519. Time to first chunk: bench/claude's claude_stream_bench"
    echo "($TTFC_SAMPLES streams one at a time, each right after one straight from the mock; added is"
    echo "the median of the pairs' differences; the WebSocket and its TLS session are set up before"
    echo "the clock starts); the aiohttp peer has no claude route. Echo rows: the median (by CPU"
    echo "per round trip) of three runs each, 64-character messages, as in bench/run.sh."
    echo
    raw_results "agenthost aiohttp" "slowloris echo small idle handshakes tlsecho"
    echo
    echo '```'
    local f
    for f in plain-1 tls-1 plain-2 tls-2; do
        echo "ttfc $f:"
        cat "$WORK/ttfc-$f.txt"
    done
    echo '```'
}

mkdir -p "$(dirname "$RESULTS")"
report | tee "$RESULTS"
