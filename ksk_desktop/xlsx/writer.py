"""Writing .xlsx workbooks in memory, with every text cell inert.

A small writer of our own rather than openpyxl's, for two reasons. openpyxl stages each worksheet in a file
in the system's temporary folder (a write-only workbook from its first row, any other while it is saved), and
a crash leaves that file behind in plaintext. And openpyxl stores any text that starts with ``=`` as a live
formula, so a name such as ``=HYPERLINK("http://…")`` typed into a residents' list would come back out of an
export as a link, or worse, as a formula that reads other cells.

Here the workbook is one zip built in memory (``Workbook.to_bytes()``; the caller writes it with
``fsio.write_private``). Text is always a text cell, never a formula, and is made inert by the rule OWASP gives
for CSV and formula injection: a text that starts with ``=``, ``+``, ``-``, ``@``, a tab or a line break gets a
leading apostrophe, so a spreadsheet shows it, and anything it is copied or saved to keeps it, as text. A
signed number written as text (a phone ``+84 912 345 678``, ``-5``) cannot call anything and is left as it
reads. Every text cell also carries Excel's "quote prefix" style, so editing it in Excel keeps it text (a
``0912…`` phone keeps its leading zero). Numbers, dates and booleans are written as what they are.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from itertools import product
from typing import IO
from xml.sax.saxutils import escape, quoteattr

#: The first characters that make a spreadsheet read a cell as a formula (OWASP: = + - @ tab CR), with the
#: line feed and the full-width forms that some spreadsheets also accept.
FORMULA_LEADERS = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")
_SIGNED_NUMBER = re.compile(r"[+\-][0-9 .,()/]*")  # digits and punctuation only: nothing a formula could call
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
MAX_CELL_CHARS = 32767  # Excel's limit for one cell
EXCEL_EPOCH = date(1899, 12, 30)
FIRST_SERIAL_DATE = date(1900, 3, 1)  # before this Excel's serial numbers are off by one (its 29/02/1900)

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT_SHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

# Styles: (font, highlighted, number format, text) → index in cellXfs. Fonts: 0 normal, 1 bold, 2 title.
_FONTS = ('<font><sz val="11"/><name val="Calibri"/></font>', '<font><b/><sz val="11"/><name val="Calibri"/></font>',
          '<font><b/><sz val="13"/><name val="Calibri"/></font>')  # fmt: skip
_NUMBER_FORMATS = {"general": 0, "date": 164, "datetime": 165}
_STYLES = list(product(range(3), (False, True), tuple(_NUMBER_FORMATS), (False, True)))
_STYLE_INDEX = {style: i for i, style in enumerate(_STYLES)}


def inert_text(text: str) -> str:
    """*text* as it is stored in a cell: with a leading apostrophe if a spreadsheet could read it as a formula
    (OWASP's rule), unchanged otherwise (a signed number such as ``+84 912 345 678`` stays as it reads)."""
    if text[:1] in FORMULA_LEADERS and not _SIGNED_NUMBER.fullmatch(text):
        return "'" + text
    return text


@dataclass(frozen=True)
class Cell:
    """A value with a style: ``bold``, ``title`` (bold, larger), ``highlight`` (a pale yellow fill)."""

    value: object
    bold: bool = False
    title: bool = False
    highlight: bool = False


def column_letter(index: int) -> str:
    """1 → A, 27 → AA."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _serial(value: date) -> float:
    """Excel's number for a date (days since its epoch), with the time of day as a fraction for a datetime (as
    its wall-clock reads: a spreadsheet has no time zones)."""
    days = ((value.date() if isinstance(value, datetime) else value) - EXCEL_EPOCH).days
    if isinstance(value, datetime):
        return days + (value.hour * 3600 + value.minute * 60 + value.second) / 86400
    return days


def _cell_xml(ref: str, value: object, font: int, highlight: bool) -> str:
    if value is None:
        if font or highlight:
            return f'<c r="{ref}" s="{_STYLE_INDEX[(font, highlight, "general", False)]}"/>'
        return ""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b" s="{_STYLE_INDEX[(font, highlight, "general", False)]}"><v>{int(value)}</v></c>'
    if isinstance(value, int | float) and value == value and value not in (float("inf"), float("-inf")):
        return f'<c r="{ref}" s="{_STYLE_INDEX[(font, highlight, "general", False)]}"><v>{value!r}</v></c>'
    if (
        isinstance(value, date)
        and (value.date() if isinstance(value, datetime) else value) >= FIRST_SERIAL_DATE
    ):
        fmt = "datetime" if isinstance(value, datetime) else "date"
        return f'<c r="{ref}" s="{_STYLE_INDEX[(font, highlight, fmt, False)]}"><v>{_serial(value)!r}</v></c>'
    if isinstance(value, date):  # before March 1900: Excel has no serial for it, so it is text
        value = value.strftime("%d/%m/%Y")
    text = inert_text(_NOT_XML.sub("", str(value))[:MAX_CELL_CHARS])
    style = _STYLE_INDEX[(font, highlight, "general", True)]
    return f'<c r="{ref}" t="inlineStr" s="{style}"><is><t xml:space="preserve">{escape(text)}</t></is></c>'


class Sheet:
    """One worksheet being written: rows go straight into the workbook's zip, in order."""

    def __init__(self, out: IO[bytes]) -> None:
        self._out = out
        self._rows = 0
        self._letters: list[str] = []
        self._pending: list[str] = []

    @property
    def rows(self) -> int:
        return self._rows

    def append(self, values: Sequence[object]) -> None:
        """Add one row: plain values (text, numbers, dates, ``None`` for an empty cell) or :class:`Cell`."""
        self._rows += 1
        r = self._rows
        while len(self._letters) < len(values):
            self._letters.append(column_letter(len(self._letters) + 1))
        parts = [f'<row r="{r}">']
        for letter, v in zip(self._letters, values, strict=False):
            if isinstance(v, Cell):
                parts.append(_cell_xml(f"{letter}{r}", v.value, 2 if v.title else int(v.bold), v.highlight))
            else:
                parts.append(_cell_xml(f"{letter}{r}", v, 0, False))
        parts.append("</row>")
        self._pending.append("".join(parts))
        if len(self._pending) >= 500:
            self._flush()

    def extend(self, rows: Iterable[Sequence[object]]) -> None:
        for row in rows:
            self.append(row)

    def _flush(self) -> None:
        if self._pending:
            self._out.write("".join(self._pending).encode("utf-8"))
            self._pending.clear()


