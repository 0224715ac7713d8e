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

source "$ROOT/bench/claude/common.sh"
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
start_host
"$BENCH_BIN" --mock-port="$MOCK_PORT" --host-port="$HOST_PORT" \
    --turns="$TURNS" run
