"""Reading a spreadsheet or CSV into a header and rows, whatever its encoding, delimiter or header layout."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ksk_desktop.errors import InvalidInput
from ksk_desktop.text import fold, nfc
from ksk_desktop.xlsx.guard import MAX_FILE_BYTES, check_xlsx

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")
HEADER_SCAN_ROWS = 15


class ImportFileError(InvalidInput):
    """The file as a whole cannot be read (wrong type, password, empty…): nothing was imported."""


@dataclass
class Table:
    """The file's column headers (merged two-row headers combined) and its data rows with their row numbers."""

    headers: list[str]
    rows: Iterator[tuple[int, list[Any]]]  # (row number as the user sees it, cell values)
    first_data_row: int
    sheet: str | None = None
    row_count: int | None = None  # data rows to expect (for progress), when the reader knows it


def _kind(path: Path) -> str:
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except FileNotFoundError:
        raise ImportFileError(f"Không tìm thấy tệp {path}.") from None
    except OSError as exc:
        raise ImportFileError(f"Không đọc được tệp {path.name}: {exc.strerror}.") from exc
    if not head:
        raise ImportFileError(f"Tệp {path.name} trống.")
    if head.startswith(OLE2_MAGIC):
        data = path.read_bytes()
        if _ENCRYPTION_STREAM in data:
            raise ImportFileError(
                f"Tệp {path.name} được đặt mật khẩu. Hãy mở bằng Excel, bỏ mật khẩu rồi lưu lại."
            )
        raise ImportFileError(
            f"Tệp {path.name} là định dạng Excel cũ (.xls). Hãy mở bằng Excel và lưu thành .xlsx."
        )
    if head.startswith(b"PK"):
        try:
            with zipfile.ZipFile(path) as zf:
                names = set(zf.namelist())
        except zipfile.BadZipFile as exc:
            raise ImportFileError(f"Tệp {path.name} bị hỏng.") from exc
        if "xl/workbook.xml" in names:
            return "xlsx"
        raise ImportFileError(f"Tệp {path.name} không phải bảng tính Excel (.xlsx) hay CSV.")
    binary = head.startswith((b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"Rar!", b"7z\xbc\xaf"))
    if binary or (b"\0" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff"))):
        raise ImportFileError(f"Tệp {path.name} không phải bảng tính Excel (.xlsx) hay CSV.")
    return "csv"


def _decode(raw: bytes, name: str) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1258 as Vietnamese Windows saves it."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1258")
    except UnicodeDecodeError as exc:
        raise ImportFileError(f"Không nhận ra bảng mã của tệp {name} (cần UTF-8 hoặc Windows-1258).") from exc


def _csv_rows(path: Path) -> tuple[list[list[Any]], None, int]:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ImportFileError(
            f"Tệp {path.name} quá lớn để nhập ({size // (1024 * 1024)} MB; tối đa {MAX_FILE_BYTES // (1024 * 1024)} MB)."
        )
    text = _decode(path.read_bytes(), path.name)
    first = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first.count)
    # Cells stay raw here; each is normalised once when it is parsed into a field.
    rows = [
        [c if c.strip() else None for c in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter)
    ]
    return rows, None, len(rows)


def _xlsx_rows(path: Path) -> tuple[Iterator[list[Any]], str, int]:
    # calamine (Rust) reads a 100,000-row sheet in about a second and a half; openpyxl needs over ten. It
    # trusts the file, so the file is checked first (sizes, zip bomb, the cells' span): UnsafeWorkbook.
    from python_calamine import CalamineWorkbook

    check_xlsx(path)
    try:
        wb = CalamineWorkbook.from_path(str(path))
        sheets = [wb.get_sheet_by_name(name) for name in wb.sheet_names]
    except Exception as exc:  # the reader raises its own error types for a damaged workbook
        raise ImportFileError(
            f"Không mở được tệp Excel {path.name}: tệp bị hỏng hoặc không đúng định dạng."
        ) from exc
    sheet = next((sh for sh in sheets if sh.height > 1), sheets[0]) if sheets else None
    if sheet is None:
        raise ImportFileError(f"Tệp {path.name} không có trang tính nào.")

    def gen() -> Iterator[list[Any]]:
        for row in sheet.iter_rows():
            yield [None if v == "" else v for v in row]

    return gen(), sheet.name, sheet.height


def _is_texty(value: Any) -> bool:
    """A sub-header such as "Nam" or "Nữ": text without digits (data rows have dates, IDs, numbers)."""
    return isinstance(value, str) and bool(value.strip()) and not re.search(r"\d", value)


def read_table(path: Path, recognise) -> Table:  # noqa: ANN001 - recognise(header) -> field or None
    """Open *path*, find the header row (the one with most recognised column names among the first rows),
    combine a two-row header under merged cells, and stream the rest."""
    kind = _kind(path)
    rows_iter, sheet, height = _xlsx_rows(path) if kind == "xlsx" else _csv_rows(path)
    rows_iter = iter(rows_iter)
    head: list[list[Any]] = []
    for _ in range(HEADER_SCAN_ROWS + 1):
        try:
            head.append(next(rows_iter))
        except StopIteration:
            break
    if not any(any(v not in (None, "") for v in r) for r in head):
        raise ImportFileError(f"Tệp {path.name} không có dữ liệu (trang tính trống).")
    scores = [sum(1 for v in r if isinstance(v, str) and recognise(v)) for r in head[:HEADER_SCAN_ROWS]]
    best = max(range(len(scores)), key=lambda i: scores[i])
    if scores[best] == 0:
        raise ImportFileError(
            f"Không tìm thấy dòng tiêu đề trong {path.name} (ví dụ cột 'Họ và tên', 'Ngày sinh'). "
            "Hãy kiểm tra tệp hoặc chỉ định cách ghép cột."
        )
    header = [nfc(str(v)) if v is not None else "" for v in head[best]]
    data_start = best + 1
    below = head[best + 1] if best + 1 < len(head) else []
    gaps = {i for i, h in enumerate(header) if not h}
    filled = [i for i, v in enumerate(below) if v not in (None, "")]
    if gaps and any(i in gaps for i in filled) and all(_is_texty(below[i]) for i in filled):
        # Two-row header: a merged cell ("Năm sinh") over sub-columns ("Nam" | "Nữ"). Carry the merged title
        # right across the empty cells and join it with the sub-header.
        parent = ""
        combined = []
        for i, top in enumerate(header + [""] * max(0, len(below) - len(header))):
            sub = nfc(str(below[i])) if i < len(below) and below[i] is not None else ""
            if top:
                parent = top
            combined.append(f"{parent} {sub}".strip() if sub else top)
        header = combined
        data_start = best + 2
    width = len(header)

    def data() -> Iterator[tuple[int, list[Any]]]:
        number = data_start
        for r in head[data_start:]:
            number += 1
            yield number, (list(r) + [None] * width)[:width]
        for r in rows_iter:
            number += 1
            yield number, (list(r) + [None] * width)[:width]

    return Table(header, data(), data_start + 1, sheet, max(0, height - data_start))


def header_key(text: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", fold(text)).split())
