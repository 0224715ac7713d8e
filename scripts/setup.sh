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
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
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
