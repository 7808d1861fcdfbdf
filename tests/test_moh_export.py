"""The Ministry portal's Excel (issue 14 §2): signed exams of a period in the user's copy of the KSK template,
read back with two independent readers (openpyxl with its macros kept, and calamine) and checked at the zip's
level (the macros and the 17 data validations byte for byte)."""

from __future__ import annotations

import json
import re
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from exam_support import STAFF_PASSWORD
from moh_support import A_ID, B_ID, FACILITY, FROM, TO, clinic, session_clock  # noqa: F401 - fixtures
from python_calamine import CalamineWorkbook
from testkit.moh_template import DMICDME, MOH_COLUMNS, VBA_BYTES, make_template

from conftest import COMMUNE, run_ksk
from ksk_desktop.errors import InvalidInput, PermissionDenied
from ksk_desktop.reports import moh_export
from ksk_desktop.reports.moh_template import TemplateError, open_template
from ksk_desktop.xlsx.guard import UnsafeWorkbook


def _codes_openpyxl(path: Path) -> tuple[dict[str, int], list[dict[str, object]], object]:
    wb = openpyxl.load_workbook(path, keep_vba=True)
    ws = wb["Trên 18"]
    codes = {str(ws.cell(2, c).value): c for c in range(1, ws.max_column + 1) if ws.cell(2, c).value}
    rows = []
    for r in range(4, ws.max_row + 1):
        row = {code: ws.cell(r, c).value for code, c in codes.items()}
        row["_O"] = ws.cell(r, codes["MAXA_CU_TRU"] + 1).value
        row["_M"] = ws.cell(r, codes["MATINH_CU_TRU"] + 1).value
        rows.append(row)
    return codes, rows, wb


def _rows_calamine(path: Path) -> list[list[object]]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Trên 18").to_python(skip_empty_area=False)


def _sheet_xml(path: Path, part: str = "xl/worksheets/sheet2.xml") -> bytes:
    with zipfile.ZipFile(path) as z:
        return z.read(part)


def _validations(xml: bytes) -> bytes:
    m = re.search(rb"<dataValidations\b.*?</dataValidations>", xml, re.S)
    assert m
    return m.group(0)


