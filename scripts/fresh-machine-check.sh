#!/usr/bin/env bash
# Proves the README's two commands on a truly fresh Debian 12, as a new user meets them:
#   scripts/fresh-machine-check.sh [--cold]      (as root, on a Debian or Ubuntu host)
#
# 1. a minimal Debian 12 tree (debootstrap --variant=minbase bookworm) in a temporary folder,
#    unpacked from a cached tarball in $AGENTHOST_FRESH_CACHE (default /var/cache/agenthost) when
#    one younger than 30 days exists;
# 2. a clean clone of the current HEAD commit (committed files only) at /src/agenthost in it,
#    and the sibling folder ../shared beside it when the repository has one (the tests read it);
#    of this machine only what belongs to its network: /etc/resolv.conf and the CA certificates
#    added in /usr/local/share/ca-certificates (a proxy that inspects TLS);
# 3. inside a chroot: scripts/setup.sh (the first thing scripts/run.sh does; the one stage with
#    network access), then, in a private network namespace with only loopback (no clash with
#    ports in use on this machine, and proof that nothing after setup needs the network):
#    scripts/run.sh until /api/health answers, the README's client (python3 -m websockets)
#    sending the generated key printed at startup and {"content":"hello"} and getting the echo
#    back, the server stopped, then scripts/test.sh --quick.
# Everything it mounts and creates is removed on exit, failed or not.
#
# The host's ccache ($CCACHE_DIR, else ~/.ccache) and a cache of downloaded .deb files
# ($AGENTHOST_FRESH_CACHE/apt-archives) are shared into the tree to keep repeated runs short.
# --cold uses none of the caches: a brand-new machine.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
cache_dir="${AGENTHOST_FRESH_CACHE:-/var/cache/agenthost}"
tarball="$cache_dir/debian12-minbase.tar.gz"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
cold=false
if [ "${1:-}" = "--cold" ]; then cold=true; fi

if [ "$(id -u)" -ne 0 ]; then
  echo "fresh-machine-check: needs root (debootstrap, mount, chroot)" >&2
  exit 2
fi

started=$(date +%s)
stage_started=$started
stage() {  # stage <name>: prints how long the previous stage took, then the next one's name
  local now
  now=$(date +%s)
  if [ -n "${stage_name:-}" ]; then
    echo "== fresh: $stage_name took $((now - stage_started)) s"
  fi
  stage_name="$1"
  stage_started=$now
  echo "== fresh: $stage_name ($(date +%T))"
}

work="$(mktemp -d "${TMPDIR:-/var/tmp}/agenthost-fresh.XXXXXX")"
root="$work/root"
mounted=()  # in mount order; unmounted in reverse

mounts_under_root() {
  awk -v r="$root" '$5 == r || index($5, r "/") == 1 { print $5 }' /proc/self/mountinfo
}

