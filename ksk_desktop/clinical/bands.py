"""Value bands as the tables print them: ``min`` (≥), ``max`` (≤), ``below`` (<), ``above`` (>).

A value inside bands of several classes takes the best (lowest) class — the reading QĐ 1613 needs where its
rows overlap (male workers' height 158–162 vs ≥160, pulse 60). A value inside no band is a *gap*: it gets
no class, and the result names the nearest bands on each side so that the doctor can decide.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

Band = dict[str, Any]


def contains(band: Band, value: float) -> bool:
    if "min" in band and value < band["min"]:
        return False
    if "max" in band and value > band["max"]:
        return False
    if "below" in band and value >= band["below"]:
        return False
    return not ("above" in band and value <= band["above"])


def describe(band: Band) -> str:
    """The band as the table reads: '≥160', '158–162', '<150', '>140', '60–<90'."""
    lo = band.get("min")
    hi = band.get("max")
    if lo is not None and hi is not None:
        return f"{_num(lo)}–{_num(hi)}" if lo != hi else _num(lo)
    if lo is not None and "below" in band:
        return f"{_num(lo)}–<{_num(band['below'])}"
    if "above" in band and "below" in band:
        return f">{_num(band['above'])} và <{_num(band['below'])}"
    if lo is not None:
        return f"≥{_num(lo)}"
    if hi is not None:
        return f"≤{_num(hi)}"
    if "below" in band:
        return f"<{_num(band['below'])}"
    if "above" in band:
        return f">{_num(band['above'])}"
    return "mọi giá trị"


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x).replace(".", ",")


def _low_edge(band: Band) -> float:
    if "min" in band:
        return band["min"]
    if "above" in band:
        return band["above"]
    return -math.inf


def _high_edge(band: Band) -> float:
    if "max" in band:
        return band["max"]
    if "below" in band:
        return band["below"]
    return math.inf


@dataclass(frozen=True)
class Match:
    cls: int | None
    band: Band | None
    gap_below: Band | None = None
    gap_above: Band | None = None

    def gap_text(self) -> str:
        parts = [f"{describe(b)} → loại {b['class']}" for b in (self.gap_below, self.gap_above) if b]
        return "; ".join(parts)


def classify(value: float, bands: list[Band]) -> Match:
    """The best class whose band holds *value*, or a gap with the nearest bands below and above it."""
    best: Band | None = None
    for band in bands:
        if contains(band, value) and (best is None or band["class"] < best["class"]):
            best = band
    if best is not None:
        return Match(best["class"], best)
    below = [b for b in bands if _high_edge(b) <= value]
    above = [b for b in bands if _low_edge(b) >= value]
    return Match(
        None,
        None,
        max(below, key=_high_edge) if below else None,
        min(above, key=_low_edge) if above else None,
    )
