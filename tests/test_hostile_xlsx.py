"""Hostile .xlsx files are refused before the reader sees them: the real ``ksk`` in a child process (it used to
abort with a Rust panic, or take gigabytes), the import wizard, and the checker on each kind of trick.

Every file is built here by hand (zipfile + XML), never committed.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest
from test_ui_people_import import choose

from conftest import ADMIN, ADMIN_PASSWORD, run_ksk
from ksk_desktop.xlsx import guard
from ksk_desktop.xlsx.guard import UnsafeWorkbook, check_xlsx

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships"><sheets><sheet name="DS" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.'
    'openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
)
HEADER_ROW = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>Họ và tên</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>Ngày sinh</t></is></c></row>'
    '<row r="2"><c r="A2" t="inlineStr"><is><t>Nguyễn Văn An</t></is></c>'
    '<c r="B2" t="inlineStr"><is><t>05/03/1985</t></is></c></row>'
)


def sheet_xml(rows: str, head: str = "") -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">{head}<sheetData>{rows}</sheetData></worksheet>'


def workbook(
    path: Path, sheet: str, shared: str | None = None, extra: dict[str, bytes] | None = None
) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", ROOT_RELS)
        z.writestr("xl/workbook.xml", WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        z.writestr("xl/worksheets/sheet1.xml", sheet)
        if shared is not None:
            z.writestr("xl/sharedStrings.xml", shared)
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return path


def far_cell(path: Path) -> Path:
    """The attack: one value at XFD1048576 (the last cell of a worksheet), 1.6 KB."""
    return workbook(path, sheet_xml(HEADER_ROW + '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'))


def raw_zip(path: Path, parts: list[tuple[str, bytes, int, int]]) -> Path:
    """A zip written byte by byte: (name, deflate stream, crc32, declared size) per part, so that a test can say
    what the headers claim whatever the stream holds."""
    local, central = bytearray(), bytearray()
    for name, stream, crc, size in parts:
        n = name.encode()
        central += struct.pack(
            "<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0x5C21, crc, len(stream), size, len(n), 0, 0, 0, 0, 0,
            len(local),
        ) + n  # fmt: skip
        local += struct.pack(
            "<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0x5C21, crc, len(stream), size, len(n), 0
        )
        local += n + stream
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(parts), len(parts), len(central), len(local), 0)
    path.write_bytes(bytes(local + central + end))
    return path


def deflated(data: bytes) -> tuple[bytes, int, int]:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush(), zlib.crc32(data), len(data)


def huge_string(path: Path, *, declared: int | None = None) -> Path:
    """A 1 MB workbook whose shared string is 1 GiB of text (the reader took 7.5 GB). The stream is one
    compressed megabyte repeated (full flushes make the pieces independent), so it costs no time to build.
    *declared*: the size the zip's headers claim for that part (a liar says a few hundred bytes)."""
    opening = f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}" count="1" uniqueCount="1"><si><t>'.encode()
    closing = b"</t></si></sst>"
    block = b"A" * (1 << 20)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = c.compress(opening) + c.flush(zlib.Z_FULL_FLUSH)
    piece = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    stream = head + piece * 1024 + c.compress(closing) + c.flush()
    crc = zlib.crc32(opening)
    for _ in range(1024):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(closing, crc)
    size = len(opening) + 1024 * len(block) + len(closing)
    sheet = sheet_xml(HEADER_ROW + '<row r="3"><c r="A3" t="s"><v>0</v></c></row>').encode()
    parts = [
        ("[Content_Types].xml", *deflated(CONTENT_TYPES.encode())),
        ("_rels/.rels", *deflated(ROOT_RELS.encode())),
        ("xl/workbook.xml", *deflated(WORKBOOK.encode())),
        ("xl/_rels/workbook.xml.rels", *deflated(WORKBOOK_RELS.encode())),
        ("xl/worksheets/sheet1.xml", *deflated(sheet)),
        ("xl/sharedStrings.xml", stream, crc, size if declared is None else declared),
    ]
    return raw_zip(path, parts)


