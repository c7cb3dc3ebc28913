#!/usr/bin/env bash
# The UI's browser tests drive Debian's Chromium (playwright-core, executablePath /usr/bin/chromium).
# CI runs as root on a fresh Debian 12 machine: install the `chromium` package when it is missing.
# Elsewhere, say what to install rather than guessing at sudo (the UI tests then fail saying the same).
set -euo pipefail

CHROMIUM="${TOLLGATE_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
  echo "chromium: $("$CHROMIUM" --version 2>/dev/null | head -1)"
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "chromium: $CHROMIUM not found (the UI tests will fail): install Debian's chromium package (apt-get install chromium)" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null
echo "chromium: installed $("$CHROMIUM" --version 2>/dev/null | head -1)"
