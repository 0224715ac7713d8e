# Shared by the benchmark scripts (bench/run.sh, bench/conversations/run.sh,
# bench/frontend/run.sh); source it.
# It builds the host, the echo plugin and the load client, starts and stops servers on free
# loopback ports, runs the load client against the current server and keeps its result lines.
#
# The current server is PORT, SERVER_PID, SERVER_LOG, STATE_DIR (set by start_*; several can
# run at once: remember_server / use_server switch between them) and SERVER, the name under
# which `load` keeps results: R_<SERVER>_<name>.
#
# Environment: BENCH_BUILD (build folder, default build-bench), AGENTHOST_BIN (the agenthost
# binary start_agenthost runs, default the build's).

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BENCH_BUILD:-$ROOT/build-bench}
PYTHON=/usr/bin/python3  # Debian's, with python3-aiohttp (not a pyenv python from PATH)
CLIENT=$BUILD/bin/agenthost_loadclient
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)  # the machine is shared: say how busy it was
SERVER=
SERVER_PID=
ALL_SERVER_PIDS=()

# bench_build TARGET...: configures $BUILD once (RelWithDebInfo, no tests) and builds.
bench_build() {
    echo "== building ($*) in $BUILD" >&2
    if [[ ! -f $BUILD/CMakeCache.txt ]]; then
        cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAGENTHOST_TESTS=OFF >/dev/null
    fi
    cmake --build "$BUILD" -j2 --target "$@" >/dev/null
}

# bench_setup: a scratch folder (WORK) removed on exit with every server still running, and a
# fresh key in AGENTHOST_BENCH_KEY (the load client reads it from there, not the process list).
bench_setup() {
    WORK=$(mktemp -d /tmp/agenthost-bench.XXXXXX)
    trap bench_cleanup EXIT
    AGENTHOST_BENCH_KEY=bench-$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
    export AGENTHOST_BENCH_KEY
}

bench_cleanup() {
    local pid
    for pid in "${ALL_SERVER_PIDS[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then SERVER_PID=$pid stop_server; fi
    done
    rm -rf "$WORK"
}

