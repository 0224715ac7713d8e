#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) in build-fuzz with clang-14, ASan and UBSan, and runs
# each on a copy of its committed corpus (tests/fuzz/corpus/<target>) with its dictionary:
#   scripts/fuzz.sh [SECONDS] [TARGET...]   SECONDS per target (default 60), every target by default
#   FUZZ_RUNS=N scripts/fuzz.sh 0 [TARGET...]   N executions per target instead of a time
# One target at a time, one process each. Prints executions and time per target; fails if any
# target finds a crash, a leak, a timeout or a violated property. What it found is kept in
# build-fuzz/findings/<target>/ (reproduce: build-fuzz/fuzz/<target> <file>).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
dir="${FUZZ_BUILD_DIR:-build-fuzz}"
all=(fuzz_http_head fuzz_ws_frames fuzz_client_frame fuzz_anthropic_sse fuzz_codex_json
  fuzz_codex_app_server fuzz_config_ini fuzz_utf8_chunker fuzz_turn_record)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")

export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
export CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-true}"
echo "== fuzz: building ${#targets[@]} targets in $dir ($(date +%T))"
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang-14 \
  -DCMAKE_CXX_COMPILER=clang++-14 -DAGENTHOST_FUZZ=ON -DAGENTHOST_TESTS=OFF \
  -DAGENTHOST_BENCH=OFF > /dev/null
cmake --build "$dir" --parallel "$(nproc)" --target "${targets[@]}" > "$dir/fuzz-build.log" 2>&1 ||
  { tail -40 "$dir/fuzz-build.log"; exit 1; }

dictionary() {
  case "$1" in
    fuzz_http_head) echo http ;;
    fuzz_config_ini) echo ini ;;
    fuzz_client_frame | fuzz_anthropic_sse | fuzz_codex_json | fuzz_codex_app_server | \
      fuzz_turn_record) echo json ;;
  esac
}

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failed=()
printf '%-24s %12s %9s %10s\n' target executions seconds exec/s
for target in "${targets[@]}"; do
  mkdir -p "$work/$target"
  cp -r "tests/fuzz/corpus/$target" "$work/$target/corpus"
  findings="$dir/findings/$target"
  mkdir -p "$findings"
  args=(-max_len=4096 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
    "-artifact_prefix=$findings/")
  if [ -n "${FUZZ_RUNS:-}" ]; then args+=("-runs=$FUZZ_RUNS"); else args+=("-max_total_time=$seconds"); fi
  dict="$(dictionary "$target")"
  [ -z "$dict" ] || args+=("-dict=tests/fuzz/dict/$dict.dict")
  start=$(date +%s%N)
  status=0
  "$dir/fuzz/$target" "${args[@]}" "$work/$target/corpus" > "$work/$target/log" 2>&1 || status=$?
  nanos=$(($(date +%s%N) - start))
  execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$work/$target/log" | tail -1)
  awk -v t="$target" -v n="${execs:-0}" -v ns="$nanos" \
    'BEGIN { s = ns / 1e9; printf "%-24s %12d %9.1f %10.0f\n", t, n, s, n / (s + 0.001) }'
  if [ "$status" -ne 0 ]; then
    failed+=("$target")
    grep -E 'property violated|ERROR:|SUMMARY:|Test unit written' "$work/$target/log" | head -20
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "== fuzz: findings in ${failed[*]} (inputs in $dir/findings/)"
  exit 1
fi
echo "== fuzz: no findings ($(date +%T))"
