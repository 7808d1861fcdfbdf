"""Fast Argon2id for the tests: ``install()`` in this process, ``SITE_DIR`` on ``PYTHONPATH`` for children."""

from __future__ import annotations

from pathlib import Path

from testkit.fastkdf.sitecustomize import FAST, install

SITE_DIR = Path(__file__).resolve().parent

__all__ = ["FAST", "SITE_DIR", "install"]
