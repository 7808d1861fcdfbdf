"""Access to the bundled `resources` package through importlib.resources (works in frozen builds)."""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable


def resource(*parts: str) -> Traversable:
    """Return a handle to a bundled resource, e.g. ``resource("catalogs", "communes.csv")``."""
    node = resources.files("resources")
    for part in parts:
        node = node.joinpath(part)
    return node


def read_text(*parts: str) -> str:
    return resource(*parts).read_text(encoding="utf-8")
