#!/usr/bin/env bash
# Configures and builds into a build folder: scripts/build.sh [BUILD_DIR] [extra cmake args...]
# Default: build/ (RelWithDebInfo), giving build/bin/agenthost and build/plugins/<name>.so.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-build}"
shift || true
# ccache: paths under the checkout are hashed relative to the build folder, and the build folder
# itself is left out of the hash, so another checkout of the same commit (the fresh-machine
# check's clone, a second worktree) reuses these objects instead of compiling everything again.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
export CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-true}"
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$dir" --parallel "$(nproc)"
