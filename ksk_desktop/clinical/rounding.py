"""Half-up rounding (0.5 goes up), as QĐ 1613 Phụ lục 1 §1 prescribes — never Python's banker's ``round``."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

_QUANTA = {places: Decimal(1).scaleb(-places) for places in range(0, 7)}


def half_up(value: float | int | Decimal, places: int = 0) -> Decimal:
    """Round *value* to *places* decimals, halves away from zero: 165.50 → 166, 159.49 → 159, 44.5 → 45.

    Goes through ``str`` so that a float typed as 165.5 is treated as the decimal 165.5 the person entered,
    not as its binary approximation.
    """
    d = value if isinstance(value, Decimal) else Decimal(str(value))
    return d.quantize(_QUANTA[places], rounding=ROUND_HALF_UP)


def half_up_int(value: float | int | Decimal) -> int:
    """Round half-up to a whole number and return it as ``int``."""
    return int(half_up(value, 0))


def half_up_float(value: float | int | Decimal, places: int) -> float:
    """Round half-up to *places* decimals and return a ``float`` (for JSON output)."""
    return float(half_up(value, places))
