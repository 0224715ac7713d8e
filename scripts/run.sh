#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a running server:
#   scripts/run.sh [agenthost options]     (default: --config=config/agenthost.ini)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# The server and plugins only, as a user's plain Release build compiles them (.ci/run builds
# that too, so a fresh machine's first run reuses those objects through ccache).
scripts/build.sh build -DCMAKE_BUILD_TYPE=Release -DAGENTHOST_TESTS=OFF -DAGENTHOST_BENCH=OFF
if [ $# -eq 0 ]; then set -- --config=config/agenthost.ini; fi
exec build/bin/agenthost "$@"
