#!/usr/bin/env bash
# Prompt caching's effect on a long conversation: a 20-turn conversation through agenthost and
# claude.so, once with prompt_caching = true and once with false, against a local mock Messages
# API that accounts the prompt cache as the API does; prints the input tokens billed in full,
# written to the cache and read from it.
#   bench/claude/cache_bench.sh [TURNS]      (default 20; loopback only, exits by itself)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build-bench}
TURNS=${1:-20}
PYTHON=/usr/bin/python3

BENCH_BIN=${BENCH_BIN:-$BUILD/bin/claude_cache_bench}
if [[ -z ${NO_BUILD:-} ]]; then  # NO_BUILD=1: use what $BUILD and $BENCH_BIN already hold
    cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAGENTHOST_TESTS=OFF >/dev/null
    cmake --build "$BUILD" -j2 --target agenthost claude claude_cache_bench >/dev/null
fi

WORK=$(mktemp -d /tmp/agenthost-claude-cache-bench.XXXXXX)
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
SYSTEM="You are a patient planning assistant. Answer each question with a clear explanation."
cat >"$WORK/agenthost.ini" <<INI
[server]
host = 127.0.0.1
port = $HOST_PORT
state_dir = $WORK/state

[key.bench]
secret = $AGENTHOST_BENCH_KEY

[plugins]
directory = $BUILD/plugins

[plugin.claude_cached]
library = claude
api_key = bench-not-a-real-key
base_url = http://127.0.0.1:$MOCK_PORT
system = $SYSTEM
prompt_caching = true

[plugin.claude_plain]
library = claude
api_key = bench-not-a-real-key
base_url = http://127.0.0.1:$MOCK_PORT
system = $SYSTEM
prompt_caching = false
INI
"$BUILD/bin/agenthost" --config="$WORK/agenthost.ini" >"$WORK/agenthost.log" 2>&1 &
HOST_PID=$!
for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$HOST_PORT/api/health" >/dev/null 2>&1 && break
    sleep 0.1
done
"$BENCH_BIN" --mock-port="$MOCK_PORT" --host-port="$HOST_PORT" \
    --turns="$TURNS" run
