"""The rejected-rows report: the rows as they were in the file, with the reason in Vietnamese beside each."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from ksk_desktop.fsio import write_via_temp


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
) -> Path:
    import openpyxl
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.worksheet import Worksheet

    dest = Path(dest) if dest else default_report_path(source, local_now)
    wb = openpyxl.Workbook(write_only=False)
    ws = wb.active
    assert isinstance(ws, Worksheet)  # a new workbook has one worksheet
    ws.title = "Dòng bị loại"
    ws.append(["Dòng trong tệp gốc", "Lý do", *headers])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    red = PatternFill("solid", fgColor="FFF2CC")
    for number, cells, reason in rows:
        ws.append([number, reason, *[c.isoformat() if hasattr(c, "isoformat") else c for c in cells]])
        ws.cell(row=ws.max_row, column=2).fill = red
    ws.column_dimensions["B"].width = 48
    ws.freeze_panes = "C2"
    return write_via_temp(dest, wb.save)
