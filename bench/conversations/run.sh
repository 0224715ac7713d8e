#!/usr/bin/env bash
# What the conversation store (protocol 2) costs, measured with the load client of bench/run.sh:
#   1. echo round trips of protocol 1 clients with [conversations] store = sqlite and with
#      store = none, in the same run: both hosts up at once, their runs alternating; server CPU
#      per round trip and messages/s, median of three runs each;
#   2. resume of a conversation with 10,000 stored frames, after a restart of the host (so every
#      frame comes from the SQLite file): time from the resume until the last replayed frame is
#      in, by URL (from the connect) and by resume frame;
#   3. 1,000 conversations of 100 turns: size of the database (db + wal), RSS of the host, and
#      latency of GET /api/conversations (every page, cursor paging) and of
#      GET /api/conversations/<id> (each conversation).
# Prints a markdown report and writes it to bench/results/conversations.md.
#
# Usage: bench/conversations/run.sh          (about three minutes on 2 cores)
# Environment: BENCH_BUILD (build folder, default build-bench), BENCH_CONV_ECHO_CONNECTIONS (100),
#   BENCH_CONV_ECHO_MESSAGES (1000), BENCH_CONV_RESUMES (20), BENCH_CONV_CONVERSATIONS (1000),
#   BENCH_CONV_TURNS (100), BENCH_CONV_API_PASSES (3).
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
ECHO_C=${BENCH_CONV_ECHO_CONNECTIONS:-100}
ECHO_M=${BENCH_CONV_ECHO_MESSAGES:-1000}
REPLAY_FRAMES=10000  # one user frame, 9,998 message frames, one complete frame
RESUMES=${BENCH_CONV_RESUMES:-20}
FILL_C=${BENCH_CONV_CONVERSATIONS:-1000}
FILL_TURNS=${BENCH_CONV_TURNS:-100}
FILL_PAYLOAD=64  # characters of each user message
FILL_REPEAT=4    # the answer is the message this many times, one message frame each
API_PASSES=${BENCH_CONV_API_PASSES:-3}
RESULTS=$ROOT/bench/results/conversations.md

ulimit -n "$(ulimit -Hn)"
bench_build agenthost echo agenthost_loadclient agenthost_store_reads
bench_setup

store_section() { printf '[conversations]\nstore = %s\n' "$1"; }

# median SERVER KEY NAME...: the median of KEY over the result lines R_<SERVER>_<NAME>.
median() {
    local server=$1 key=$2 name
    shift 2
    for name in "$@"; do get "$server" "$name" "$key"; done | median_of_input
}

# sustained SERVER: the median over the echo runs of round trips / (seconds + settle_ms): the rate
# the host keeps up with, its store included.
sustained() {
    local name
    for name in echo1 echo2 echo3; do
        awk -v n="$(get "$1" "$name" round_trips)" -v s="$(get "$1" "$name" seconds)" \
            -v w="$(get "$1" "$name" settle_ms)" 'BEGIN { printf "%.0f\n", n / (s + w / 1000) }'
    done | sort -g | sed -n 2p
}

# kib FILE: its size in KiB (0 when it does not exist).
kib() { if [[ -f $1 ]]; then echo $(($(stat -c %s "$1") / 1024)); else echo 0; fi; }
rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$SERVER_PID/status"; }

# ---- 1. echo round trips, store = sqlite versus store = none

echo_runs() {
    echo "== echo round trips: store = none and store = sqlite, alternating" >&2
    start_agenthost "" "$(store_section none)"
    remember_server none
    wait_health "$PORT"
    start_agenthost "" "$(store_section sqlite)"
    remember_server sqlite
    wait_health "$PORT"
    local run server
    for run in 1 2 3; do
        # Alternate which goes first, so a change in the machine's load hits both alike.
        local order="none sqlite"
        if ((run == 2)); then order="sqlite none"; fi
        for server in $order; do
            use_server "$server"
            load "echo$run" --settle-cpu=60 echo "$ECHO_C" "$ECHO_M"
            wait_health "$PORT" 0
        done
    done
    use_server sqlite
    ECHO_DB_KIB=$(($(kib "$STATE_DIR/conversations.db") + $(kib "$STATE_DIR/conversations.db-wal")))
    stop_server
    use_server none
    stop_server
}

