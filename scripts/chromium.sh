#!/usr/bin/env bash
# Headless Chromium for @zocalo/dashboard's page tests: Debian's `chromium` package, installed where
# missing (as root; idempotent). The tests drive it with playwright-core, which downloads no browser.
set -euo pipefail
CHROMIUM="${ZOCALO_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
  echo "chromium: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "chromium: $CHROMIUM is missing; install it as root: apt-get install -y chromium" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends chromium >/dev/null 2>&1 || {
  apt-get update >/dev/null
  apt-get install -y --no-install-recommends chromium >/dev/null
}
echo "chromium: installed $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
