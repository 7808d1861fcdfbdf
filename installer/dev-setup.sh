#!/usr/bin/env bash
# Install what KSK Desktop needs on a fresh Debian/Ubuntu machine: system libraries for Qt, fonts with
# Vietnamese glyphs, tools used by the tests, then a virtual environment with the app and its test tools.
# Usage: bash installer/dev-setup.sh [--gui]   (--gui adds the X11/xcb libraries for a real window)
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

PKGS=(libegl1 libgl1 libxkbcommon0 libfontconfig1 libfreetype6 libglib2.0-0 libdbus-1-3 libx11-6 libxcb1
      fonts-dejavu-core fonts-noto-core poppler-utils libpulse0 chromium chromium-driver
      softhsm2 xmlsec1 opensc)
if [ "${1:-}" = "--gui" ]; then
  PKGS+=(libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-randr0
         libxcb-render-util0 libxcb-shape0 libxcb-xfixes0 libx11-xcb1)
fi

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ] && command -v apt-get >/dev/null; then
  echo ">> apt-get install ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  if ! "$PY" -m venv .venv 2>/dev/null; then
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv >/dev/null
    "$PY" -m venv .venv
  fi
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
echo ">> pip install -e .[test,postgres]"
.venv/bin/python -m pip install -q -e ".[test,postgres]"

# The FHIR test peer (tests/peers/medplum): Medplum's FHIR engine behind a small Node shim. npm installs the
# pinned packages, including the npm package "node" (Node 22, which Medplum 5 needs; Debian 12 ships Node 18).
if ! command -v npm >/dev/null && command -v apt-get >/dev/null; then
  echo ">> apt-get install nodejs npm"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
if command -v npm >/dev/null; then
  echo ">> npm ci (tests/peers/medplum)"
  (cd tests/peers/medplum && npm ci --no-audit --no-fund --loglevel=error)
else
  echo ">> npm not available: the FHIR tests will be skipped"
fi
