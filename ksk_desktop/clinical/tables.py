"""The versioned classification data under ``resources/classification/``, loaded once per process."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from ksk_desktop.resources import read_text


@cache
def qd1613() -> dict[str, Any]:
    """QĐ 1613/BYT-QĐ tables: physique, vision, hearing, blood pressure, pulse, BMI, teeth, index rules."""
    return json.loads(read_text("classification", "qd1613.json"))


@cache
def screening() -> dict[str, Any]:
    """Screening thresholds outside QĐ 1613: QĐ 3192 blood pressure, Asia-Pacific BMI, WHO cut-offs, glucose."""
    return json.loads(read_text("classification", "screening.json"))


@cache
def who_table(name: str) -> dict[int, dict[int, tuple[float, float, float, str]]]:
    """A WHO LMS table ``who/<name>.txt`` as ``{sex: {age: (L, M, S, loh)}}`` (sex 1 = male, 2 = female)."""
    text = read_text("classification", "who", f"{name}.txt")
    lines = text.splitlines()
    header = lines[0].split("\t")
    if header[:5] != ["sex", "age", "l", "m", "s"]:
        raise ValueError(f"bảng WHO {name}: tiêu đề không đúng {header!r}")
    table: dict[int, dict[int, tuple[float, float, float, str]]] = {1: {}, 2: {}}
    for line in lines[1:]:
        cells = line.split("\t")
        loh = cells[5] if len(cells) > 5 else ""
        table[int(cells[0])][int(cells[1])] = (float(cells[2]), float(cells[3]), float(cells[4]), loh)
    return table
