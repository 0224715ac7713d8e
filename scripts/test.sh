#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a passing test suite:
#   scripts/test.sh            the suite, then again under AddressSanitizer+UBSan and ThreadSanitizer,
#                              then every fuzz target for a few seconds (about a minute in all)
#   scripts/test.sh --quick    the suite once, without the sanitizer builds
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  echo "== format: clang-format --dry-run over the tracked sources"
  git ls-files '*.cpp' '*.h' '*.hpp' '*.c' | xargs clang-format --dry-run --Werror
fi

jobs="$(nproc)"
run_suite() {  # run_suite <build dir> <label> [cmake args...]
  local dir="$1" label="$2"
  shift 2
  echo "== $label: building in $dir ($(date +%T))"
  mkdir -p "$dir"
  scripts/build.sh "$dir" -DAGENTHOST_TESTS=ON "$@" 2>&1 | tee "$dir/build.log"
  # Warnings are errors here (and only here: a user's build must not break on a newer
  # compiler's warnings). The sanitizer builds pass -Werror; the release build is a user's own
  # plain build, so it is read for warnings instead. One is not ours: GCC 12 at -O3 warns
  # [-Wrestrict] inside libstdc++'s char_traits for `"literal" + std::string` (a false positive).
  if grep -E '(: |^)warning: ' "$dir/build.log" | grep -vE 'bits/char_traits\.h:[0-9:]+ warning: .*\[-Wrestrict\]$'; then
    echo "== $label: the build has warnings (above); the test command treats them as errors"
    exit 1
  fi
  echo "== $label: testing ($(date +%T))"
  (cd "$dir" && ctest --output-on-failure --no-tests=error --parallel "$jobs" --timeout 300)
}

# The first suite runs on exactly what a user's plain build makes (`cmake
# -DCMAKE_BUILD_TYPE=Release`: the whole tree, benchmarks included, no -Werror): one build proves
# that build and the tests.
run_suite build "release" -DCMAKE_BUILD_TYPE=Release -DAGENTHOST_BENCH=ON -DAGENTHOST_WERROR=OFF
if [ "${1:-}" != "--quick" ]; then
  # A small quarantine: ASan keeps freed memory resident for a while, and the default (256 MB)
  # makes the memory bounds that some tests check (a flood of junk over wss://, where OpenSSL
  # allocates a record buffer per read and frees it) measure ASan instead of the server.
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:quarantine_size_mb=8 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_suite build-asan "asan+ubsan" -DAGENTHOST_BENCH=OFF -DAGENTHOST_WERROR=ON \
    -DAGENTHOST_SANITIZE=address
  TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/tests/tsan.supp" \
    run_suite build-tsan "tsan" -DAGENTHOST_BENCH=OFF -DAGENTHOST_WERROR=ON \
    -DAGENTHOST_SANITIZE=thread
  # The libFuzzer targets (tests/fuzz) on their committed corpora: 9 targets x 7 s. It catches
  # a parser change that breaks a property on the known inputs or near them; long runs are
  # scripts/fuzz.sh's (README, "Fuzzing").
  echo "== fuzz ($(date +%T))"
  scripts/fuzz.sh 7
fi
echo "== all tests passed ($(date +%T))"
