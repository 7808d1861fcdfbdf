"""Import the Ministry of Health's full ICD-10 list (sheet ``dmicdme`` of the KSK template) into a station.

The list is public reference data, not health data: it is kept as a plain UTF-8 CSV in the station folder
(``catalogs/icd10.csv``) and read by :mod:`ksk_desktop.catalogs.icd10` on top of the bundled list. Each import
replaces the previous one atomically and is audited.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ksk_desktop.catalogs import icd10
from ksk_desktop.errors import InvalidInput
from ksk_desktop.fsio import atomic_write_bytes, sha256_file
from ksk_desktop.importer.sources import HEADER_SCAN_ROWS, ImportFileError, header_key, read_table
from ksk_desktop.security.roles import Perm
from ksk_desktop.station.session import StationSession
from ksk_desktop.text import nfc, nfkc

PREFERRED_SHEET = "dmicdme"
_CODE_HEADERS = {
    "ma",
    "ma icd",
    "ma icd10",
    "ma icd 10",
    "ma benh",
    "ma benh icd",
    "ma benh icd10",
    "icd",
    "icd10",
    "icd 10",
    "code",
    "ma chan doan",
    "ma dm",
    "ma danh muc",
}
_NAME_HEADERS = {
    "ten",
    "ten icd",
    "ten icd10",
    "ten icd 10",
    "ten benh",
    "ten benh icd",
    "ten benh icd10",
    "name",
    "ten chan doan",
    "ten dm",
    "ten danh muc",
    "ten tieng viet",
    "ten benh tieng viet",
    "dien giai",
    "mo ta",
}
_CODE_CELL = re.compile(r"\s*[A-Za-z][0-9]{2}(?:\.?[0-9]{1,2})?\s*[†*+‡✱]?\s*")  # matched in full


def recognise(header: str) -> str | None:
    """``"code"`` or ``"name"`` for a column header of an ICD list, else ``None``."""
    key = header_key(header)
    if key in _CODE_HEADERS:
        return "code"
    if key in _NAME_HEADERS:
        return "name"
    return None


@dataclass
class IcdImportResult:
    file: str
    sheet: str | None
    imported: int
    skipped: int
    total: int

    def to_json(self) -> dict:
        return {
            "file": self.file,
            "sheet": self.sheet,
            "imported": self.imported,
            "skipped": self.skipped,
            "total": self.total,
        }


def _columns(header: list[Any]) -> tuple[int, int] | None:
    fields = {recognise(str(h)): i for i, h in reversed(list(enumerate(header))) if h is not None}
    if "code" in fields and "name" in fields:
        return fields["code"], fields["name"]
    return None


def _columns_by_content(rows: list[list[Any]]) -> tuple[int, int] | None:
    """No header: the column that is mostly ICD codes, and the text column beside it with the longest values."""
    width = max((len(r) for r in rows), default=0)
    best_code = None
    for i in range(width):
        values = [r[i] for r in rows if i < len(r) and r[i] not in (None, "")]
        if values and sum(1 for v in values if _CODE_CELL.fullmatch(nfkc(str(v)))) >= 0.8 * len(values):
            best_code = i
            break
    if best_code is None:
        return None
    lengths = {
        i: sum(len(str(r[i])) for r in rows if i < len(r) and isinstance(r[i], str))
        for i in range(width)
        if i != best_code
    }
    name = max(lengths, key=lengths.__getitem__, default=None)
    return (best_code, name) if name is not None and lengths[name] else None


def _xlsx_rows(path: Path) -> tuple[Iterator[tuple[Any, Any]], str]:
    from python_calamine import CalamineWorkbook

    from ksk_desktop.xlsx.guard import check_xlsx

    check_xlsx(path)  # before the reader sees it: sizes, zip bomb, the cells' span
    try:
        wb = CalamineWorkbook.from_path(str(path))
        names = list(wb.sheet_names)
    except Exception as exc:  # the reader raises its own error types for a damaged workbook
        raise ImportFileError(
            f"Không mở được tệp Excel {path.name}: tệp bị hỏng hoặc không đúng định dạng."
        ) from exc
    # The KSK template hides the list in sheet dmicdme beside the data sheet: look there first.
    names.sort(key=lambda n: header_key(n).replace(" ", "") != PREFERRED_SHEET)
    for name in names:
        rows = [[None if v == "" else v for v in row] for row in wb.get_sheet_by_name(name).iter_rows()]
        head = rows[:HEADER_SCAN_ROWS]
        for n, row in enumerate(head):
            cols = _columns(row)
            if cols:
                return (
                    (r[cols[0]] if cols[0] < len(r) else None, r[cols[1]] if cols[1] < len(r) else None)
                    for r in rows[n + 1 :]
                ), name
        cols = _columns_by_content(head)
        if cols:
            return (
                (r[cols[0]] if cols[0] < len(r) else None, r[cols[1]] if cols[1] < len(r) else None)
                for r in rows
            ), name
    raise ImportFileError(
        f"Không tìm thấy cột mã ICD và tên bệnh trong {path.name} "
        "(cần cột như 'Mã ICD' và 'Tên bệnh', hoặc trang tính dmicdme)."
    )


def _csv_rows(path: Path) -> tuple[Iterator[tuple[Any, Any]], str | None]:
    table = read_table(path, recognise)
    cols = _columns(table.headers)
    if cols is None:
        raise ImportFileError(f"Tệp {path.name} cần cả cột mã ICD và cột tên bệnh.")
    return ((row[cols[0]], row[cols[1]]) for _, row in table.rows), table.sheet


def parse_list(pairs: Iterable[tuple[Any, Any]]) -> tuple[dict[str, icd10.Icd10Code], int]:
    """Valid (code, name) pairs as catalogue entries (first occurrence wins) and the count of rows skipped."""
    entries: dict[str, icd10.Icd10Code] = {}
    skipped = 0
    for raw_code, raw_name in pairs:
        if raw_code in (None, "") and raw_name in (None, ""):
            continue
        name = nfc(str(raw_name)) if raw_name is not None else ""
        code_text = str(raw_code or "")
        try:
            code = icd10.normalize_code(code_text)
        except InvalidInput:
            skipped += 1  # chapter and block rows ("A00-A09"), blank codes
            continue
        if not name or code in entries:
            skipped += 1
            continue
        entries[code] = icd10.Icd10Code(code, name, icd10.split_mark(code_text)[1])
    return entries, skipped


def _to_csv(entries: dict[str, icd10.Icd10Code]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(icd10.COLUMNS)
    for code in sorted(entries):
        e = entries[code]
        writer.writerow([e.code, e.mark, e.name, ""])
    return out.getvalue().encode("utf-8")


def import_icd_list(ctx: StationSession, path: Path) -> IcdImportResult:
    """Read an MoH ICD-10 list (.xlsx or .csv) into the station folder; replaces any earlier import."""
    ctx.require(Perm.SETTINGS_MANAGE)
    path = Path(path)
    kind_is_xlsx = path.suffix.lower() in (".xlsx", ".xlsm")
    pairs, sheet = _xlsx_rows(path) if kind_is_xlsx else _csv_rows(path)
    entries, skipped = parse_list(pairs)
    if not entries:
        raise InvalidInput(f"Không có mã ICD-10 hợp lệ nào trong {path.name}: danh mục không thay đổi.")
    target = icd10.station_file(ctx.paths.root)
    target.parent.mkdir(parents=True, exist_ok=True)
    with ctx.write() as s:
        ctx.audit(
            s,
            "icd.import",
            "catalog",
            "icd10",
            {"file": path.name, "sha256": sha256_file(path), "imported": len(entries), "skipped": skipped},
        )
        # Replaced inside the transaction: if the disk refuses the file, the audit event is rolled back too.
        atomic_write_bytes(target, _to_csv(entries))
    total = len(icd10.catalogue(ctx.paths.root))
    return IcdImportResult(path.name, sheet, len(entries), skipped, total)
