#!/usr/bin/env bash
# The soak: agenthost under a steady load for MINUTES (default 60), to show that nothing is lost
# and nothing grows. Starts the real host on a config of its own in a temporary folder (echo,
# and claude against a local mock of the Messages API; the SQLite store on), then 1,000
# sessions of protocol 1 and 2 chat with it (bench/soak/driver.py: random disconnects and
# resumes, a SIGHUP every 10 s, a new echo library every minute). Every 10 s a row of the
# host's RSS, fds, threads, CPU and the latency and error counts goes to the CSV.
#
# Fails (exit 1, a "soak: FAIL" line per reason) on any lost or duplicated message, any
# unexpected error frame, close or failed reload, or RSS or fds growing more than 5 % after the
# warm-up (min(5 minutes, a fifth of the run)). Writes bench/results/soak.md (table),
# soak.svg (plot, gnuplot), soak.csv (every sample) and soak-summary.json (the driver's counts
# and first failures); SOAK_RESULTS elsewhere.
#
#   bench/soak.sh [MINUTES]
# Environment: SOAK_BUILD (build folder with bin/agenthost and plugins/, default build/; built
#   if missing), SOAK_SESSIONS (1000), SOAK_INTERVAL_S (mean seconds between two messages of a
#   session, 5), SOAK_P2_SHARE (0.5), SOAK_CLAUDE_SHARE (0.3), SOAK_INJECT (none; drop, dup or
#   fdleak make the driver lose or repeat a frame or leak connections: the run must then fail),
#   SOAK_RESULTS (bench/results), SOAK_KEEP (1: keep the temporary folder and its logs),
#   SOAK_WARMUP_S (the warm-up, default min(300, a fifth of the run)),
#   SOAK_MAX_PER_KEY (5000) and SOAK_RETENTION_INTERVAL_S (60): the store's retention, which a
#   smaller cap reaches sooner,
#   SOAK_DRIVER_ARGS (more options of bench/soak/driver.py, e.g. --mid-disconnect=0).
# Needs python3-websockets (Debian) and gnuplot (gnuplot-nox) for the plot.
set -euo pipefail

# free_port, wait_health, machine_line, PYTHON (Debian's, with python3-websockets), LOAD_BEFORE
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
MINUTES=${1:-60}
BUILD=${SOAK_BUILD:-$ROOT/build}
RESULTS=$(realpath -m "${SOAK_RESULTS:-$ROOT/bench/results}")
SESSIONS=${SOAK_SESSIONS:-1000}

if [[ ! -x $BUILD/bin/agenthost || ! -f $BUILD/plugins/echo.so || ! -f $BUILD/plugins/claude.so ]]; then
    echo "== building agenthost, echo and claude in $BUILD" >&2
    [[ -f $BUILD/CMakeCache.txt ]] ||
        cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAGENTHOST_TESTS=OFF >/dev/null
    cmake --build "$BUILD" -j2 --target agenthost echo claude >/dev/null
fi
ulimit -n "$(ulimit -Hn)"