def test_export_fills_the_template_and_keeps_macros_and_validations(clinic) -> None:  # noqa: F811
    out = clinic["tmp"] / "nop-cong.xlsm"
    summary = moh_export.export(clinic["head"], clinic["template"], FROM, TO, out, facility_code=FACILITY)

    # Two files: A's second exam cannot share a file with the first; the summary says so.
    second = clinic["tmp"] / "nop-cong-2.xlsm"
    assert [f["file"] for f in summary["files"]] == [str(out), str(second)]
    assert [f["rows"] for f in summary["files"]] == [2, 1]
    assert summary["exported"] == 3 and summary["repeat_people"] == 1
    assert "nop-cong-2.xlsm" in summary["message"] and "nhiều lần" in summary["message"]
    assert summary["refused"] == 2 and summary["template"]["validations"] == 17
    assert summary["template_warnings"] == []
    assert (out.stat().st_mode & 0o777) == 0o600

    # The zip: the macros byte for byte, the 17 validations exactly as in the template, no example rows left.
    for path in (out, second):
        with zipfile.ZipFile(path) as z:
            assert z.read("xl/vbaProject.bin") == VBA_BYTES
            assert "vbaProject" in z.read("xl/_rels/workbook.xml.rels").decode()
        assert _validations(_sheet_xml(path)) == _validations(_sheet_xml(clinic["template"]))
        assert b"NGUY\xe1\xbb\x84N V\xc4\x82N M\xe1\xba\xaaU" not in _sheet_xml(
            path
        )  # the template's example row
        assert b"<f>" not in _sheet_xml(path)
    with zipfile.ZipFile(clinic["template"]) as t, zipfile.ZipFile(out) as o:
        changed = (
            "xl/worksheets/sheet2.xml",
            "xl/styles.xml",
            "[Content_Types].xml",
            "xl/_rels/workbook.xml.rels",
        )
        for name in t.namelist():
            if name not in (*changed, "xl/calcChain.xml"):
                assert o.read(name) == t.read(name), name
        # The example rows' formulas are gone, and with them Excel's chain of formulas to recalculate.
        assert "xl/calcChain.xml" in t.namelist() and "xl/calcChain.xml" not in o.namelist()
        for name in changed[2:]:
            assert b"calcChain" in t.read(name) and b"calcChain" not in o.read(name)
            assert o.read(name) == t.read(name).replace(
                re.search(rb"<[^<]*calcChain[^>]*>", t.read(name)).group(0), b""
            )

    # Reader 1: openpyxl, macros kept.
    codes, rows, wb = _codes_openpyxl(out)
    assert wb.vba_archive is not None and len(wb["Trên 18"].data_validations.dataValidation) == 17
    assert len(codes) == 100 and len(rows) == 2
    a, b = rows
    assert a["TT"] == 1 and b["TT"] == 2
    assert a["SO_CCCD"] == A_ID and a["NGAY_VAO"] == "02/11/2026" and a["NGAY_SINH"] == "17/05/1980"
    assert a["HO_TEN"] == "NGUYỄN VĂN AN" and a["GIOI_TINH"] == "Nam" and a["MA_CSKCB"] == FACILITY
    assert a["_O"] == COMMUNE and isinstance(a["_O"], str)  # the hidden MAHUYEN column, text
    assert a["_M"] == "31" and a["MATINH_CU_TRU"] == "Thành phố Hải Phòng"  # name as in the template's dmtinh
    assert a["MAXA_CU_TRU"] == "Phường Thành Đông"
    assert a["KET_LUAN_BENH"] == "I10" and a["CAC_BENH_TAT_NEU_CO"] == "I10;E11.4"  # main first, all codes
    assert a["TSBT_MA_BENH"] == "I10" and a["TSBT_MA_BENH_KHAC"] == "E78.5;K76.0"  # codes, never a comma
    assert a["TSGD_MA_BENH"] == dict(DMICDME)["Z82.4"]  # the template's own wording
    assert a["TSGD_MAC_BENH"] == 1 and a["TSBT_TANG_HUYET_AP"] == 1 and a["TSBT_DAI_THAO_DUONG"] is None
    assert a["PHAN_LOAI_SK"] in (1, 2, 3, 4, 5) and isinstance(a["PHAN_LOAI_SK"], int)
    assert isinstance(a["NOI_KHOA_TUAN_HOAN_PL"], int) and isinstance(a["KHAM_NGOAI_KHOA_PL"], int)
    assert a["KHONG_KINH_MAT_PHAI"] == "10/10" and a["HUYET_AP"] == "120/80" and a["CHIEU_CAO"] == 165
    assert a["DIEN_THOAI"] == "0912345678" and a["DIA_CHI"] == "Số 5, Thôn 2"
    assert b["SO_CCCD"] == B_ID and b["NGAY_SINH"] == "01/01/1950" and b["GIOI_TINH"] == "Nữ"
    assert b["KHAM_SAN_PHU_KHOA_PL"] is not None  # the women's section goes for a woman
    assert a["KHAM_SAN_PHU_KHOA_PL"] is None
    for row in rows:
        for code in ("KET_LUAN_BENH", "CAC_BENH_TAT_NEU_CO", "TSBT_MA_BENH", "TSBT_MA_BENH_KHAC"):
            assert "," not in str(row[code] or "")
    _, rows2, _ = _codes_openpyxl(second)
    assert [r["SO_CCCD"] for r in rows2] == [A_ID] and rows2[0]["NGAY_VAO"] == "20/11/2026"
    assert rows2[0]["CAC_BENH_TAT_NEU_CO"] == "I10"

    # Reader 2: calamine — the types the portal's SheetJS sees (text stays text, classes are numbers).
    grid = _rows_calamine(out)
    header = grid[1]
    first = dict(zip(header, grid[3], strict=False))
    assert first["SO_CCCD"] == A_ID and first["NGAY_VAO"] == "02/11/2026"
    assert isinstance(first["PHAN_LOAI_SK"], int | float) and not isinstance(first["PHAN_LOAI_SK"], str)
    assert grid[3][header.index("MAXA_CU_TRU") + 1] == COMMUNE
    assert len(grid) == 5 and len(header) == 103


