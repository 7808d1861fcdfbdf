"""Checking an .xlsx file before a reader opens it.

The reader (calamine, in Rust) trusts the file. One cell at ``XFD1048576`` in a 1.6 KB file makes it allocate
the whole 17-billion-cell grid and the process aborts; a 1 MB file holding a 1 GiB string takes 7.5 GB. So a
workbook is read once here first, in a streaming pass with bounded memory, and refused with one Vietnamese
sentence when:

- the file, the number of parts or the total unpacked size is too large;
- a part unpacks to more than ``MAX_RATIO`` times its packed size (a zip bomb), or to a different size than its
  header declares (the reader would believe the header);
- a part is encrypted or packed with a method other than store and deflate;
- a text (or tag) is longer than Excel itself allows in a cell;
- the worksheets span more than ``MAX_CELLS`` cells: the grid the reader allocates runs from the first to the
  last cell that holds a value, so that is what is counted, not the ``<dimension>`` a file declares.

Cells are found with regular expressions on the raw XML: a fast path for the form every spreadsheet program
writes (``<c r="B7" …>``), and an exact walk that follows rows and cells without a reference for anything else.
Both err on the side of counting more (a ``<c`` inside a comment counts), never less.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from ksk_desktop.errors import InvalidInput

MAX_FILE_BYTES = 100 * 1024 * 1024  # a 100,000-person list is about 10 MB
MAX_PARTS = 10_000
MAX_UNPACKED_BYTES = 512 * 1024 * 1024  # the 100,000-person list unpacks to about 70 MB
MAX_RATIO = 100  # ordinary worksheets pack 5–15 times
RATIO_FLOOR = 1024 * 1024  # smaller parts may pack as well as they like
MAX_TEXT_BYTES = (
    256 * 1024
)  # Excel's 32,767 characters per cell, in UTF-8 with XML escapes, with room to spare
MAX_CELLS = 10_000_000  # about 300 MB in the reader: 100,000 rows × 100 columns
EXCEL_CELL_CHARS = 32767

_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
_PREFIX = rb"(?:[^\s<>/:=\"']+:)?"  # any namespace prefix: the reader matches local names
# The usual form: "<c" then exactly ' r="B7"' as the first attribute. Anything else sends the part to the walk.
_UNUSUAL_CELL = re.compile(rb'<c(?:[\t\r\n/>]| (?!r="))')
_PREFIXED_CELL = re.compile(rb":c[\s/>]")  # two patterns: each keeps the regex engine's literal-prefix search
_CELL_COLUMN = re.compile(rb'<c r="([A-Z]{1,3})[0-9]{1,7}"')
_CELL_ROW = re.compile(rb'<c r="[A-Z]{1,3}([0-9]{1,7})"')
_TOKEN = re.compile(rb"<" + _PREFIX + rb"(row|c)(?=[\s/>])([^>]*)>")
_ATTRIBUTE = re.compile(rb"""([^\s=/]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_REF = re.compile(rb"([A-Za-z]*)([0-9]*)")
_LONG_RUN = re.compile(rb"<[^<]{%d}" % MAX_TEXT_BYTES)
_CHUNK = 1 << 20


class UnsafeWorkbook(InvalidInput):
    """An .xlsx file that is refused before any reader opens it (too large, a zip bomb, a hostile layout)."""


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


def _cells(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n


@dataclass
class _Span:
    """The rectangle of the cells that hold a value in one part."""

    min_row: int = 1 << 62
    max_row: int = 0
    min_col: int = 1 << 62
    max_col: int = 0

    def add(self, row: int, col: int) -> None:
        self.min_row, self.max_row = min(self.min_row, row), max(self.max_row, row)
        self.min_col, self.max_col = min(self.min_col, col), max(self.max_col, col)

    @property
    def cells(self) -> int:
        if not self.max_row:
            return 0
        return (self.max_row - self.min_row + 1) * (self.max_col - self.min_col + 1)

    @property
    def last_cell(self) -> str:
        letters, n = "", self.max_col
        while n > 0 and len(letters) < 8:
            n, rest = divmod(n - 1, 26)
            letters = chr(65 + rest) + letters
        return f"{letters}{self.max_row}"


@dataclass
class _FastScan:
    """Cells in the form every spreadsheet program writes, ``<c r="B7" …>``: the span of every cell, empty ones
    included (an over-estimate; the walk recounts a part that looks too large)."""

    rows: set[bytes] = field(default_factory=set)
    columns: set[bytes] = field(default_factory=set)
    usual: bool = True

    def feed(self, data: bytes) -> None:
        if not self.usual:
            return
        columns = _CELL_COLUMN.findall(data)
        if _UNUSUAL_CELL.search(data) or _PREFIXED_CELL.search(data) or len(columns) != data.count(b'<c r="'):
            self.usual = False
            return
        self.columns.update(columns)
        self.rows.update(_CELL_ROW.findall(data))

    def result(self) -> _Span:
        span = _Span()
        if self.rows:
            rows = [int(r) for r in self.rows]
            cols = [_column_number(c) for c in self.columns]
            span.add(min(rows), min(cols))
            span.add(max(rows), max(cols))
        return span


@dataclass
class _WalkScan:
    """Every row and cell in order, following the reader: a cell or row without a reference comes right after
    the one before it. Slower; only for files that do not have the usual form."""

    span: _Span = field(default_factory=_Span)
    row: int = 0
    col: int = 0

    def feed(self, data: bytes, name: str) -> None:
        for kind, attrs in _TOKEN.findall(data):
            value = next(
                ((a[1] or a[2]) for a in _ATTRIBUTE.findall(attrs) if a[0] == b"r"), None
            )  # the first attribute named r, as the reader takes it
            ref = _REF.fullmatch(value.strip()) if value is not None else None
            if value is not None and ref is None:
                raise UnsafeWorkbook(
                    f"Tệp {name} có ô với địa chỉ không hợp lệ: tệp bị hỏng hoặc bất thường."
                )
            letters, digits = (ref.group(1), ref.group(2)) if ref else (b"", b"")
            if len(letters) > 8 or len(digits) > 12:
                raise UnsafeWorkbook(f"Tệp {name} có ô nằm ngoài mọi bảng tính: tệp bất thường, không mở.")
            if kind == b"row":
                self.row = int(digits) if digits else self.row + 1
                self.col = 0
                continue
            self.col = _column_number(letters) if letters else self.col + 1
            if digits:
                self.row = int(digits)
            if not attrs.rstrip().endswith(b"/"):  # an empty cell (<c … />) holds no value
                self.span.add(self.row, self.col)


def _refuse_cells(name: str, span: _Span, total: int) -> UnsafeWorkbook:
    return UnsafeWorkbook(
        f"Tệp {name} có trang tính trải tới ô {span.last_cell} ({_cells(total)} ô, tối đa {_cells(MAX_CELLS)}): "
        "tệp bất thường hoặc độc hại, không mở. Hãy chép dữ liệu sang một tệp Excel mới."
    )


class _Part:
    """One part of the zip, unpacked in a stream with every size checked as it comes."""

    def __init__(self, fh: BinaryIO, info: zipfile.ZipInfo, name: str, budget: int) -> None:
        self.fh, self.info, self.name, self.budget = fh, info, name, budget
        if info.flag_bits & 0x1:
            raise UnsafeWorkbook(f"Tệp {name} được đặt mật khẩu. Hãy mở bằng Excel, bỏ mật khẩu rồi lưu lại.")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise UnsafeWorkbook(
                f"Tệp {name} dùng kiểu nén không hỗ trợ. Hãy mở bằng Excel và lưu lại thành .xlsx."
            )
        if info.file_size > budget:
            raise UnsafeWorkbook(
                f"Tệp {name} khi giải nén quá lớn (hơn {_size(MAX_UNPACKED_BYTES)}): tệp bất thường, không mở."
            )

    def _data_start(self) -> int:
        self.fh.seek(self.info.header_offset)
        head = self.fh.read(_LOCAL_HEADER.size)
        if len(head) != _LOCAL_HEADER.size or head[:4] != b"PK\x03\x04":
            raise UnsafeWorkbook(f"Tệp {self.name} bị hỏng (cấu trúc tệp nén sai).")
        fields = _LOCAL_HEADER.unpack(head)
        return self.info.header_offset + _LOCAL_HEADER.size + fields[-2] + fields[-1]

    def chunks(self):  # noqa: ANN201 - a generator of bytes
        """The unpacked bytes, a chunk at a time; refuses a bomb as soon as it shows."""
        info, name = self.info, self.name
        self.fh.seek(self._data_start())
        left = info.compress_size
        produced = 0
        inflater = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
        pending = b""
        while True:
            if inflater is not None and inflater.unconsumed_tail:
                pending = inflater.unconsumed_tail
            elif left > 0:
                pending = self.fh.read(min(_CHUNK, left))
                if not pending:
                    raise UnsafeWorkbook(f"Tệp {name} bị hỏng (thiếu dữ liệu nén).")
                left -= len(pending)
            elif inflater is None or inflater.eof:
                break
            else:
                raise UnsafeWorkbook(f"Tệp {name} bị hỏng (dữ liệu nén bị cắt cụt).")
            try:
                out = inflater.decompress(pending, _CHUNK) if inflater is not None else pending
            except zlib.error as exc:
                raise UnsafeWorkbook(f"Tệp {name} bị hỏng (không giải nén được).") from exc
            produced += len(out)
            if produced > info.file_size:
                raise UnsafeWorkbook(
                    f"Tệp {name} bị hỏng hoặc độc hại: một phần giải nén ra nhiều hơn kích thước khai báo."
                )
            if produced > RATIO_FLOOR and produced > MAX_RATIO * max(1, info.compress_size):
                raise UnsafeWorkbook(
                    f"Tệp {name} bị nén bất thường (hơn {MAX_RATIO} lần): có thể là tệp độc hại, không mở."
                )
            if out:
                yield out
            if inflater is not None and inflater.eof:
                break
        if produced != info.file_size:
            raise UnsafeWorkbook(f"Tệp {name} bị hỏng: kích thước khai báo trong tệp nén không khớp.")


def _xml_pieces(chunks, name: str):  # noqa: ANN001, ANN202 - bytes in, bytes out
    """Whole tags only: each piece ends just before a ``<``, the rest waits for the next chunk. Refuses a text
    or a tag longer than any cell could hold."""
    carry = b""
    for chunk in chunks:
        data = carry + chunk
        cut = data.rfind(b"<")
        if cut <= 0:
            carry = data
        else:
            carry = data[cut:]
            piece = data[:cut]
            if _LONG_RUN.search(piece) or (
                not piece.startswith(b"<") and piece.find(b"<", 0, MAX_TEXT_BYTES) < 0
            ):
                raise _too_long(name)
            yield piece
        if len(carry) > MAX_TEXT_BYTES:
            raise _too_long(name)
    if carry:
        yield carry  # shorter than MAX_TEXT_BYTES


def _too_long(name: str) -> UnsafeWorkbook:
    return UnsafeWorkbook(
        f"Tệp {name} có một ô chứa quá nhiều chữ (hơn {_cells(EXCEL_CELL_CHARS)} ký tự, giới hạn của Excel): "
        "tệp bất thường, không mở."
    )


def check_xlsx(path: Path) -> None:
    """Raise :class:`UnsafeWorkbook` (one Vietnamese sentence) unless *path* is safe to hand to the reader."""
    path = Path(path)
    name = path.name
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise UnsafeWorkbook(f"Tệp {name} quá lớn để nhập ({_size(size)}; tối đa {_size(MAX_FILE_BYTES)}).")
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        raise UnsafeWorkbook(f"Tệp {name} bị hỏng (không đọc được cấu trúc tệp nén).") from exc
    if len(infos) > MAX_PARTS:
        raise UnsafeWorkbook(f"Tệp {name} có quá nhiều thành phần ({_cells(len(infos))}): tệp bất thường.")
    declared = sum(i.file_size for i in infos)
    if declared > MAX_UNPACKED_BYTES:
        raise UnsafeWorkbook(
            f"Tệp {name} khi giải nén quá lớn ({_size(declared)}; tối đa {_size(MAX_UNPACKED_BYTES)}): "
            "tệp bất thường, không mở."
        )
    budget = MAX_UNPACKED_BYTES
    cells = 0
    with open(path, "rb") as fh:
        for info in infos:
            if info.is_dir():
                continue
            part = _Part(fh, info, name, budget)
            budget -= info.file_size
            if not info.filename.lower().endswith((".xml", ".rels", ".vml")):
                for _ in part.chunks():  # sizes and ratio only
                    pass
                continue
            fast = _FastScan()
            for piece in _xml_pieces(part.chunks(), name):
                fast.feed(piece)
            span = fast.result()
            if not fast.usual or cells + span.cells > MAX_CELLS:
                walk = _WalkScan()
                for piece in _xml_pieces(_Part(fh, info, name, info.file_size).chunks(), name):
                    walk.feed(piece, name)
                span = walk.span
            cells += span.cells
            if cells > MAX_CELLS:
                raise _refuse_cells(name, span, cells)