WORK=$(mktemp -d /tmp/agenthost-soak.XXXXXX)
HOST_PID=
MOCK_PID=
cleanup() {
    local pid
    for pid in $HOST_PID $MOCK_PID; do
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [[ ${SOAK_KEEP:-0} == 1 ]]; then echo "soak: kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

PORT=$(free_port)
MOCK_PORT=$(free_port)
AGENTHOST_BENCH_KEY=soak-$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
export AGENTHOST_BENCH_KEY NO_PROXY=127.0.0.1,localhost

# The plugin folder is the soak's own: the driver replaces echo.so in it every minute.
mkdir -m 700 "$WORK/plugins" "$WORK/state"
install -m 755 "$BUILD/plugins/echo.so" "$BUILD/plugins/claude.so" "$WORK/plugins/"

cat >"$WORK/agenthost.ini" <<EOF
[server]
host = 127.0.0.1
port = $PORT
state_dir = $WORK/state
max_connections = 10000
max_pending_auth = 10000
max_pending_auth_per_address = 10000

[log]
file = agenthost.log
level = ${SOAK_LOG_LEVEL:-notice}

[key.bench]
secret = $AGENTHOST_BENCH_KEY

[plugins]
directory = $WORK/plugins

; the answer is the message three times, 100 ms apart: a disconnect can land in the middle
[plugin.echo]
library = echo
repeat = 3
interval_ms = 100

[plugin.claude]
library = claude
api_key = soak-not-a-real-key
base_url = http://127.0.0.1:$MOCK_PORT

; each session starts a new conversation every 20 turns; retention runs every
; minute and deletes the oldest beyond 5,000 (none a session is still on)
[conversations]
store = sqlite
max_per_key = ${SOAK_MAX_PER_KEY:-5000}
retention_interval_s = ${SOAK_RETENTION_INTERVAL_S:-60}
EOF

"$PYTHON" "$ROOT/bench/soak/mock_anthropic.py" --port "$MOCK_PORT" >"$WORK/mock.log" 2>&1 &
MOCK_PID=$!
"$BUILD/bin/agenthost" --config="$WORK/agenthost.ini" >"$WORK/agenthost.out" 2>&1 &
HOST_PID=$!
wait_health "$PORT" || {
    echo "soak: FAIL: the host did not start" >&2
    cat "$WORK/agenthost.out" "$WORK/agenthost.log" >&2 2>/dev/null || true
    exit 1
}

echo "== soak: $MINUTES min, $SESSIONS sessions, host pid $HOST_PID on port $PORT (work: $WORK)" >&2
status=0
"$PYTHON" "$ROOT/bench/soak/driver.py" --port="$PORT" --host-pid="$HOST_PID" --mock-pid="$MOCK_PID" \
    --plugin-dir="$WORK/plugins" --echo-library="$BUILD/plugins/echo.so" \
    --seconds="$(awk -v m="$MINUTES" 'BEGIN { print m * 60 + 2 }')" --sessions="$SESSIONS" \
    --interval-s="${SOAK_INTERVAL_S:-5}" --p2-share="${SOAK_P2_SHARE:-0.5}" \
    --claude-share="${SOAK_CLAUDE_SHARE:-0.3}" --inject="${SOAK_INJECT:-none}" \
    --csv="$WORK/soak.csv" --summary="$WORK/summary.json" ${SOAK_DRIVER_ARGS:-} || status=$?
if ((status != 0)); then
    echo "soak: FAIL: the driver exited with $status" >&2
    exit 1
fi
if ! kill -0 "$HOST_PID" 2>/dev/null; then
    echo "soak: FAIL: the host died" >&2
    tail -n 30 "$WORK/agenthost.log" "$WORK/agenthost.out" >&2 2>/dev/null || true
    exit 1
fi

mkdir -p "$RESULTS"
cp "$WORK/soak.csv" "$RESULTS/soak.csv"
cp "$WORK/summary.json" "$RESULTS/soak-summary.json"
machine=$(machine_line)
verdict=0
"$PYTHON" "$ROOT/bench/soak/report.py" --csv="$RESULTS/soak.csv" --summary="$RESULTS/soak-summary.json" \
    --minutes="$MINUTES" --markdown="$RESULTS/soak.md" --gnuplot="$WORK/soak.gp" \
    --svg="$RESULTS/soak.svg" --machine="$machine" || verdict=$?
if command -v gnuplot >/dev/null; then
    gnuplot "$WORK/soak.gp"
else
    echo "soak: gnuplot is not installed (apt-get install gnuplot-nox): no plot" >&2
fi
if grep -q -E ' (Error|Critical|Fatal) ' "$WORK/agenthost.log" 2>/dev/null; then
    echo "soak: the host logged errors:" >&2
    grep -E ' (Error|Critical|Fatal) ' "$WORK/agenthost.log" | head -n 10 >&2
fi
echo "soak: results in $RESULTS/soak.md, $RESULTS/soak.svg, $RESULTS/soak.csv" >&2
exit "$verdict"
