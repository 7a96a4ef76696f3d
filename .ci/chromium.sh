#!/usr/bin/env bash
# Sourced by .ci/run: makes sure Debian's headless-capable Chromium is installed, for the
# test that opens `siyu report`'s page in a real browser, and exports its path.
set -euo pipefail
if ! command -v chromium >/dev/null 2>&1; then
  echo "== installing chromium"
  sudo_if_needed=""
  if [ "$(id -u)" != 0 ]; then sudo_if_needed="sudo"; fi
  $sudo_if_needed apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_if_needed apt-get install -y -qq chromium >/dev/null
fi
SIYU_CHROMIUM="$(command -v chromium)"
export SIYU_CHROMIUM
echo "== chromium: $("$SIYU_CHROMIUM" --version 2>/dev/null || echo "$SIYU_CHROMIUM")"
