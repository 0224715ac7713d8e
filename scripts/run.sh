#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a running server:
#   scripts/run.sh [agenthost options]     (default: --config=config/agenthost.ini)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh build -DAGENTHOST_TESTS=OFF -DAGENTHOST_BENCH=OFF  # the server and plugins only
if [ $# -eq 0 ]; then set -- --config=config/agenthost.ini; fi
exec build/bin/agenthost "$@"
