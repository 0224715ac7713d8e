# What the claude benchmarks share (sourced): a work folder removed at exit with the host
# started in it (HOST_PID), a fresh client key, and free loopback ports for the host and the
# mock. Needs PYTHON; sets WORK, AGENTHOST_BENCH_KEY, HOST_PORT and MOCK_PORT.
WORK=$(mktemp -d /tmp/agenthost-claude-bench.XXXXXX)
HOST_PID=
cleanup() {
    if [[ -n $HOST_PID ]]; then kill "$HOST_PID" 2>/dev/null || true; wait "$HOST_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
    "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
AGENTHOST_BENCH_KEY=bench-$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
export AGENTHOST_BENCH_KEY NO_PROXY=127.0.0.1,localhost
HOST_PORT=$(free_port)
MOCK_PORT=$(free_port)

# Starts agenthost with $WORK/agenthost.ini and waits until it answers /api/health.
start_host() {
    "$BUILD/bin/agenthost" --config="$WORK/agenthost.ini" >"$WORK/agenthost.log" 2>&1 &
    HOST_PID=$!
    for _ in $(seq 1 100); do
        curl -sf "http://127.0.0.1:$HOST_PORT/api/health" >/dev/null 2>&1 && break
        sleep 0.1
    done
}