def test_refused_exams_are_listed_with_their_reason(clinic) -> None:  # noqa: F811
    out = clinic["tmp"] / "nop.xlsm"
    summary = moh_export.export(clinic["head"], clinic["template"], FROM, TO, out, facility_code=FACILITY)
    assert summary["refused_reasons"] == {
        "không có số định danh cá nhân (CCCD)": 1,
        moh_export.UNSIGNED: 1,
    }
    report = Path(summary["report"])
    assert report.name == "nop-bao-cao.xlsx" and (report.stat().st_mode & 0o777) == 0o600
    wb = CalamineWorkbook.from_path(str(report))
    refused = wb.get_sheet_by_name("Không gửi được").to_python()
    listed = {(r[2], r[5]) for r in refused[2:]}
    assert listed == {
        ("Lê Văn Cường", "không có số định danh cá nhân (CCCD)"),
        ("Phạm Thị Dung", moh_export.UNSIGNED),
    }
    notes = wb.get_sheet_by_name("Lưu ý").to_python()
    assert any("Trần Thị Bích" in r and "01/01/1950" in str(r[5]) for r in notes[2:])
    # Nothing about people in the summary the command line prints.
    text = json.dumps(summary, ensure_ascii=False)
    assert A_ID not in text and "Cường" not in text


def test_columns_are_found_by_code_not_position(clinic) -> None:  # noqa: F811
    plain = clinic["tmp"] / "plain.xlsm"
    moh_export.export(clinic["head"], clinic["template"], FROM, TO, plain, facility_code=FACILITY)
    shuffled_tpl = make_template(clinic["tmp"] / "shuffled.xlsm", shuffle_seed=7, mahuyen_code=True,
                                 unknown_code="MA_DICH_VU_CLS")  # fmt: skip
    shuffled = clinic["tmp"] / "shuffled-out.xlsm"
    moh_export.export(clinic["head"], shuffled_tpl, FROM, TO, shuffled, facility_code=FACILITY)
    _, plain_rows, _ = _codes_openpyxl(plain)
    codes, shuffled_rows, _ = _codes_openpyxl(shuffled)
    moved = [c for i, c in enumerate(MOH_COLUMNS, 1) if c and codes[c] != i]
    assert len(moved) > 80  # the codes are somewhere else entirely
    assert codes["MAHUYEN"] == codes["MAXA_CU_TRU"] + 1
    for p, s in zip(plain_rows, shuffled_rows, strict=True):
        assert s["MAHUYEN"] == p["_O"] == COMMUNE
        for code in MOH_COLUMNS:
            if code:
                assert s[code] == p[code], code
        assert s["MA_DICH_VU_CLS"] is None  # a column the app does not know stays empty


def test_period_and_rights(clinic, tmp_path) -> None:  # noqa: F811
    out = tmp_path / "x.xlsm"
    with pytest.raises(InvalidInput, match="đứng trước"):
        moh_export.export(clinic["head"], clinic["template"], TO, FROM, out, facility_code=FACILITY)
    with pytest.raises(InvalidInput, match="MA_CSKCB"):
        moh_export.export(clinic["head"], clinic["template"], FROM, TO, out, facility_code="31")
    with pytest.raises(PermissionDenied):
        moh_export.export(clinic["admin"], clinic["template"], FROM, TO, out, facility_code=FACILITY)
    with pytest.raises(InvalidInput, match="khác tệp mẫu"):
        moh_export.export(
            clinic["head"], clinic["template"], FROM, TO, clinic["template"], facility_code=FACILITY
        )
    # Nothing in the period: no file, an empty report, a clear sentence.
    summary = moh_export.export(
        clinic["head"], clinic["template"], date(2025, 1, 1), date(2025, 1, 31), out, facility_code=FACILITY
    )
    assert summary["files"] == [] and not out.exists() and "Không có phiếu khám" in summary["message"]


