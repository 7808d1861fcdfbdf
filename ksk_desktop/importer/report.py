"""The rejected-rows report: the rows as they were in the file, with the reason in Vietnamese beside each."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from ksk_desktop.fsio import write_private
from ksk_desktop.xlsx.writer import Cell, Workbook


def default_report_path(source: Path, local_now: datetime) -> Path:
    """Beside the source, stamped with the wall-clock time in Vietnam."""
    return source.with_name(f"{source.stem}-dong-bi-loai-{local_now:%Y%m%d-%H%M%S}.xlsx")


def write_report(
    source: Path,
    headers: list[str],
    rows: list[tuple[int, list[Any], str]],
    dest: Path | None = None,
    *,
    local_now: datetime,
    journal: Path | None = None,
) -> Path:
    """Write the report (built in memory; every text cell inert: the rows come from an outside file) to *dest*
    or beside *source*. *journal*: the station's journal of files being written (``StationPaths.pending``)."""
    dest = Path(dest) if dest else default_report_path(source, local_now)
    wb = Workbook()
    with wb.sheet("Dòng bị loại", widths={2: 48}, freeze="C2") as ws:
        ws.append([Cell(h, bold=True) for h in ("Dòng trong tệp gốc", "Lý do", *headers)])
        for number, cells, reason in rows:
            raw = [c.isoformat() if hasattr(c, "isoformat") else c for c in cells]
            ws.append([number, Cell(reason, highlight=True), *raw])
    return write_private(dest, wb.to_bytes(), journal=journal)