# ---- 2. resume of a conversation with 10,000 stored frames

resume_runs() {
    echo "== resume of a conversation with $REPLAY_FRAMES frames" >&2
    start_agenthost "" "$(store_section sqlite)

[plugin.echo10k]
library = echo
repeat = $((REPLAY_FRAMES - 2))"
    remember_server resume
    wait_health "$PORT"
    load build --route=echo10k --protocol=2 --repeat=$((REPLAY_FRAMES - 2)) \
        --ids="$WORK/resume.id" echo 1 1
    RESUME_ID=$(head -n 1 "$WORK/resume.id")
    # A restart: nothing of the conversation is in memory, every frame is read from the file.
    restart_agenthost
    remember_server resume
    wait_health "$PORT"
    load url --route=echo10k --resume-by=url resume "$RESUME_ID" "$RESUMES"
    load frame --route=echo10k --resume-by=frame resume "$RESUME_ID" "$RESUMES"
    load half --route=echo10k --resume-by=url --after-seq=$((REPLAY_FRAMES / 2)) \
        resume "$RESUME_ID" "$RESUMES"
    stop_server
}

# ---- 3. 1,000 conversations of 100 turns: size, memory, list and get latency

api_available() {
    local code
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $AGENTHOST_BENCH_KEY" \
        "http://127.0.0.1:$PORT/api/conversations?limit=1")
    [[ $code == 200 ]]
}

fill_runs() {
    echo "== $FILL_C conversations of $FILL_TURNS turns" >&2
    start_agenthost "" "$(store_section sqlite)

[plugin.chat]
library = echo
repeat = $FILL_REPEAT"
    remember_server fill
    wait_health "$PORT"
    FILL_RSS_START=$(rss_kb)
    load fill --route=chat --protocol=2 --repeat="$FILL_REPEAT" --payload="$FILL_PAYLOAD" \
        --settle-cpu=120 echo "$FILL_C" "$FILL_TURNS"
    wait_health "$PORT" 0 chat
    sleep 1  # the last group commit
    FILL_DB_KIB=$(kib "$STATE_DIR/conversations.db")
    FILL_WAL_KIB=$(kib "$STATE_DIR/conversations.db-wal")
    FILL_RSS=$(rss_kb)
    if api_available; then
        load api --limit=50 api "$API_PASSES"
        # After a restart nothing is cached in the host: every answer comes from the file.
        restart_agenthost
        remember_server fill
        wait_health "$PORT"
        FILL_DB_RESTART_KIB=$(kib "$STATE_DIR/conversations.db")
        FILL_WAL_RESTART_KIB=$(kib "$STATE_DIR/conversations.db-wal")
        load api_restart --limit=50 api 1
    else
        echo "   the host has no GET /api/conversations: list and get not measured" >&2
    fi
    stop_server
    # The store's share of those latencies: the same reads without HTTP, on the same file.
    echo "   fill store_reads: $STATE_DIR/conversations.db" >&2
    R_fill_store_reads=$("$BUILD/bin/agenthost_store_reads" "$STATE_DIR/conversations.db" bench \
        "$API_PASSES" 50)
    echo "      $R_fill_store_reads" >&2
}

echo_runs
resume_runs
fill_runs

# ---- the report

row() { printf '| %s ' "$@"; echo '|'; }
ms() { awk -v us="$1" 'BEGIN { printf "%.2f", us / 1000 }'; }

