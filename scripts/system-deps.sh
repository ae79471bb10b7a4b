#!/bin/sh
# Installs the Debian/Ubuntu packages the system and its tests need, only when one is missing,
# so that a second `make run` / `make test` starts in seconds. Runs as root or through sudo.
set -eu
PKGS="fonts-noto-cjk libharfbuzz-subset0 poppler-utils qpdf libnss3-tools"
# The browser is for the browser tests only: a production server (BROWSER=no) goes without.
[ "${BROWSER:-yes}" = "no" ] || PKGS="$PKGS chromium"
# npm fetches axe-core for the browser tests' accessibility check (Makefile); any npm will do.
if [ "${BROWSER:-yes}" != "no" ] && ! command -v npm >/dev/null 2>&1; then PKGS="$PKGS npm"; fi
# Python 3.11+ with venv: Debian 12 has it as python3; Ubuntu 22.04 needs python3.11.
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  PKGS="$PKGS python3.11 python3.11-venv"
elif ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
  PKGS="$PKGS python3-venv"
fi
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "Missing system packages:$missing (install them with your package manager)" >&2
  exit 1
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "Installing system packages:$missing"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
