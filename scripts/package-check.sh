#!/usr/bin/env bash
# The .deb, for real: builds it with `cpack -G DEB` from a Release build dir, installs it on this
# machine with dpkg -i, starts the installed binary with the installed config as a plain
# background process (no systemd needed; STATE_DIRECTORY stands in for StateDirectory=), waits
# for /api/health to answer 200, stops it with SIGTERM expecting exit 0, then removes and purges
# the package and checks that its files are gone. Needs root (dpkg) and port 8080 free (the
# installed config's port). Safe to run again after a failed run.
#   scripts/package-check.sh [build-dir]     default: build (see .ci/run)
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
config=/etc/agenthost/agenthost.ini
health=http://127.0.0.1:8080/api/health

fail() { echo "package-check: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || fail "needs root to install the package with dpkg"
[ -f "$build/CMakeCache.txt" ] || fail "$build is not a configured build dir"
grep -q '^CMAKE_BUILD_TYPE:STRING=Release$' "$build/CMakeCache.txt" ||
  fail "$build is not a Release build (cmake -DCMAKE_BUILD_TYPE=Release)"

work="$(mktemp -d /tmp/agenthost-package-check.XXXXXX)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  if dpkg -s agenthost >/dev/null 2>&1; then dpkg -P agenthost >/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# A leftover from an interrupted run would make this one test the old package.
if dpkg -s agenthost >/dev/null 2>&1; then
  echo "== package-check: purging an agenthost package left installed"
  dpkg -P agenthost >/dev/null
fi

version="$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")"
deb="$build/agenthost_${version}_$(dpkg --print-architecture).deb"
echo "== package-check: cpack -G DEB in $build ($(date +%T))"
rm -f "$deb"
(cd "$build" && cpack -G DEB >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; fail "cpack failed"; }
[ -f "$deb" ] || fail "cpack did not make $deb"

echo "== package-check: $(basename "$deb"): Depends: $(dpkg-deb -f "$deb" Depends)"
dpkg-deb -f "$deb" Depends | grep -q libpoco || fail "Depends does not name the Poco libraries"
dpkg-deb -I "$deb" conffiles | grep -qx "$config" || fail "$config is not a conffile"

installed_files=(
  /usr/bin/agenthost
  /usr/lib/agenthost/plugins/echo.so
  /usr/lib/agenthost/plugins/claude.so
  /usr/lib/agenthost/plugins/codex_bridgehub.so
  /usr/lib/systemd/system/agenthost.service
  /usr/include/agenthost/plugin_abi.h
  /usr/share/doc/agenthost/README.md
  /usr/share/agenthost/web/index.html
)

echo "== package-check: dpkg -i"
dpkg -i "$deb" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg -i failed"; }
for f in "${installed_files[@]}" "$config"; do [ -e "$f" ] || fail "not installed: $f"; done
grep -qx "directory = /usr/lib/agenthost/plugins" "$config" ||
  fail "$config does not point [plugins] directory at /usr/lib/agenthost/plugins"
/usr/bin/agenthost --check-config --config="$config" >"$work/check.log" 2>&1 ||
  { cat "$work/check.log"; fail "the installed config does not pass --check-config"; }

if curl -s -o /dev/null "$health"; then fail "something already answers on $health"; fi
echo "== package-check: starting /usr/bin/agenthost --config=$config"
mkdir -p "$work/state"
env -u NOTIFY_SOCKET STATE_DIRECTORY="$work/state" \
  /usr/bin/agenthost --config="$config" >"$work/server.log" 2>&1 &
server_pid=$!
status=""
for _ in $(seq 1 150); do
  status="$(curl -s -o /dev/null -w '%{http_code}' "$health" || true)"
  [ "$status" = 200 ] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; fail "the server exited"; }
  sleep 0.2
done
[ "$status" = 200 ] || { cat "$work/server.log"; fail "$health answered '$status', not 200"; }
# The installed page, found by the installed binary's default [web] directory.
page="$(curl -s -D "$work/page.head" http://127.0.0.1:8080/ || true)"
grep -q 'src="/app/main.js"' <<<"$page" || { cat "$work/server.log"; fail "GET / is not the chat page"; }
grep -qi '^Content-Security-Policy:' "$work/page.head" || fail "GET / has no Content-Security-Policy"
[ -f "$work/state/generated.key" ] ||
  { cat "$work/server.log"; fail "the generated key is not in STATE_DIRECTORY"; }

kill -TERM "$server_pid"
rc=0
wait "$server_pid" || rc=$?
server_pid=""
[ "$rc" = 0 ] || { cat "$work/server.log"; fail "SIGTERM: exit status $rc, not 0"; }
echo "== package-check: answered $health with 200, stopped with exit 0"

echo "== package-check: dpkg -r, then dpkg -P"
dpkg -r agenthost >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg -r failed"; }
for f in "${installed_files[@]}"; do [ ! -e "$f" ] || fail "still there after dpkg -r: $f"; done
[ -e "$config" ] || fail "dpkg -r removed the conffile $config (only a purge should)"
dpkg -P agenthost >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg -P failed"; }
[ ! -e /etc/agenthost ] || fail "still there after dpkg -P: /etc/agenthost"
[ ! -e /usr/lib/agenthost ] || fail "still there after dpkg -P: /usr/lib/agenthost"
[ ! -e /usr/share/agenthost ] || fail "still there after dpkg -P: /usr/share/agenthost"
! dpkg -s agenthost >/dev/null 2>&1 || fail "dpkg still lists agenthost"
echo "== package-check: ok ($(date +%T))"
