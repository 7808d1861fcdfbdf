#!/usr/bin/env bash
# Build the station bundle once and smoke-test it as a station would run it: from the unpacked .tar.gz, with
# no virtual environment on PATH, a fresh HOME and a fresh data folder (env -i, minimal PATH). Then compile the
# Windows installer script with Debian's makensis to catch script errors.
# Usage: bash installer/smoke-bundle.sh [WORK_DIR]     (default: a new temporary folder, removed at the end)
# Needs the dev venv (installer/dev-setup.sh); installs PyInstaller (pyproject's "build" extra) and nsis itself.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
START=$SECONDS
step() { echo ">> [$((SECONDS - START)) s] $*"; }
fail() { echo "SMOKE FAILED: $*" >&2; exit 1; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
if ! command -v makensis >/dev/null || ! command -v readelf >/dev/null; then
  step "apt-get install nsis binutils"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nsis binutils >/dev/null
fi
if ! .venv/bin/python -c "import PyInstaller" 2>/dev/null; then
  # pyproject.toml's "build" extra (pinned), into the dev venv, without reinstalling the app itself.
  reqs="$(.venv/bin/python -c 'import tomllib; print(" ".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["build"]))')"
  step "pip install $reqs"
  pip_log="$(mktemp)"
  # shellcheck disable=SC2086 # one word per requirement
  .venv/bin/python -m pip install -q $reqs 2>"$pip_log" || { grep -v "is ignored" "$pip_log" >&2; fail "pip install"; }
  rm -f "$pip_log"
fi

if [ -n "${1:-}" ]; then WORK="$(mkdir -p "$1" && cd "$1" && pwd)"; KEEP=1; else WORK="$(mktemp -d)"; KEEP=0; fi
cleanup() { if [ "$KEEP" = 0 ]; then rm -rf "$WORK"; fi; }
trap cleanup EXIT

step "build (installer/build.py --out $WORK/dist)"
.venv/bin/python installer/build.py --out "$WORK/dist"
VERSION="$(.venv/bin/python -c 'from importlib.metadata import version; print(version("ksk-desktop"))')"
TARBALL="$(ls "$WORK"/dist/ksk-desktop-"$VERSION"-linux-*.tar.gz)"
echo "tarball size: $(du -b "$TARBALL" | cut -f1 | awk '{printf "%.1f MB", $1 / 1e6}')"

step "unpack the tarball into a fresh folder"
mkdir -p "$WORK/station/home" "$WORK/station/app"
tar -xzf "$TARBALL" -C "$WORK/station/app"
APP="$WORK/station/app/ksk-desktop"
python3 installer/check_bundle.py "$APP" --max-mb 250 || fail "bundle check"

# A clean environment: no venv, no PYTHONPATH, no project folder on PATH; HOME and the data folder are new.
HOME_DIR="$WORK/station/home"
clean() { env -i PATH=/usr/bin:/bin HOME="$HOME_DIR" LANG=C.UTF-8 "$@"; }
DATA="$WORK/station/data"
OLD="$WORK/station/old"
export -n VIRTUAL_ENV 2>/dev/null || true
cd "$WORK/station"

step "ksk --version"
got="$(clean "$APP/ksk" --version)"
[ "$got" = "ksk $VERSION" ] || fail "ksk --version printed '$got', expected 'ksk $VERSION'"
echo "$got"
got="$(clean QT_QPA_PLATFORM=offscreen "$APP/ksk-desktop" --version)"
[ "$got" = "ksk-desktop $VERSION" ] || fail "ksk-desktop --version printed '$got'"

step "ksk demo --people 500 into a fresh folder"
clean "$APP/ksk" --data-dir "$DATA" demo --people 500
step "ksk db check"
clean KSK_PASSWORD=demo-2026 "$APP/ksk" --data-dir "$DATA" --user admin db check
step "a PDF from the bundle (reportlab, bundled fonts)"
clean KSK_PASSWORD=demo-2026 "$APP/ksk" --data-dir "$DATA" --user admin print coverage --year 2026 -o "$WORK/station/coverage.pdf"
pdftotext "$WORK/station/coverage.pdf" - | grep -q "TRẠM Y TẾ" || fail "the coverage PDF has no Vietnamese text"

step "an older schema (0007, made with the migrations' own downgrade) upgraded by the bundle, backup first"
cp -a "$DATA" "$OLD"
rm -rf "$OLD/backups"
(cd "$ROOT" && KSK_PASSWORD=demo-2026 .venv/bin/python installer/downgrade_station.py "$OLD" 0007)
out="$(clean KSK_PASSWORD=demo-2026 "$APP/ksk" --data-dir "$OLD" --user admin db check)"
echo "$out"
head="$(ls "$ROOT"/ksk_desktop/db/migrations/versions/ | grep -o '^[0-9]\{4\}' | sort | tail -1)"
echo "$out" | grep -q "schema: phiên bản $head" || fail "the old station was not upgraded to $head"
ls "$OLD"/backups/truoc-nang-cap-0007-*.kskbak >/dev/null 2>&1 || fail "no backup taken before the upgrade"
echo "backup before the upgrade: $(basename "$(ls "$OLD"/backups/truoc-nang-cap-0007-*.kskbak)")"
people="$(clean KSK_PASSWORD=demo-2026 "$APP/ksk" --data-dir "$OLD" --user admin --json person list --limit 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')"
[ "$people" = 500 ] || fail "after the upgrade the station lists $people people, not 500"

step "the GUI, offscreen, until the login dialog is shown"
out="$(clean QT_QPA_PLATFORM=offscreen KSK_SMOKE_EXIT_AFTER_LOGIN_SHOWN=1 timeout 120 "$APP/ksk-desktop" --data-dir "$DATA" 2>"$WORK/station/gui.err")" \
  || { cat "$WORK/station/gui.err" >&2; fail "ksk-desktop exited non-zero"; }
echo "$out" | grep -qx "SMOKE_LOGIN_SHOWN ksk-desktop $VERSION" || { cat "$WORK/station/gui.err" >&2; fail "the login dialog was not shown: '$out'"; }
echo "$out"

step "makensis: compile installer/windows/ksk-desktop.nsi (warnings are errors)"
# Against a stand-in bundle (three small files): this catches script errors without compressing 200 MB;
# the real installer is built on Windows (README "Build", .github/workflows/windows-build.yml).
FAKE="$WORK/nsis/ksk-desktop"
mkdir -p "$FAKE/_internal"
echo stub >"$FAKE/ksk-desktop.exe"; echo stub >"$FAKE/ksk.exe"; echo stub >"$FAKE/_internal/base_library.zip"
makensis -V2 -WX -INPUTCHARSET UTF8 -DAPP_VERSION="$VERSION" -DBUNDLE_DIR="$FAKE" \
  -DOUT_FILE="$WORK/nsis/ksk-desktop-$VERSION-setup.exe" "$ROOT/installer/windows/ksk-desktop.nsi"
[ -s "$WORK/nsis/ksk-desktop-$VERSION-setup.exe" ] || fail "makensis wrote no installer"

step "smoke test passed"
echo "smoke-bundle: $((SECONDS - START)) s"
