#!/usr/bin/env bash
# Install everything and open KSK Desktop. With no station yet in the data folder, a demo station with
# about 5,000 synthetic people is created first (demo accounts in README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bash installer/dev-setup.sh --gui
exec .venv/bin/ksk-desktop --demo "$@"
