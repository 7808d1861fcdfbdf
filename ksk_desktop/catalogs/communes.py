"""The commune-level catalogue of Hải Phòng after the 1 July 2025 reorganisation (114 units).

Loaded from the bundled ``resources/catalogs/communes-haiphong-2025.csv`` (columns
``ma_xa,ten,loai,ma_tinh``). Codes are the 5-digit strings the Ministry of Health's KSK portal
accepts; they are kept as strings so leading zeros survive.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache

from ksk_desktop.resources import read_text
from ksk_desktop.text import fold, nfc

CATALOG_FILE = "communes-haiphong-2025.csv"

#: The three kinds of commune-level unit (``loai`` column).
KIND_WARD = "phường"
KIND_COMMUNE = "xã"
KIND_SPECIAL_ZONE = "đặc khu"
KINDS = frozenset({KIND_WARD, KIND_COMMUNE, KIND_SPECIAL_ZONE})


@dataclass(frozen=True, slots=True)
class Commune:
    """One commune-level unit: ``code`` is the 5-digit ``ma_xa``, ``kind`` one of :data:`KINDS`."""

    code: str
    name: str
    kind: str
    province_code: str

    @property
    def is_island(self) -> bool:
        """True for island units: both đặc khu of Hải Phòng are islands, as is any "Xã đảo …"."""
        return self.kind == KIND_SPECIAL_ZONE or fold(self.name).startswith("xa dao ")


def normalise_code(code: str | int) -> str:
    """Return *code* as a 5-digit string (``"1234"`` and ``1234`` both become ``"01234"``)."""
    text = str(code).strip()
    # Spreadsheets and int columns drop leading zeros; restore them instead of failing a lookup.
    return text.zfill(5) if text.isdigit() else text


@cache
def _communes() -> tuple[Commune, ...]:
    # utf-8-sig would not apply via read_text, so drop a BOM by hand: Excel-edited copies carry one.
    text = read_text("catalogs", CATALOG_FILE).lstrip("\ufeff")
    rows: list[Commune] = []
    for row in csv.DictReader(io.StringIO(text)):
        kind = nfc(row["loai"]).lower()
        if kind not in KINDS:
            raise ValueError(f"{CATALOG_FILE}: unknown commune kind {row['loai']!r} for {row['ma_xa']}")
        rows.append(
            Commune(
                code=normalise_code(row["ma_xa"]),
                name=nfc(row["ten"]),
                kind=kind,
                province_code=row["ma_tinh"].strip(),
            )
        )
    return tuple(rows)


@cache
def _by_code() -> dict[str, Commune]:
    return {c.code: c for c in _communes()}


def load_communes() -> list[Commune]:
    """All communes in catalogue order. Parsed once; each call returns a fresh list."""
    return list(_communes())


def commune_by_code(code: str | int) -> Commune | None:
    """Look a commune up by its code (leading zeros optional); ``None`` when unknown."""
    return _by_code().get(normalise_code(code))
