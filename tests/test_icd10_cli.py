"""``ksk icd search|show|import`` through the real command line, and importing the MoH list into a station."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from conftest import ADMIN, ADMIN_PASSWORD, run_ksk
from ksk_desktop.catalogs import icd10
from ksk_desktop.catalogs.icd10_import import import_icd_list
from ksk_desktop.db.models import AuditEvent
from ksk_desktop.errors import InvalidInput, PermissionDenied
from ksk_desktop.station.lifecycle import login
from ksk_desktop.station.users import add_user


def _moh_workbook(path: Path) -> Path:
    """A small copy of the KSK template's layout: a data sheet first, the list in a sheet named dmicdme."""
    wb = openpyxl.Workbook()
    data = wb.active
    data.title = "Data"
    data.append(["TT", "HO_TEN", "KET_LUAN_BENH"])
    data.append([1, "NGUYỄN VĂN A", "I10"])
    ws = wb.create_sheet("dmicdme")
    ws.append(["STT", "MA_ICD", "TEN_ICD"])
    ws.append([1, "A00-A09", "Bệnh nhiễm trùng đường ruột"])  # a block row: skipped
    ws.append([2, "A00", "Bệnh tả"])
    ws.append([3, "A00.0", "Bệnh tả do Vibrio cholerae 01, typ sinh học cholerae"])
    ws.append([4, "G01*", "Viêm màng não trong bệnh nhiễm khuẩn phân loại nơi khác"])
    ws.append([5, "I10", "Bệnh lý tăng huyết áp"])  # the official wording replaces the bundled one
    ws.append([6, None, None])
    ws.append([7, "Z99.9", ""])  # no name: skipped
    wb.save(path)
    return path


def test_import_xlsx_extends_the_catalogue(admin_session, tmp_path: Path) -> None:
    root = admin_session.paths.root
    assert icd10.lookup("A00", data_dir=root) is None
    before = len(icd10.catalogue(root))
    result = import_icd_list(admin_session, _moh_workbook(tmp_path / "Import_KSK.xlsx"))
    assert (result.sheet, result.imported, result.skipped) == ("dmicdme", 4, 2)
    assert result.total == before + 3
    assert icd10.lookup("a00.0", data_dir=root)["name"].startswith("Bệnh tả do Vibrio")
    assert icd10.lookup("G01", data_dir=root) == {
        "code": "G01",
        "mark": "*",
        "name": "Viêm màng não trong bệnh nhiễm khuẩn phân loại nơi khác",
    }
    assert icd10.lookup("I10", data_dir=root)["name"] == "Bệnh lý tăng huyết áp"
    assert icd10.search("benh ta", data_dir=root)[0]["code"] == "A00"
    assert "I10" in [r["code"] for r in icd10.search("cao huyet ap", data_dir=root)]  # synonyms survive
    # the bundled list itself is untouched; other stations do not see the import
    assert icd10.lookup("A00") is None
    assert icd10.lookup("I10")["name"] == "Tăng huyết áp vô căn (nguyên phát)"
    with admin_session.read() as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "icd.import")).all()
    assert len(events) == 1 and events[0].actor == ADMIN


def test_reimport_replaces_the_previous_list(admin_session, tmp_path: Path) -> None:
    root = admin_session.paths.root
    import_icd_list(admin_session, _moh_workbook(tmp_path / "a.xlsx"))
    second = tmp_path / "b.csv"
    second.write_text(
        "Mã bệnh;Tên bệnh\nB99;Bệnh nhiễm trùng khác và không đặc hiệu\nE11.9;Tên mới\n", encoding="utf-8-sig"
    )
    result = import_icd_list(admin_session, second)
    assert (result.imported, result.skipped) == (2, 0)
    assert icd10.lookup("A00", data_dir=root) is None  # the earlier import is gone
    assert icd10.lookup("B99", data_dir=root)["name"] == "Bệnh nhiễm trùng khác và không đặc hiệu"
    assert icd10.lookup("E11.9", data_dir=root)["name"] == "Tên mới"


def test_import_refuses_a_file_without_codes(admin_session, tmp_path: Path) -> None:
    bad = tmp_path / "names.csv"
    bad.write_text("Mã ICD,Tên bệnh\nabc,Không phải mã\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="Không có mã ICD-10 hợp lệ"):
        import_icd_list(admin_session, bad)
    assert not icd10.station_file(admin_session.paths.root).exists()
    nocols = tmp_path / "people.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["Họ và tên", "Ngày sinh"])
    wb.active.append(["Nguyễn Văn A", "01/01/1960"])
    wb.save(nocols)
    with pytest.raises(InvalidInput, match="Không tìm thấy cột mã ICD"):
        import_icd_list(admin_session, nocols)


def test_import_needs_settings_permission(admin_session, tmp_path: Path) -> None:
    add_user(admin_session, "bacsi", "doctor", "Bac-si-2026")
    doctor = login(admin_session.paths, "bacsi", "Bac-si-2026")
    try:
        with pytest.raises(PermissionDenied):
            import_icd_list(doctor, _moh_workbook(tmp_path / "a.xlsx"))
    finally:
        doctor.close()


def test_cli_contract(station, tmp_path: Path) -> None:
    paths, _ = station
    out = run_ksk("icd", "search", "tang huyet ap", "--limit", "3", "--json", data_dir=paths.root)
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert len(rows) == 3 and rows[0] == {
        "code": "I10",
        "name": "Tăng huyết áp vô căn (nguyên phát)",
        "mark": "",
    }
    out = run_ksk("icd", "show", "e105†", "--json", data_dir=paths.root)
    assert out.returncode == 0 and json.loads(out.stdout)["mark"] == "†"
    human = run_ksk("icd", "show", "I10", data_dir=paths.root)
    assert human.stdout.strip() == "I10 Tăng huyết áp vô căn (nguyên phát)"

    missing = run_ksk("icd", "show", "X99.9", data_dir=paths.root)
    assert missing.returncode == 8 and missing.stderr.startswith("Lỗi: Không có mã ICD-10 X99.9")
    assert len(missing.stderr.strip().splitlines()) == 1
    garbage = run_ksk("icd", "show", "xyz", data_dir=paths.root)
    assert garbage.returncode == 2 and "không phải mã ICD-10" in garbage.stderr
    none = run_ksk("icd", "search", "qqqq", data_dir=paths.root)
    assert none.returncode == 0 and "Không tìm thấy" in none.stdout

    anonymous = run_ksk("icd", "import", str(_moh_workbook(tmp_path / "m.xlsx")), data_dir=paths.root)
    assert anonymous.returncode != 0 and anonymous.stderr.startswith("Lỗi:")
    imported = run_ksk(
        "icd",
        "import",
        str(tmp_path / "m.xlsx"),
        "--user",
        ADMIN,
        "--json",
        data_dir=paths.root,
        password=ADMIN_PASSWORD,
    )
    assert imported.returncode == 0, imported.stderr
    body = json.loads(imported.stdout)
    assert body["imported"] == 4 and body["sheet"] == "dmicdme" and body["file"] == "m.xlsx"
    shown = run_ksk("icd", "show", "A00", "--json", data_dir=paths.root)
    assert json.loads(shown.stdout) == {"code": "A00", "name": "Bệnh tả", "mark": ""}