report() {
    local n_cpu s_cpu n_mps s_mps cpu_ratio mps_change
    n_cpu=$(median none cpu_us_per_rt echo1 echo2 echo3)
    s_cpu=$(median sqlite cpu_us_per_rt echo1 echo2 echo3)
    n_mps=$(median none msgs_per_s echo1 echo2 echo3)
    s_mps=$(median sqlite msgs_per_s echo1 echo2 echo3)
    cpu_ratio=$(awk -v a="$s_cpu" -v b="$n_cpu" 'BEGIN { printf "%.2f", a / b }')
    mps_change=$(awk -v a="$s_mps" -v b="$n_mps" 'BEGIN { printf "%+.0f", 100 * (a - b) / b }')

    echo "# agenthost conversation store benchmark (bench/conversations/run.sh)"
    echo
    machine_line "SQLite $("$PYTHON" -c 'import sqlite3; print(sqlite3.sqlite_version)')"
    echo
    echo "## 1. Echo round trips: store = sqlite versus store = none"
    echo
    echo "$ECHO_C protocol 1 connections x $ECHO_M sequential round trips of 64 characters, per run;"
    echo "both hosts up at once, three runs each, alternating (none, sqlite / sqlite, none /"
    echo "none, sqlite). Server CPU (utime+stime of the whole process, so the store's writer thread"
    echo "counts) from the last connection ready until the host's CPU time stops growing after the"
    echo "last echo: the writes a run leaves queued in the store count too. \"store busy after the last"
    echo "echo\" is that wait: how far the store's writer was behind when the load stopped."
    echo
    row "measure (median of 3)" "store = none" "store = sqlite" "sqlite / none"
    row "---" "---" "---" "---"
    row "server CPU per round trip (µs)" "$n_cpu" "$s_cpu" "${cpu_ratio}x"
    row "messages/s" "$n_mps" "$s_mps" "${mps_change} %"
    row "round trip p50 / p99 (ms)" \
        "$(ms "$(median none p50_us echo1 echo2 echo3)") / $(ms "$(median none p99_us echo1 echo2 echo3)")" \
        "$(ms "$(median sqlite p50_us echo1 echo2 echo3)") / $(ms "$(median sqlite p99_us echo1 echo2 echo3)")" ""
    row "store busy after the last echo: writer backlog (ms)" \
        "$(median none settle_ms echo1 echo2 echo3)" "$(median sqlite settle_ms echo1 echo2 echo3)" ""
    row "messages/s counting that backlog (round trips / (run + backlog))" \
        "$(sustained none)" "$(sustained sqlite)" ""
    row "bytes written to files per round trip (wchar: WAL, checkpoints, log)" \
        "$(median none written_bytes_per_rt echo1 echo2 echo3)" \
        "$(median sqlite written_bytes_per_rt echo1 echo2 echo3)" ""
    row "RSS after the runs (MB)" "$(mb "$(get none echo3 rss_kb)")" "$(mb "$(get sqlite echo3 rss_kb)")" ""
    echo
    echo "Database after the three sqlite runs ($((3 * ECHO_C)) conversations, $((3 * ECHO_C * ECHO_M)) turns): $((ECHO_DB_KIB / 1024)) MB (db + wal)."
    echo
    echo "- CPU per round trip at most 1.5x of none: $(verdict "$cpu_ratio <= 1.5") (${cpu_ratio}x; goal 1.3x: $(verdict "$cpu_ratio <= 1.3"))"
    echo "- messages/s within 30 %: $(verdict "${mps_change#+} >= -30 && ${mps_change#+} <= 30") (${mps_change} %)"
    echo
    echo "## 2. Resume of a conversation with $REPLAY_FRAMES stored frames"
    echo
    echo "One conversation: a message answered $((REPLAY_FRAMES - 2)) times by the echo plugin (\`repeat\`):"
    echo "$REPLAY_FRAMES frames of about 140 bytes. The host is restarted before the resumes, so the first"
    echo "resume finds nothing in memory. $RESUMES resumes each, one after another, each on a new"
    echo "connection; the client (the load client, C++) checks every replayed frame's seq."
    echo
    row "resume" "frames replayed" "p50 (ms)" "max (ms)" "min (ms)"
    row "---" "---" "---" "---" "---"
    local name label
    for name in url frame half; do
        case $name in
            url) label="URL form, after_seq=0, from connect() to the last frame" ;;
            frame) label="resume frame after ready, after_seq=0, from the frame to the last frame" ;;
            half) label="URL form, after_seq=$((REPLAY_FRAMES / 2))" ;;
        esac
        row "$label" "$(get resume "$name" frames)" "$(get resume "$name" p50_ms)" \
            "$(get resume "$name" max_ms)" "$(get resume "$name" min_ms)"
    done
    echo
    local worst
    worst=$(printf '%s\n' "$(get resume url max_ms)" "$(get resume frame max_ms)" | sort -g | tail -n 1)
    echo "- replay of $REPLAY_FRAMES frames under 200 ms: $(verdict "$worst < 200") (worst of all resumes: $worst ms)"
    echo
    echo "## 3. $FILL_C conversations of $FILL_TURNS turns"
    echo
    echo "Filled by $FILL_C protocol 2 connections at once, $FILL_TURNS turns each: a $FILL_PAYLOAD-character"
    echo "message, answered by the echo plugin with it $FILL_REPEAT times ($FILL_REPEAT message frames):"
    echo "$((FILL_REPEAT + 2)) stored frames per turn, $((FILL_C * FILL_TURNS * (FILL_REPEAT + 2))) in all. Fill: $(get fill fill seconds) s, $(get fill fill msgs_per_s) turns/s, then $(get fill fill settle_ms) ms until the store had caught up; $(get fill fill cpu_us_per_rt) µs server CPU per turn."
    echo
    row "measure" "value"
    row "---" "---"
    row "database after the fill: db + wal (MB)" "$(mb $((FILL_DB_KIB + FILL_WAL_KIB))) ($(mb "$FILL_DB_KIB") + $(mb "$FILL_WAL_KIB"))"
    row "RSS of the host: started / after the fill, connections closed (MB)" "$(mb "$FILL_RSS_START") / $(mb "$FILL_RSS")"
    row "store reads of a list page of 50 (no HTTP): p50 / p99 / max (ms)" \
        "$(get fill store_reads list_p50_ms) / $(get fill store_reads list_p99_ms) / $(get fill store_reads list_max_ms) ($(get fill store_reads list_requests) pages)"
    row "store reads of a get, find + $FILL_TURNS turns (no HTTP): p50 / p99 / max (ms)" \
        "$(get fill store_reads get_p50_ms) / $(get fill store_reads get_p99_ms) / $(get fill store_reads get_max_ms) ($(get fill store_reads get_requests) gets)"
    if [[ -n ${R_fill_api:-} ]]; then
        row "database after a restart: db + wal (MB)" "$(mb $((FILL_DB_RESTART_KIB + FILL_WAL_RESTART_KIB))) ($(mb "$FILL_DB_RESTART_KIB") + $(mb "$FILL_WAL_RESTART_KIB"))"
        row "RSS after $API_PASSES passes of list + get (MB)" "$(mb "$(get fill api rss_kb)")"
        row "GET /api/conversations?limit=50, every page: p50 / p99 / max (ms)" \
            "$(get fill api list_p50_ms) / $(get fill api list_p99_ms) / $(get fill api list_max_ms) ($(get fill api list_requests) requests)"
        row "GET /api/conversations/<id> ($FILL_TURNS turns): p50 / p99 / max (ms)" \
            "$(get fill api get_p50_ms) / $(get fill api get_p99_ms) / $(get fill api get_max_ms) ($(get fill api get_requests) requests)"
        row "the same after a restart, list: p50 / p99 / max (ms)" \
            "$(get fill api_restart list_p50_ms) / $(get fill api_restart list_p99_ms) / $(get fill api_restart list_max_ms)"
        row "the same after a restart, get: p50 / p99 / max (ms)" \
            "$(get fill api_restart get_p50_ms) / $(get fill api_restart get_p99_ms) / $(get fill api_restart get_max_ms)"
        echo
        local p99
        p99=$(printf '%s\n' "$(get fill api list_p99_ms)" "$(get fill api get_p99_ms)" \
            "$(get fill api_restart list_p99_ms)" "$(get fill api_restart get_p99_ms)" | sort -g | tail -n 1)
        echo "- list and get p99 under 20 ms: $(verdict "$p99 < 20") (worst p99: $p99 ms)"
    else
        echo
        echo "- list and get latency: not measured (this build has no GET /api/conversations)"
    fi
    echo
    echo "The list walks every page with the \`next\` cursor; each pass then GETs every conversation"
    echo "listed, on one keep-alive HTTP connection (Poco HTTPClientSession in the load client)."
    echo "The store reads (agenthost_store_reads, once the host has stopped) are the same walk on the"
    echo "same file through SqliteStore, without HTTP: list pages, then find + turns of each."
    echo
    raw_results "none sqlite resume fill" \
        "echo1 echo2 echo3 build url frame half fill api api_restart store_reads"
}

mkdir -p "$(dirname "$RESULTS")"
report | tee "$RESULTS"
