#!/usr/bin/env bash
# Install everything, then run the whole test suite (Qt offscreen; see tests/conftest.py).
set -euo pipefail
cd "$(dirname "$0")/.."
bash installer/dev-setup.sh
export QT_QPA_PLATFORM=offscreen
.venv/bin/ruff check ksk_desktop ui sync tests bench
.venv/bin/ruff format --check ksk_desktop ui sync tests bench
.venv/bin/mypy  # ksk_desktop and sync, configured in pyproject.toml
exec .venv/bin/python -m pytest -q "$@"
