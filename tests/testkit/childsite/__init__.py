"""What every Python process of the test suite loads (``sitecustomize``): ``SITE_DIR`` goes on ``PYTHONPATH``
for the children, and the pytest process calls the same functions."""

from __future__ import annotations

from pathlib import Path

from testkit.childsite.sitecustomize import DAY_ENDS_ENV, FAST, day_end, hold_the_day, install

SITE_DIR = Path(__file__).resolve().parent

__all__ = ["DAY_ENDS_ENV", "FAST", "SITE_DIR", "day_end", "hold_the_day", "install"]