def run_capped(*args: str, data_dir: Path, password: str | None = None) -> subprocess.CompletedProcess:
    """The real ``ksk``, with its address space capped at 4 GiB where the system allows it: on today's main the
    reader would take gigabytes, and a regression must fail rather than thrash the machine."""
    env = dict(os.environ, KSK_DATA_DIR=str(data_dir))
    env.pop("KSK_PASSWORD", None)
    if password is not None:
        env["KSK_PASSWORD"] = password

    def cap() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))

    return subprocess.run(
        [sys.executable, "-m", "ksk_desktop.cli.main", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        preexec_fn=None if sys.platform == "win32" else cap,  # noqa: PLW1509 - a child-only limit, no threads
    )


@pytest.mark.parametrize("command", ["preview", "import"])
def test_far_cell_is_refused_by_the_real_cli(station, tmp_path, command):
    paths, _ = station
    hostile = far_cell(tmp_path / "xa-ngoai.xlsx")
    assert hostile.stat().st_size < 2000
    args = ["person", command, str(hostile)]
    if command == "import":
        args = ["--user", ADMIN, *args]
    out = run_capped(*args, data_dir=paths.root, password=ADMIN_PASSWORD)
    assert out.returncode == 2, (out.returncode, out.stderr[-2000:])  # was -6 (SIGABRT)
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "XFD1048576" in lines[0] and "không mở" in lines[0]
    assert "panic" not in out.stderr and "memory allocation" not in out.stderr
    if command == "import":
        count = run_ksk("--user", ADMIN, "person", "count", data_dir=paths.root, password=ADMIN_PASSWORD)
        assert count.stdout.strip().endswith("0")


@pytest.mark.parametrize("declared", [None, 300])
def test_a_gibibyte_string_in_a_megabyte_file_is_refused(tmp_path, declared):
    hostile = huge_string(tmp_path / "chuoi-1gib.xlsx", declared=declared)
    assert hostile.stat().st_size < 2 * 1024 * 1024
    out = run_capped("person", "preview", str(hostile), data_dir=tmp_path / "d")
    assert out.returncode == 2, (out.returncode, out.stderr[-2000:])
    [line] = out.stderr.strip().splitlines()
    if declared is None:
        assert "giải nén quá lớn" in line
    else:  # the headers lie: the stream is unpacked and stopped at what they declared
        assert "nhiều hơn kích thước khai báo" in line


def test_the_import_wizard_shows_the_same_sentence(qtbot, admin_session, tmp_path):
    from ui.people.import_wizard import ImportWizard

    wizard = ImportWizard(admin_session)
    qtbot.addWidget(wizard)
    wizard.show()
    choose(qtbot, wizard, far_cell(tmp_path / "xa-ngoai.xlsx"))
    assert wizard.error_label.isVisible()
    with pytest.raises(UnsafeWorkbook) as refused:
        check_xlsx(tmp_path / "xa-ngoai.xlsx")
    assert wizard.error_label.text() == refused.value.message


def test_icd_import_checks_the_file_too(admin_session, tmp_path):
    from ksk_desktop.catalogs.icd10_import import import_icd_list

    with pytest.raises(UnsafeWorkbook, match="XFD1048576"):
        import_icd_list(admin_session, far_cell(tmp_path / "icd.xlsx"))


# -- the checker, trick by trick (in process: fast) ---------------------------------------------------
def refused(path: Path) -> str:
    with pytest.raises(UnsafeWorkbook) as exc:
        check_xlsx(path)
    return exc.value.message


@pytest.mark.parametrize(
    "cells",
    [
        '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>',  # the usual form
        '<row r="5"><c s="0" r="XFD1048576"><v>1</v></c></row>',  # r not first: the walk
        "<row r=\"5\"><c t='n' r = 'XFD1048576'><v>1</v></c></row>",  # other quotes and spaces
        '<row r="5"><x:c xmlns:x="' + MAIN + '" r="XFD1048576"><x:v>1</x:v></x:c></row>',  # a prefix
        '<row r="1048576"><c t="n"><v>1</v></c></row><row><c r="XFD5"><v>1</v></c></row>',  # no r on a cell
        # the decoy: an r inside another attribute's value; the reader takes the real, first r attribute
        '<row r="7"><c r="XFD1048576" t=\'x r="A1"\'><v>1</v></c></row>',
        '<row r="7"><c t=\'x r="A1"\' r="XFD1048576"><v>1</v></c></row>',
    ],
)
def test_the_span_of_cells_is_counted_whatever_the_form(tmp_path, cells):
    message = refused(workbook(tmp_path / "a.xlsx", sheet_xml(HEADER_ROW + cells)))
    assert "tối đa 10.000.000" in message


def test_rows_without_references_are_counted_one_by_one(tmp_path, monkeypatch):
    monkeypatch.setattr(guard, "MAX_CELLS", 1000)
    rows = "<row><c><v>1</v></c><c><v>2</v></c></row>" * 600  # 600 × 2 cells, no reference anywhere
    assert "1.200 ô" in refused(workbook(tmp_path / "a.xlsx", sheet_xml(rows)))
    check_xlsx(workbook(tmp_path / "b.xlsx", sheet_xml(rows[: len(rows) // 2])))  # 300 × 2: fine


def test_empty_styled_cells_and_a_lying_dimension_are_not_counted(tmp_path):
    styled = '<row r="1048576"><c r="XFD1048576" s="1"/></row>'
    check_xlsx(
        workbook(tmp_path / "a.xlsx", sheet_xml(HEADER_ROW + styled, '<dimension ref="A1:XFD1048576"/>'))
    )


def test_zip_bomb_by_ratio(tmp_path):
    body = '<row r="3"><c r="A3" t="inlineStr"><is><t>x</t></is></c></row>' + "<!---->" * 400_000
    path = workbook(tmp_path / "a.xlsx", sheet_xml(HEADER_ROW + body))
    info = zipfile.ZipFile(path).getinfo("xl/worksheets/sheet1.xml")
    assert info.file_size > 100 * info.compress_size
    assert "nén bất thường" in refused(path)


def test_a_text_longer_than_excel_allows(tmp_path):
    long_text = "Ơ" * 200_000  # 600 KB in UTF-8, far beyond 32,767 characters
    shared = f'<sst xmlns="{MAIN}"><si><t>{long_text}</t></si></sst>'
    assert "32.767" in refused(workbook(tmp_path / "a.xlsx", sheet_xml(HEADER_ROW), shared=shared))


def test_encrypted_or_oddly_packed_parts(tmp_path):
    path = workbook(tmp_path / "a.xlsx", sheet_xml(HEADER_ROW))
    raw = bytearray(path.read_bytes())
    entry = raw.find(b"PK\x03\x04")
    raw[entry + 8] = 12  # compression method: bzip2, in the local header…
    central = raw.find(b"PK\x01\x02")
    raw[central + 10] = 12  # …and in the central directory
    (tmp_path / "b.xlsx").write_bytes(bytes(raw))
    assert "kiểu nén không hỗ trợ" in refused(tmp_path / "b.xlsx")


def test_too_many_parts_or_too_big_a_file(tmp_path, monkeypatch):
    parts = {f"xl/media/x{i}.xml": b"<a/>" for i in range(30)}
    monkeypatch.setattr(guard, "MAX_PARTS", 20)
    assert "quá nhiều thành phần" in refused(
        workbook(tmp_path / "a.xlsx", sheet_xml(HEADER_ROW), extra=parts)
    )
    monkeypatch.setattr(guard, "MAX_FILE_BYTES", 100)
    assert "quá lớn để nhập" in refused(workbook(tmp_path / "b.xlsx", sheet_xml(HEADER_ROW)))


def test_ordinary_workbooks_pass(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Họ và tên", "Ngày sinh", "Số CCCD"])
    for i in range(2000):
        ws.append([f"Nguyễn Văn {i}", "05/03/1985", f"031085{i:06d}"])
    wb.save(tmp_path / "a.xlsx")
    check_xlsx(tmp_path / "a.xlsx")