free_port() {
    "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_health PORT [N [ROUTE]]: waits until GET /api/health answers and reports `"ROUTE": N`
# connections (default any; ROUTE defaults to echo). SCHEME=https for a server with TLS (its
# certificate is not checked).
wait_health() {
    local port=$1 want=${2:-} route=${3:-echo} body
    for _ in $(seq 1 300); do
        if body=$(curl -sfk "${SCHEME:-http}://127.0.0.1:$port/api/health" 2>/dev/null); then
            if [[ -z $want ]] || tr -d ' ' <<<"$body" | grep -q "\"$route\":${want}[,}]"; then
                return 0
            fi
        fi
        sleep 0.1
    done
    echo "bench: server on port $port: no health (want $route=$want), last: ${body:-none}" >&2
    return 1
}

# start_agenthost [SERVER_LINES] [SECTIONS]: agenthost with a generated ini: the echo route,
# the bench key, extra [server] lines and extra sections (e.g. [conversations], more routes).
# Its state folder is STATE_DIR. MAX_CONNECTIONS (default 20000) bounds the connections;
# KEY_LINES are extra lines of the key's section (its limits).
start_agenthost() {
    PORT=$(free_port)
    STATE_DIR=$WORK/state-$PORT
    cat >"$WORK/agenthost-$PORT.ini" <<EOF
[server]
host = 127.0.0.1
port = $PORT
state_dir = $STATE_DIR
max_connections = ${MAX_CONNECTIONS:-20000}
; every load client is on loopback and a burst opens thousands before their keys are read
max_pending_auth = ${MAX_CONNECTIONS:-20000}
max_pending_auth_per_address = ${MAX_CONNECTIONS:-20000}
ping_interval_s = 3600
auth_timeout_s = 60
${1:-}

[key.bench]
secret = $AGENTHOST_BENCH_KEY
${KEY_LINES:-}

[plugins]
directory = $BUILD/plugins

[plugin.echo]
library = echo

${2:-}
EOF
    SERVER_LOG=$WORK/agenthost-$PORT.log
    "${AGENTHOST_BIN:-$BUILD/bin/agenthost}" --config="$WORK/agenthost-$PORT.ini" >"$SERVER_LOG" 2>&1 &
    SERVER_PID=$!
    ALL_SERVER_PIDS+=("$SERVER_PID")
}

# restart_agenthost: stops the current agenthost and starts it again with the same ini (same
# port, same state folder): what is in its store is then read back from disk.
restart_agenthost() {
    stop_server
    "$BUILD/bin/agenthost" --config="$WORK/agenthost-$PORT.ini" >>"$SERVER_LOG" 2>&1 &
    SERVER_PID=$!
    ALL_SERVER_PIDS+=("$SERVER_PID")
}

# start_aiohttp [ARGS]: the aiohttp peer, with extra arguments (e.g. --tls-cert/--tls-key).
start_aiohttp() {
    PORT=$(free_port)
    STATE_DIR=
    SERVER_LOG=$WORK/aiohttp-$PORT.log
    "$PYTHON" "$ROOT/bench/peer/aiohttp_server.py" --port "$PORT" --ping-interval 3600 "$@" \
        >"$SERVER_LOG" 2>&1 &
    SERVER_PID=$!
    ALL_SERVER_PIDS+=("$SERVER_PID")
}

# start_floor [API_PORT]: bench/floor/floor_server.cpp, the least a server can do for the echo
# load, or with API_PORT floor_relay.cpp, the least a relay to that Messages API can do (no HTTP
# endpoints: either is ready once its port accepts).
start_floor() {
    PORT=$(free_port)
    STATE_DIR=
    SERVER_LOG=$WORK/floor-$PORT.log
    if [[ -n ${1:-} ]]; then
        "$BUILD/bin/agenthost_floor_relay" "$PORT" "$1" >"$SERVER_LOG" 2>&1 &
    else
        "$BUILD/bin/agenthost_floor_server" "$PORT" >"$SERVER_LOG" 2>&1 &
    fi
    SERVER_PID=$!
    ALL_SERVER_PIDS+=("$SERVER_PID")
    for _ in $(seq 1 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    echo "bench: the floor server on port $PORT does not accept" >&2
    return 1
}

# stop_server: SIGTERM to the current server, SIGKILL after 10 s.
stop_server() {
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
}

# stop_servers NAME...: stops each server kept under NAME (remember_server).
stop_servers() {
    local server
    for server in "$@"; do
        use_server "$server"
        stop_server
    done
}

# median_of_input: the median of the numbers on standard input, one per line.
median_of_input() {
    sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# remember_server NAME / use_server NAME: keep the current server's coordinates under NAME,
# and make the server kept under NAME current again (its results go to R_<NAME>_...).
remember_server() {
    declare -g "S_$1=$PORT $SERVER_PID $SERVER_LOG ${STATE_DIR:--}"
    SERVER=$1
}
use_server() {
    local var="S_$1"
    read -r PORT SERVER_PID SERVER_LOG STATE_DIR <<<"${!var}"
    SERVER=$1
}

# value KEY LINE: the value of KEY=... in a key=value line of the load client.
value() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $2"; }

# load NAME ARGS...: runs the load client against the current server and keeps its output
# line as R_<SERVER>_<NAME>. A failed run stops the benchmark, unless NAME is "burst" (whose
# point is to count what a server refuses).
load() {
    local name=$1 line status=0
    shift
    echo "   $SERVER $name: $*" >&2
    line=$(timeout 300 "$CLIENT" --port="$PORT" --server-pid="$SERVER_PID" "$@" \
        2>"$WORK/client.err") || status=$?
    if ((status != 0)) && [[ $name != burst || -z $line ]]; then
        echo "bench: load client failed ($*):" >&2
        cat "$WORK/client.err" >&2
        tail -n 20 "$SERVER_LOG" >&2
        exit 1
    fi
    echo "      $line" >&2
    sed 's/^/      /' "$WORK/client.err" >&2
    declare -g "R_${SERVER}_$name=$line"
}

# median_of NAME KEY LINE...: keeps as R_<SERVER>_<NAME> the line with the median KEY.
median_of() {
    local name=$1 key=$2 line
    shift 2
    local -a keyed=()
    for line in "$@"; do keyed+=("$(value "$key" "$line") $line"); done
    declare -g "R_${SERVER}_$name=$(printf '%s\n' "${keyed[@]}" | sort -n |
        sed -n "$(((${#keyed[@]} + 1) / 2))p" | cut -d' ' -f2-)"
}

# load_median NAME ARGS...: three echo runs; keeps the one with the median CPU per round trip
# (the machine is shared, so single runs are noisy).
load_median() {
    local name=$1 var="R_${SERVER}_$1"
    shift
    local -a lines=()
    for _ in 1 2 3; do
        load "$name" "$@"
        lines+=("${!var}")
    done
    median_of "$name" cpu_us_per_rt "${lines[@]}"
}

# raw_results "SERVER..." "NAME...": every kept result line R_<SERVER>_<NAME>, as a code block.
raw_results() {
    local server name var
    echo '```'
    for server in $1; do
        for name in $2; do
            var="R_${server}_$name"
            if [[ -n ${!var:-} ]]; then echo "$server $name: ${!var}"; fi
        done
    done
    echo '```'
}

# get SERVER NAME KEY: KEY from the kept result line R_<SERVER>_<NAME>.
get() { local var="R_$1_$2"; value "$3" "${!var:-}"; }
mb() { awk -v kb="$1" 'BEGIN { printf "%.1f", kb / 1024 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }'; }
verdict() { if awk "BEGIN { exit !($1) }"; then echo PASS; else echo FAIL; fi; }

# machine_line [WHAT ELSE]: the first line of a report: when, on what, how busy the machine was
# before the run.
machine_line() {
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1);" \
        "$(uname -r);${1:+ $1;} load average before the run: $LOAD_BEFORE"
}
