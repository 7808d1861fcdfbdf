"""The Ministry's KSK template (``Import_KSK_Tren 18.xlsm``, vietnam.md §2.2): reading the user's copy, and
filling it with rows while keeping everything else exactly as it was.

The portal (admin.csdlksk.vn) refuses a workbook that lost the template's 17 data validations, and the
template carries macros (``xl/vbaProject.bin``). Loading and re-saving the workbook with a spreadsheet library
rewrites every part and drops what the library does not model (validations kept in extensions, for one), and
openpyxl stages worksheets in plaintext temporary files. So the template is filled at the level of its zip: every
part is copied byte for byte except the data sheet, whose rows from 4 on are replaced, its ``<dimension>`` updated,
and the styles, which gain one text style. The new file is built in memory; the caller writes it private.

How the template is read (each rule the portal's own, as the Thủy Nguyên team found it):

- the data sheet is the first sheet whose name does not start with ``dm`` and does not contain "hướng dẫn";
- columns are found by the field codes in row 2, never by position; data starts at row 4;
- the commune code goes to the ``MAHUYEN`` column: the one coded ``MAHUYEN`` in row 2, else the column without a
  code right after ``MAXA_CU_TRU`` (column O, hidden, in the Ministry's file); the province id likewise goes to
  the column without a code right after ``MATINH_CU_TRU`` (column M), as a value, not the template's formula;
- the hidden catalogue sheets give the official disease names (``dmicdme``) and province names (``dmtinh``).

Text cells are inline strings with a text format (``@``) and Excel's quote prefix, so the values reach the portal
exactly as written (a CCCD keeps its leading zero, a date stays ``dd/mm/yyyy``) and stay text when edited; a
string cell is never evaluated as a formula. Numbers are numbers.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape

from ksk_desktop.errors import InvalidInput
from ksk_desktop.text import fold, nfc
from ksk_desktop.xlsx.guard import check_xlsx
from ksk_desktop.xlsx.writer import column_letter

FIRST_DATA_ROW = 4
_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_COL = re.compile(rb"<(?:\w+:)?col\b([^>]*)/?>")
_ATTR = re.compile(rb"""([\w:]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_SHEET_DATA = re.compile(rb"<((?:\w+:)?)sheetData\b[^>]*?(/?)>")
_ROW = re.compile(rb"<(?:\w+:)?row\b([^>]*?)(?:/>|>.*?</(?:\w+:)?row>)", re.S)
_DIMENSION = re.compile(rb"<((?:\w+:)?)dimension\b[^>]*?/>")
_VALIDATION = re.compile(rb"<(?:\w+:)?dataValidation\b")
_CELL_XFS = re.compile(rb"<((?:\w+:)?)cellXfs\b([^>]*)>(.*?)</(?:\w+:)?cellXfs>", re.S)
_XF = re.compile(rb"<(?:\w+:)?xf\b")
_REF = re.compile(r"([A-Z]{1,3})([0-9]+)")
#: The codes a file must have for the portal to take a row at all.
REQUIRED_CODES = ("SO_CCCD", "HO_TEN", "NGAY_VAO")
VBA_PART = "xl/vbaProject.bin"


class TemplateError(InvalidInput):
    """The file chosen as the template is not the Ministry's KSK template (or a damaged copy of it)."""


@dataclass
class MohTemplate:
    """What the export needs to know of the user's copy of the template."""

    path: Path
    sheet: str  # the data sheet's name
    sheet_part: str  # its part in the zip, e.g. xl/worksheets/sheet2.xml
    columns: dict[str, int]  # field code in row 2 → column number (1 = A)
    width: int  # the last column of the template's header
    commune_column: int  # where MAHUYEN goes
    province_id_column: int | None
    hidden: set[int] = field(default_factory=set)
    icd_names: dict[str, str] = field(default_factory=dict)  # code without mark → official name (dmicdme)
    provinces: dict[str, str] = field(default_factory=dict)  # province code → its name in dmtinh
    validations: int = 0
    has_macros: bool = False

    @property
    def suffix(self) -> str:
        return ".xlsm" if self.has_macros else self.path.suffix.lower() or ".xlsx"

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.path.name,
            "sheet": self.sheet,
            "codes": len(self.columns),
            "width": self.width,
            "commune_column": column_letter(self.commune_column),
            "validations": self.validations,
            "macros": self.has_macros,
            "icd_names": len(self.icd_names),
        }


def _xml(data: bytes, what: str) -> ET.Element:
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise TemplateError(f"Tệp mẫu có phần {what} bất thường (khai báo DOCTYPE): không dùng được.")
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        raise TemplateError(f"Tệp mẫu bị hỏng (phần {what} không đọc được).") from exc