def test_a_file_that_is_not_the_template_is_refused(tmp_path) -> None:
    from ksk_desktop.xlsx.writer import Workbook

    wb = Workbook()
    with wb.sheet("Danh sách") as ws:
        ws.extend([["Họ tên", "Ngày sinh"], ["A", "B"]])
    plain = tmp_path / "danh-sach.xlsx"
    plain.write_bytes(wb.to_bytes())
    with pytest.raises(TemplateError, match="SO_CCCD"):
        open_template(plain)
    with pytest.raises(TemplateError, match="MAHUYEN"):
        open_template(make_template(tmp_path / "no-commune-column.xlsm", commune_column=False))
    shown = tmp_path / "shown.xlsm"  # a copy where someone showed the hidden columns still works
    with zipfile.ZipFile(make_template(tmp_path / "t.xlsm")) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    parts["xl/worksheets/sheet2.xml"] = parts["xl/worksheets/sheet2.xml"].replace(b' hidden="1"', b"")
    with zipfile.ZipFile(shown, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)
    assert open_template(shown).commune_column == 15 and not open_template(shown).hidden
    lost = tmp_path / "lost-validations.xlsm"  # saved by a program that dropped them
    parts["xl/worksheets/sheet2.xml"] = re.sub(
        rb"<dataValidations\b.*?</dataValidations>", b"", parts["xl/worksheets/sheet2.xml"], flags=re.S
    )
    with zipfile.ZipFile(lost, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)
    warned = moh_export.template_warnings(open_template(lost))
    assert warned and "chỉ có 0 ô kiểm tra dữ liệu" in warned[0]
    plain_xlsx = make_template(tmp_path / "no-macros.xlsx", with_vba=False)
    warned = moh_export.template_warnings(open_template(plain_xlsx))
    assert len(warned) == 1 and "không có macro" in warned[0]
    bomb = tmp_path / "bomb.xlsm"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        for n, data in parts.items():
            z.writestr(n, data)
        z.writestr("xl/media/big.bin", b"\0" * (600 * 1024 * 1024))
    with pytest.raises(UnsafeWorkbook):
        open_template(bomb)


def test_template_without_catalogue_falls_back_to_the_station_names(clinic) -> None:  # noqa: F811
    tpl = open_template(clinic["template"])
    assert tpl.icd_names["E11.4"] == dict(DMICDME)["E11.4†"] and tpl.has_macros
    assert tpl.commune_column == MOH_COLUMNS.index("MAXA_CU_TRU") + 2 and tpl.province_id_column == 13


def test_cli_moh_export_json(clinic) -> None:  # noqa: F811
    out = clinic["tmp"] / "cli.xlsm"
    r = run_ksk(
        "report", "moh-export", "--template", str(clinic["template"]), "--from", "01/11/2026", "--to",
        "25/11/2026", "-o", str(out), "--facility-code", FACILITY, "--user", "truongtram", "--json",
        data_dir=clinic["paths"].root, password=STAFF_PASSWORD,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["exported"] == 3 and len(data["files"]) == 2 and data["refused"] == 2
    assert set(data) >= {"from", "to", "template", "files", "refused_reasons", "report", "message"}
    bad = run_ksk(
        "report", "moh-export", "--template", str(out.with_name("none.xlsm")), "--from", "01/11/2026", "--to",
        "25/11/2026", "-o", str(out), "--facility-code", FACILITY, "--user", "truongtram",
        data_dir=clinic["paths"].root, password=STAFF_PASSWORD,
    )  # fmt: skip
    assert bad.returncode != 0 and bad.stderr.count("\n") == 1 and "Không tìm thấy tệp mẫu" in bad.stderr


def test_the_station_facility_code_is_used_when_none_is_given(clinic) -> None:  # noqa: F811
    """MA_CSKCB comes from the station's QĐ 1551 settings when the export names none; without either, it refuses."""
    from ksk_desktop.moh1551 import settings as moh_settings

    out = clinic["tmp"] / "tram.xlsm"
    with pytest.raises(InvalidInput, match="Chưa có mã cơ sở KCB"):
        moh_export.export(clinic["head"], clinic["template"], FROM, TO, out)
    assert not out.exists()
    moh_settings.update(clinic["admin"], ma_cskcb=FACILITY)
    summary = moh_export.export(clinic["head"], clinic["template"], FROM, TO, out)
    assert summary["exported"] == 3
    book = openpyxl.load_workbook(out, keep_vba=True)
    codes = [
        (ws, c)
        for ws in book.worksheets
        for c in range(1, ws.max_column + 1)
        if ws.cell(2, c).value == "MA_CSKCB"
    ]
    assert codes and all(ws.cell(4, c).value == FACILITY for ws, c in codes)