def _sheet_view(freeze: str | None) -> str:
    if not freeze:
        return ""
    m = re.fullmatch(r"([A-Z]+)([0-9]+)", freeze)
    if m is None:
        raise ValueError(f"freeze: not a cell reference: {freeze!r}")
    col = sum((ord(ch) - 64) * 26**i for i, ch in enumerate(reversed(m.group(1)))) - 1
    row = int(m.group(2)) - 1
    if not (col or row):
        return ""
    pane = "bottomRight" if col and row else ("bottomLeft" if row else "topRight")
    split = (f' xSplit="{col}"' if col else "") + (f' ySplit="{row}"' if row else "")
    return (
        f'<sheetViews><sheetView workbookViewId="0"><pane{split} topLeftCell="{freeze}" activePane="{pane}" '
        f'state="frozen"/><selection pane="{pane}"/></sheetView></sheetViews>'
    )


def _sheet_title(title: str, taken: set[str]) -> str:
    clean = re.sub(r"[\[\]:*?/\\]", " ", _NOT_XML.sub("", title)).strip("' ")[:31] or "Sheet"
    name, n = clean, 1
    while name.lower() in taken:
        n += 1
        name = f"{clean[: 31 - len(str(n)) - 1]} {n}"
    taken.add(name.lower())
    return name


