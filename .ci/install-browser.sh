#!/usr/bin/env bash
# Install Debian's headless Chromium, CJK fonts (Chinese in the map and the printed report) and poppler-utils
# (pdfinfo/pdftotext/pdftoppm, to read the report's PDF back) for the browser tests.
# Idempotent: does nothing when all three are already installed. Needs root (CI runs as root) or sudo.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need+=(fonts-noto-cjk)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)

if [ "${#need[@]}" -eq 0 ]; then
  echo "install-browser: chromium, fonts-noto-cjk and poppler-utils already installed ($(chromium --version 2>/dev/null || echo '?'))"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
echo "install-browser: installed ${need[*]} ($(chromium --version 2>/dev/null || echo '?'))"
