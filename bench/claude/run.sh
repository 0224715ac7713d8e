#!/usr/bin/env bash
# The claude plugin's streaming benchmark: 500 concurrent streams through agenthost and
# claude.so against a local mock Messages API (host threads and fds while they run), and the
# time to first chunk through the host minus straight from the same mock.
#   bench/claude/run.sh [STREAMS]      (default 500; loopback only, bounded, exits by itself)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$ROOT/build-bench
STREAMS=${1:-500}
PYTHON=/usr/bin/python3

ulimit -n "$(ulimit -Hn)"
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAGENTHOST_TESTS=OFF >/dev/null
cmake --build "$BUILD" -j2 --target agenthost claude claude_stream_bench >/dev/null

source "$ROOT/bench/claude/common.sh"
cat >"$WORK/agenthost.ini" <<INI
[server]
host = 127.0.0.1
port = $HOST_PORT
state_dir = $WORK/state
max_connections = $((STREAMS + 100))
; all streams connect from loopback at once, before their keys are read
max_pending_auth = $((STREAMS + 100))
max_pending_auth_per_address = $((STREAMS + 100))

[key.bench]
secret = $AGENTHOST_BENCH_KEY

[plugins]
directory = $BUILD/plugins

[plugin.claude]
library = claude
api_key = bench-not-a-real-key
base_url = http://127.0.0.1:$MOCK_PORT
INI
start_host
"$BUILD/bin/claude_stream_bench" --mock-port="$MOCK_PORT" --host-port="$HOST_PORT" \
    --streams="$STREAMS" --server-pid="$HOST_PID" run