def _sheet_parts(z: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(sheet name, part path) in the workbook's order."""
    book = _xml(z.read("xl/workbook.xml"), "workbook")
    rels = _xml(z.read("xl/_rels/workbook.xml.rels"), "workbook.rels")
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{{{_NS_PKG}}}Relationship")}
    out = []
    for s in book.iter(f"{{{_NS_MAIN}}}sheet"):
        target = targets.get(s.get(f"{{{_NS_REL}}}id"), "")
        part = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
        out.append((nfc(s.get("name", "")), part))
    return out


def is_data_sheet(name: str) -> bool:
    """The portal's rule: the first sheet not named ``dm…`` and not a "hướng dẫn" (instructions) sheet."""
    key = fold(name).strip()
    return not key.startswith("dm") and "huong dan" not in key


def _attrs(raw: bytes) -> dict[str, str]:
    return {m.group(1).decode(): (m.group(2) or m.group(3) or b"").decode() for m in _ATTR.finditer(raw)}


def _hidden_columns(sheet_xml: bytes) -> set[int]:
    hidden: set[int] = set()
    for m in _COL.finditer(sheet_xml):
        a = _attrs(m.group(1))
        if a.get("hidden") in ("1", "true"):
            lo, hi = int(a.get("min", "0")), int(a.get("max", "0"))
            hidden.update(range(lo, min(hi, lo + 16384) + 1))
    return hidden


def _grid(sheet: Any, rows: int | None = None) -> list[tuple[int, list[Any]]]:
    """(row number, cells from column A) of a calamine sheet, the first *rows* rows only when given."""
    start_row, start_col = sheet.start or (0, 0)
    out = []
    for i, row in enumerate(sheet.iter_rows()):
        number = start_row + i + 1
        if rows is not None and number > rows:
            break
        out.append((number, [None] * start_col + [None if v == "" else v for v in row]))
    return out


def _text(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return nfc(str(v)).strip() if v is not None else ""


def _icd_names(sheet: Any) -> dict[str, str]:
    from ksk_desktop.catalogs import icd10_import

    rows = [r for _, r in _grid(sheet)]
    code_col, name_col, start = 0, 1, 0
    for n, row in enumerate(rows[:5]):
        kinds = {icd10_import.recognise(str(v)): i for i, v in enumerate(row) if v is not None}
        if "code" in kinds and "name" in kinds:
            code_col, name_col, start = kinds["code"], kinds["name"], n + 1
            break
    pairs = (
        (r[code_col] if code_col < len(r) else None, r[name_col] if name_col < len(r) else None)
        for r in rows[start:]
    )
    entries, _ = icd10_import.parse_list(pairs)
    return {code: e.name for code, e in entries.items()}


def _provinces(sheet: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for _, row in _grid(sheet):
        cells = [_text(v) for v in row[:4]]
        codes = [c for c in cells if re.fullmatch(r"[0-9]{1,3}", c)]
        names = [c for c in cells if c and not re.fullmatch(r"[0-9]+", c)]
        if codes and names:
            out.setdefault(codes[0].zfill(2), names[0])
    return out


def open_template(path: Path) -> MohTemplate:
    """Read the user's copy of the template: refused (one Vietnamese sentence) if it is hostile, damaged, or not
    the Ministry's template (no data sheet with the field codes in row 2)."""
    from python_calamine import CalamineWorkbook

    path = Path(path)
    if not path.is_file():
        raise TemplateError(f"Không tìm thấy tệp mẫu {path.name}.")
    check_xlsx(path)  # before any reader sees it: sizes, zip bomb, the cells' span
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            if "xl/workbook.xml" not in names:
                raise TemplateError(f"Tệp {path.name} không phải bảng tính Excel (.xlsm/.xlsx).")
            parts = _sheet_parts(z)
            data = next(((n, p) for n, p in parts if is_data_sheet(n)), None)
            if data is None or data[1] not in names:
                raise TemplateError(
                    f"Tệp {path.name} không có trang nhập liệu của mẫu khám sức khỏe Bộ Y tế."
                )
            sheet_xml = z.read(data[1])
    except zipfile.BadZipFile as exc:
        raise TemplateError(f"Tệp mẫu {path.name} bị hỏng.") from exc
    try:
        wb = CalamineWorkbook.from_path(str(path))
        head = _grid(wb.get_sheet_by_name(data[0]), rows=3)
        by_fold = {fold(n).strip(): n for n in wb.sheet_names}
        icd_names = _icd_names(wb.get_sheet_by_name(by_fold["dmicdme"])) if "dmicdme" in by_fold else {}
        provinces = _provinces(wb.get_sheet_by_name(by_fold["dmtinh"])) if "dmtinh" in by_fold else {}
    except TemplateError:
        raise
    except Exception as exc:  # the reader raises its own error types for a damaged workbook
        raise TemplateError(
            f"Không đọc được tệp mẫu {path.name}: tệp bị hỏng hoặc không đúng định dạng."
        ) from exc
    row2 = next((cells for number, cells in head if number == 2), [])
    columns: dict[str, int] = {}
    for i, v in enumerate(row2, 1):
        code = _text(v).upper()
        if re.fullmatch(r"[A-Z][A-Z0-9_]*", code):
            columns.setdefault(code, i)
    missing = [c for c in REQUIRED_CODES if c not in columns]
    if missing:
        raise TemplateError(
            f"Tệp {path.name} không phải mẫu nhập khám sức khỏe của Bộ Y tế: dòng 2 của trang {data[0]} thiếu mã "
            f"trường {', '.join(missing)}. Hãy chọn bản sao tệp mẫu Import_KSK_Tren 18.xlsm."
        )
    hidden = _hidden_columns(sheet_xml)
    coded = set(columns.values())

    def after(code: str) -> int | None:
        # The portal reads these by their place beside the coded column, hidden or not (a user may have shown
        # them); a column with a code of its own there means the layout is not the Ministry's.
        col = columns.get(code)
        if col is None or col + 1 in coded:
            return None
        return col + 1

    commune = columns.get("MAHUYEN") or after("MAXA_CU_TRU")
    if commune is None:
        raise TemplateError(
            f"Tệp mẫu {path.name} không có cột ẩn MAHUYEN (mã xã, ngay sau cột MAXA_CU_TRU): cổng dữ liệu đọc mã "
            "xã từ cột này. Hãy dùng bản sao nguyên vẹn của tệp mẫu Bộ Y tế."
        )
    width = max([len(r) for _, r in head] + [commune, *coded])
    return MohTemplate(
        path=path,
        sheet=data[0],
        sheet_part=data[1],
        columns=columns,
        width=width,
        commune_column=commune,
        province_id_column=after("MATINH_CU_TRU"),
        hidden=hidden,
        icd_names=icd_names,
        provinces=provinces,
        validations=len(_VALIDATION.findall(sheet_xml)),
        has_macros=VBA_PART in names,
    )


# -- filling --------------------------------------------------------------------------------------------------
def _cell(prefix: str, ref: str, value: Any, text_style: int) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, int | float):
        return f'<{prefix}c r="{ref}"><{prefix}v>{value!r}</{prefix}v></{prefix}c>'
    text = escape(_NOT_XML.sub("", str(value))[:32767])
    return (
        f'<{prefix}c r="{ref}" s="{text_style}" t="inlineStr"><{prefix}is><{prefix}t xml:space="preserve">{text}'
        f"</{prefix}t></{prefix}is></{prefix}c>"
    )


def _rows_xml(
    prefix: str, rows: Iterable[Mapping[int, Any]], text_style: int, letters: dict[int, str]
) -> tuple[str, int, int]:
    parts: list[str] = []
    r = FIRST_DATA_ROW - 1
    widest = 0
    for row in rows:
        r += 1
        cols = sorted(c for c, v in row.items() if v is not None and v != "")
        if cols:
            widest = max(widest, cols[-1])
        cells = "".join(
            _cell(prefix, f"{letters.setdefault(c, column_letter(c))}{r}", row[c], text_style) for c in cols
        )
        parts.append(f'<{prefix}row r="{r}">{cells}</{prefix}row>')
    return "".join(parts), r, widest


def _kept_rows(sheet_data: bytes) -> bytes:
    """The template's rows above the data (1–3), verbatim; its example rows from 4 on are dropped."""
    kept = []
    number = 0
    for m in _ROW.finditer(sheet_data):
        r = _attrs(m.group(1)).get("r")
        number = int(r) if r and r.isdigit() else number + 1
        if number < FIRST_DATA_ROW:
            kept.append(m.group(0))
    return b"".join(kept)


def _dimension(sheet_xml: bytes, last_row: int, last_col: int) -> bytes:
    m = _DIMENSION.search(sheet_xml)
    if m is None:
        return sheet_xml
    ref = _attrs(m.group(0)).get("ref", "")
    ends = _REF.findall(ref.split(":")[-1]) if ref else []
    if ends:
        n = 0
        for ch in ends[0][0]:
            n = n * 26 + ord(ch) - 64
        last_col = max(last_col, n)
    new = f'<{m.group(1).decode()}dimension ref="A1:{column_letter(last_col)}{last_row}"/>'.encode()
    return sheet_xml[: m.start()] + new + sheet_xml[m.end() :]


def _fill_sheet(sheet_xml: bytes, rows: list[Mapping[int, Any]], text_style: int, width: int) -> bytes:
    m = _SHEET_DATA.search(sheet_xml)
    if m is None:
        raise TemplateError("Trang nhập liệu của tệp mẫu bị hỏng (không có phần dữ liệu).")
    prefix = m.group(1).decode()
    if m.group(2):  # <sheetData/>
        start, end, kept = m.start(), m.end(), b""
    else:
        close = sheet_xml.find(f"</{prefix}sheetData>".encode(), m.end())
        if close < 0:
            raise TemplateError("Trang nhập liệu của tệp mẫu bị hỏng (phần dữ liệu không đóng).")
        start, end = m.start(), close + len(f"</{prefix}sheetData>")
        kept = _kept_rows(sheet_xml[m.end() : close])
    body, last_row, widest = _rows_xml(prefix, rows, text_style, {})
    new = f"<{prefix}sheetData>".encode() + kept + body.encode("utf-8") + f"</{prefix}sheetData>".encode()
    out = sheet_xml[:start] + new + sheet_xml[end:]
    return _dimension(out, max(last_row, 3), max(width, widest))


def _with_text_style(styles_xml: bytes) -> tuple[bytes, int]:
    """The styles with one more cell format (text ``@``, quote prefix) appended; returns its index."""
    m = _CELL_XFS.search(styles_xml)
    if m is None:
        raise TemplateError("Tệp mẫu thiếu bảng định dạng ô (styles): tệp bị hỏng.")
    prefix = m.group(1).decode()
    index = len(_XF.findall(m.group(3)))
    xf = (
        f'<{prefix}xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" '
        'quotePrefix="1"/>'
    ).encode()
    attrs = re.sub(rb'\scount="[0-9]*"', b"", m.group(2)) + f' count="{index + 1}"'.encode()
    new = f"<{prefix}cellXfs".encode() + attrs + b">" + m.group(3) + xf + f"</{prefix}cellXfs>".encode()
    return styles_xml[: m.start()] + new + styles_xml[m.end() :], index


def _styles_part(z: zipfile.ZipFile) -> str:
    rels = _xml(z.read("xl/_rels/workbook.xml.rels"), "workbook.rels")
    for r in rels.iter(f"{{{_NS_PKG}}}Relationship"):
        if r.get("Type", "").endswith("/styles"):
            target = r.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
    raise TemplateError("Tệp mẫu thiếu bảng định dạng ô (styles): tệp bị hỏng.")


def _without_calc_chain(name: str, data: bytes) -> bytes:
    """Content types and workbook relationships without the calculation chain: it listed the example rows'
    formulas, which are gone; Excel rebuilds the chain when it needs one."""
    if name == "[Content_Types].xml":
        return re.sub(rb"<Override\b[^>]*PartName=\"/xl/calcChain\.xml\"[^>]*/>", b"", data)
    return re.sub(rb"<Relationship\b[^>]*Target=\"[^\"]*calcChain\.xml\"[^>]*/>", b"", data)


def fill(template: MohTemplate, rows: list[Mapping[int, Any]]) -> bytes:
    """A copy of the template (every part byte for byte: macros, validations, catalogues) with *rows* — each a
    mapping of column number to value — written from row 4, in memory."""
    import io

    out = io.BytesIO()
    with zipfile.ZipFile(template.path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        styles_part = _styles_part(src)
        styles, text_style = _with_text_style(src.read(styles_part))
        for info in src.infolist():
            name = info.filename
            if name == "xl/calcChain.xml" or info.is_dir():
                continue
            data = src.read(name)
            if name == template.sheet_part:
                data = _fill_sheet(data, rows, text_style, template.width)
            elif name == styles_part:
                data = styles
            elif name in ("[Content_Types].xml", "xl/_rels/workbook.xml.rels"):
                data = _without_calc_chain(name, data)
            kind = zipfile.ZIP_STORED if info.compress_type == zipfile.ZIP_STORED else zipfile.ZIP_DEFLATED
            copy = zipfile.ZipInfo(name, date_time=info.date_time)
            copy.external_attr = info.external_attr
            dst.writestr(copy, data, compress_type=kind)
    return out.getvalue()
