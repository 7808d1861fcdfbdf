"""Waiting on a condition, never for a fixed time: poll until it holds, fail the test at a deadline.

For GUI tests ``qtbot.waitUntil`` does the same while running the Qt event loop; this is for the rest (child
processes, databases, threads)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    read: Callable[[], T],
    until: Callable[[T], object] = bool,
    *,
    timeout: float = 30.0,
    interval: float = 0.02,
    what: str = "the condition",
) -> T:
    """Call *read* until ``until(value)`` holds and return that value; after *timeout* seconds fail the test
    with the last value read."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if until(value):
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}; last value: {value!r}")
        time.sleep(interval)