cleanup() {
  local status=$?
  set +e
  echo "== fresh: cleaning up $work"
  # Anything still running inside the tree (a server left by a failed stage) keeps mounts busy.
  local pid
  for pid in /proc/[0-9]*; do
    if [ "$(readlink "$pid/root" 2>/dev/null)" = "$root" ]; then kill -KILL "${pid#/proc/}"; fi
  done
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    umount "${mounted[i]}" 2>/dev/null || umount -l "${mounted[i]}"
  done
  # Never delete through a mount that is still there: a bind mount leads back into this machine.
  if [ -n "$(mounts_under_root)" ]; then
    echo "fresh-machine-check: still mounted, left $work in place:" >&2
    mounts_under_root >&2
    exit 1
  fi
  rm -rf --one-file-system "$work"
  echo "== fresh: $( [ $status -eq 0 ] && echo passed || echo FAILED ) in $(($(date +%s) - started)) s"
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bind() {  # bind <mount args...> <target>: mounts and remembers it for cleanup
  local target="${*: -1}"
  mkdir -p "$target"
  mount "$@"
  mounted+=("$target")
}

# Runs a bash script inside the tree with a clean environment. The second form has its own
# network namespace with only loopback up.
environment=(HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
  LANG=C.UTF-8 TERM=dumb)
in_tree() {
  chroot "$root" /usr/bin/env -i "${environment[@]}" /bin/bash -euo pipefail -c "$1"
}
in_tree_offline() {
  unshare --net /bin/sh -c 'ip link set lo up && exec "$@"' sh \
    chroot "$root" /usr/bin/env -i "${environment[@]}" /bin/bash -euo pipefail -c "$1"
}

stage "host tools"
for tool in debootstrap:debootstrap unshare:util-linux ip:iproute2 git:git; do
  if ! command -v "${tool%%:*}" >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${tool#*:}"
  fi
done

if ! $cold && [ -n "$(find "$tarball" -mtime -30 2>/dev/null)" ]; then
  stage "unpacking the cached minimal Debian 12 ($tarball)"
  mkdir "$root"
  tar --numeric-owner -xzf "$tarball" -C "$root"
else
  stage "debootstrap --variant=minbase bookworm"
  debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }
  if ! $cold; then
    mkdir -p "$cache_dir"
    tar --numeric-owner -czf "$tarball.tmp" -C "$root" . && mv "$tarball.tmp" "$tarball"
  fi
fi
echo "fresh: $(chroot "$root" dpkg-query -W | wc -l) packages installed"

stage "a clean clone of HEAD ($(git -C "$repo" rev-parse --short HEAD))"
git init -q "$root/src/agenthost"
git -C "$root/src/agenthost" fetch -q "$repo" HEAD
git -C "$root/src/agenthost" checkout -q --detach FETCH_HEAD
if [ -d "$repo/../shared" ]; then cp -r "$repo/../shared" "$root/src/shared"; fi

# The tree's root as a mount point of its own, private: inside, `unshare --mount` (the claude
# tests use it) can then make its mounts private without them reaching this machine.
bind --bind "$root" "$root"
mount --make-private "$root"
bind -t proc proc "$root/proc"
bind -t sysfs sysfs "$root/sys"
bind --bind /dev "$root/dev"
bind --bind /dev/pts "$root/dev/pts"
bind -t tmpfs tmpfs "$root/dev/shm"
cp /etc/resolv.conf "$root/etc/resolv.conf"
# The network's trust, like its resolver: CA certificates this machine's administrator added
# (a proxy that inspects TLS). ca-certificates, which setup installs, adds them to the store.
if [ -d /usr/local/share/ca-certificates ]; then
  mkdir -p "$root/usr/local/share/ca-certificates"
  cp -r /usr/local/share/ca-certificates/. "$root/usr/local/share/ca-certificates/"
fi
# What the installer writes on every real machine and debootstrap does not: without it
# `localhost` does not resolve, and the browser test reaches its chromedriver as localhost.
[ -s "$root/etc/hosts" ] ||
  printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
# No fsync per unpacked file: the tree is thrown away, and dpkg's syncing is most of setup's time.
echo force-unsafe-io >"$root/etc/dpkg/dpkg.cfg.d/fresh-machine-check"
host_ccache="${CCACHE_DIR:-$HOME/.ccache}"
if ! $cold && [ -d "$host_ccache" ]; then
  bind --bind "$host_ccache" "$root/var/cache/host-ccache"
  environment+=(CCACHE_DIR=/var/cache/host-ccache CCACHE_BASEDIR=/src CCACHE_NOHASHDIR=true)
fi
if ! $cold; then  # downloaded packages, kept between runs: apt still installs each one
  mkdir -p "$cache_dir/apt-archives"
  bind --bind "$cache_dir/apt-archives" "$root/var/cache/apt/archives"
fi

stage "scripts/setup.sh (with network)"
in_tree 'cd /src/agenthost && scripts/setup.sh'

stage "scripts/run.sh until /api/health answers, then the README's client"
in_tree_offline "$(cat <<'EOF'
cd /src/agenthost
scripts/run.sh >/tmp/run.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
until curl -fsS -o /tmp/health.json http://127.0.0.1:8080/api/health 2>/dev/null; do
  if ! kill -0 $server 2>/dev/null; then tail -n 40 /tmp/run.log >&2; exit 1; fi
  sleep 1
done
echo "fresh: /api/health: $(cat /tmp/health.json)"
key=$(awk '/uses a generated key/ { found = 1; next } found && /^    [^ ]/ { print $1; exit }' /tmp/run.log)
[ -n "$key" ] || { echo "fresh: no generated key in the startup output" >&2; exit 1; }

# The interactive client reads its stdin line by line: a fifo lets each line go when the
# previous answer is in.
mkfifo /tmp/client.in
timeout 60 python3 -m websockets ws://127.0.0.1:8080/api/echo/ws </tmp/client.in >/tmp/client.out 2>&1 &
client=$!
exec 3>/tmp/client.in
wait_for() {  # wait_for <grep -E pattern>: until the client printed it (30 s at most)
  for _ in $(seq 300); do
    if grep -qE "$1" /tmp/client.out; then return 0; fi
    sleep 0.1
  done
  echo "fresh: the client never printed $1:" >&2
  cat -v /tmp/client.out >&2
  exit 1
}
echo "$key" >&3
wait_for '"type":"ready"'
echo '{"content":"hello"}' >&3
wait_for '"type":"complete"'
exec 3>&-
wait $client
grep -q '"type":"message","content":"hello"' /tmp/client.out
echo "fresh: the echo round trip through python3 -m websockets worked"
kill $server
wait $server || true
trap - EXIT
EOF
)"

stage "scripts/test.sh --quick"
in_tree_offline 'cd /src/agenthost && scripts/test.sh --quick'
stage "done"
