#!/usr/bin/env bash
# Installs what agenthost needs to build, test and run on Debian 12 (as root, or with sudo),
# down to what a minimal system (debootstrap --variant=minbase) lacks, and what the README's
# examples use. Safe to run again: it installs only what is missing.
set -euo pipefail

packages=(
  build-essential cmake ccache pkg-config git clang-format
  libpoco-dev libboost-dev libssl-dev libcurl4-openssl-dev libgtest-dev libgmock-dev
  libsqlite3-dev sqlite3
  python3 python3-aiohttp curl procps openssl
  ca-certificates     # the CA bundle the claude plugin verifies https://api.anthropic.com with
  python3-websockets  # the README's client example: python3 -m websockets ws://...
  dpkg-dev            # dpkg-shlibdeps: the .deb's Depends (scripts/package-check.sh, cpack -G DEB)
  prometheus          # promtool and a server for the /metrics tests (tests/metrics); not run as a service
  chromium chromium-driver python3-selenium  # the chat page's browser test (tests/web)
  python3-pexpect     # drives `agenthost chat` through a pseudo-terminal (tests/chat)
  clang-14 libclang-rt-14-dev  # the libFuzzer targets (tests/fuzz, scripts/fuzz.sh): libFuzzer, ASan, UBSan
)
# npm installs the Codex CLI for the codex_bridgehub tests (below). A machine that has npm
# already (say, Node.js from another source, whose nodejs conflicts with Debian's npm) keeps it.
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)

# The pinned Codex CLI that tests/codex runs for real (codex_cli_test), in .tools/codex at the
# repository's root (git-ignored). Without it (no registry), those tests are skipped.
install_codex_cli() {
  local version=0.171.0 root
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  local cli="$root/.tools/codex/node_modules/.bin/codex"
  if [ -x "$cli" ] && "$cli" --version 2> /dev/null | grep -q " $version\$"; then
    return 0
  fi
  echo "setup: installing @openai/codex@$version into .tools/codex"
  # Node trusts its own copy of Mozilla's CA list, not the system's: behind a proxy that
  # inspects TLS, whose CA the administrator added to the system's store, the registry's
  # certificate would fail. NODE_EXTRA_CA_CERTS adds the system's store (unless set already).
  local system_cas=/etc/ssl/certs/ca-certificates.crt
  if [ -z "${NODE_EXTRA_CA_CERTS:-}" ] && [ -s "$system_cas" ]; then
    export NODE_EXTRA_CA_CERTS="$system_cas"
  fi
  npm install --prefix "$root/.tools/codex" --no-audit --no-fund "@openai/codex@$version" ||
    echo "setup: could not install the Codex CLI; the tests that run it will be skipped" >&2
}

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  install_codex_cli
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# Debian's prometheus package starts a service on port 9090: the tests run their own on a free
# port, so no service is started while installing (policy-rc.d), and none is left enabled.
policy=/usr/sbin/policy-rc.d
made_policy=""
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" > /dev/null
  $SUDO chmod 755 "$policy"
  made_policy=yes
fi
trap 'if [ -n "$made_policy" ]; then $SUDO rm -f "$policy"; fi' EXIT
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
if command -v systemctl > /dev/null && [ -d /run/systemd/system ]; then
  $SUDO systemctl disable --now prometheus.service > /dev/null 2>&1 || true
fi
install_codex_cli
