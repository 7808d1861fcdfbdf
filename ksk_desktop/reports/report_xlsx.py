"""A report as the .xlsx file a Sở Y tế files: the administrative header, title, unit, period, the tables, the
footnotes, the place and date and the two signature blocks ("Người lập biểu", "Trưởng trạm")."""

from __future__ import annotations

from ksk_desktop.reports.layout import Layout
from ksk_desktop.xlsx.writer import Cell, Workbook


def to_bytes(lay: Layout, *, unit_name: str, commune_name: str) -> bytes:
    wb = Workbook()
    widths: dict[int, float] = {1: 7, 2: 60, **{c: 16 for c in range(3, 11)}}
    with wb.sheet("Báo cáo", widths=widths) as ws:
        ws.append(
            [
                Cell(f"UBND {commune_name.upper()}" if commune_name else ""),
                "",
                "",
                "",
                Cell("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True),
            ]
        )
        ws.append(
            [Cell(unit_name.upper(), bold=True), "", "", "", Cell("Độc lập - Tự do - Hạnh phúc", bold=True)]
        )
        ws.append([])
        ws.append([Cell(lay.title, title=True)])
        ws.append([lay.subtitle])
        ws.append([lay.unit])
        ws.append([lay.period])
        for table in lay.tables:
            ws.append([])
            ws.append([Cell(table.heading, bold=True)])
            ws.append([Cell(c, bold=True) for c in table.columns])
            last = len(table.rows) - 1
            for i, row in enumerate(table.rows):
                values = ["" if v is None else v for v in row]
                ws.append([Cell(v, bold=True) for v in values] if table.total_row and i == last else values)
        ws.append([])
        ws.append([Cell("Ghi chú:", bold=True)])
        for i, note in enumerate(lay.footnotes, start=1):
            ws.append([f"({i})", note])
        ws.append([])
        ws.append(["", "", "", "", "", Cell(lay.place_date)])
        ws.append(["", Cell("NGƯỜI LẬP BIỂU", bold=True), "", "", "", Cell("TRƯỞNG TRẠM", bold=True)])
        ws.append(["", "(ký, ghi rõ họ tên)", "", "", "", "(ký, ghi rõ họ tên, đóng dấu)"])
    return wb.to_bytes()