class Workbook:
    """A workbook built in memory: ``with wb.sheet("Tên") as ws: ws.append([...])``, then ``to_bytes()``."""

    def __init__(self) -> None:
        self._buffer = io.BytesIO()
        self._zip = zipfile.ZipFile(self._buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=6)
        self._titles: list[str] = []
        self._taken: set[str] = set()
        self._open = False

    @contextmanager
    def sheet(
        self, title: str, *, widths: dict[int, float] | None = None, freeze: str | None = None
    ) -> Iterator[Sheet]:
        """A new worksheet (one at a time). *widths*: column number (1 = A) → width in characters; *freeze*:
        the first cell that scrolls (``"C2"`` keeps row 1 and columns A–B in view)."""
        if self._open:
            raise RuntimeError("one worksheet at a time")
        self._open = True
        name = _sheet_title(title, self._taken)
        self._titles.append(name)
        number = len(self._titles)
        cols = "".join(
            f'<col min="{c}" max="{c}" width="{w:g}" customWidth="1"/>'
            for c, w in sorted((widths or {}).items())
        )
        try:
            with self._zip.open(f"xl/worksheets/sheet{number}.xml", "w", force_zip64=True) as out:
                out.write(
                    (
                        f'{_HEAD}<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">{_sheet_view(freeze)}'
                        f'<sheetFormatPr defaultRowHeight="15"/>{f"<cols>{cols}</cols>" if cols else ""}<sheetData>'
                    ).encode()
                )
                ws = Sheet(out)
                yield ws
                ws._flush()
                out.write(b"</sheetData></worksheet>")
        finally:
            self._open = False

    def to_bytes(self) -> bytes:
        """Finish the workbook and return the .xlsx file's bytes."""
        if not self._titles:
            with self.sheet("Sheet"):
                pass
        n = len(self._titles)
        z = self._zip
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{_CT_SHEET}"/>'
            for i in range(1, n + 1)
        )
        z.writestr(
            "[Content_Types].xml",
            f'{_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            f"{overrides}</Types>",
        )
        z.writestr("_rels/.rels", _relationships([("officeDocument", "xl/workbook.xml")]))
        sheets = "".join(
            f'<sheet name={quoteattr(t)} sheetId="{i}" r:id="rId{i}"/>' for i, t in enumerate(self._titles, 1)
        )
        z.writestr(
            "xl/workbook.xml",
            f'{_HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>{sheets}</sheets></workbook>',
        )
        sheet_parts = [("worksheet", f"worksheets/sheet{i}.xml") for i in range(1, n + 1)]
        z.writestr("xl/_rels/workbook.xml.rels", _relationships([*sheet_parts, ("styles", "styles.xml")]))
        z.writestr("xl/styles.xml", _styles_xml())
        z.close()
        return self._buffer.getvalue()


def _relationships(targets: list[tuple[str, str]]) -> str:
    """A relationships part: (type, target) in order, with ids rId1, rId2…"""
    rels = "".join(
        f'<Relationship Id="rId{i}" Type="{_REL}/{kind}" Target="{target}"/>'
        for i, (kind, target) in enumerate(targets, 1)
    )
    return f'{_HEAD}<Relationships xmlns="{_PKG_REL}">{rels}</Relationships>'


def _styles_xml() -> str:
    xfs = []
    for font, highlight, fmt, text in _STYLES:
        attrs = f'numFmtId="{_NUMBER_FORMATS[fmt]}" fontId="{font}" fillId="{2 if highlight else 0}" borderId="0" xfId="0"'
        attrs += (' applyNumberFormat="1"' if fmt != "general" else "") + (' applyFont="1"' if font else "")
        attrs += (' applyFill="1"' if highlight else "") + (' quotePrefix="1"' if text else "")
        xfs.append(f"<xf {attrs}/>")
    return (
        f'{_HEAD}<styleSheet xmlns="{_MAIN}">'
        '<numFmts count="2"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/>'
        '<numFmt numFmtId="165" formatCode="dd/mm/yyyy hh:mm"/></numFmts>'
        f'<fonts count="{len(_FONTS)}">{"".join(_FONTS)}</fonts>'
        '<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/>'
        '</fill><fill><patternFill patternType="solid"><fgColor rgb="FFFFF2CC"/><bgColor indexed="64"/>'
        "</patternFill></fill></fills>"
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    )
