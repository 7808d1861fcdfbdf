"""Importing residents' lists: real .xlsx and .csv files, every kind of bad input, all-or-nothing writes."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import openpyxl
import pytest
from sqlalchemy import text

from conftest import ADMIN, ADMIN_PASSWORD, FROZEN_DAY, run_ksk
from ksk_desktop.importer import ImportCancelled, ImportFileError, import_people
from ksk_desktop.people import persons

HEADER = [
    "STT",
    "Họ và tên",
    "Ngày sinh",
    "Giới tính",
    "Số CCCD",
    "Thôn / Tổ dân phố",
    "Số điện thoại",
    "Đối tượng",
]
GOOD = [
    [
        1,
        "NGUYỄN VĂN ĐỨC",
        datetime(1985, 4, 15),  # noqa: DTZ001 - an Excel date cell: openpyxl gives naive datetimes
        "Nam",
        31085999901,
        "Thôn 1",
        912345678,
        "c",
    ],  # ID as a number
    [2, "Trần Thị Mẫu", "02/03/2003", "Nữ", "031303999902", "Thôn 2", "0987 654 321", "b"],
    [3, "Phạm Thị Hoa", 1955, "Nữ", None, "Thôn 3", None, "a"],  # year only
    [4, "Vũ Văn Năm", 23000, "nam", "031962999906", "Thôn 1", None, "đ"],  # Excel serial date
    [5, "Đỗ Thị Sáu", "5/6/1970", "Nữ", "'031170999907", "Thôn 2", "+84 912 000 111", "d"],
]
BAD = [
    [6, "Lê Văn Giả", "31/02/1960", "Nam", "031060999903", "Thôn 3", None, "a"],  # impossible date
    [7, "Trần Thị Mẫu", "02/03/2003", "Nữ", "031303999902", "Thôn 2", None, "b"],  # same person twice
    [8, None, "01/01/1990", "Nam", "031090999908", "Thôn 1", None, "c"],  # no name
    [9, "Hà Văn Sai", "01/01/1990", "Nam", "03109099", "Thôn 1", None, "c"],  # 8-digit ID
    [10, "Mai Thị Tương", "01/01/2090", "Nữ", None, "Thôn 1", None, "c"],  # in the future
    [11, "Lý Văn Nhóm", "01/01/1990", "Nam", None, "Thôn 1", None, "z"],  # unknown group
]


def xlsx(path, rows, header=HEADER, title_rows=True):
    wb = openpyxl.Workbook()
    ws = wb.active
    if title_rows:
        ws.append(["UBND XÃ KIẾN THỤY"])
        ws.append(["DANH SÁCH NGƯỜI DÂN KHÁM SỨC KHỎE NĂM 2026"])
        ws.append([])
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def cp1258(text_: str) -> bytes:
    """Encode as Windows does for Vietnamese: letters with their shape marks precomposed, tone marks combining."""
    import unicodedata

    tones = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
    out = []
    for ch in text_:
        parts = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
        out.append(base + "".join(c for c in parts if c in tones))
    return "".join(out).encode("cp1258")


def count(ctx):
    return persons.count_people(ctx)


def test_import_xlsx_with_title_rows_numbers_and_dates(admin_session, tmp_path):
    result = import_people(admin_session, xlsx(tmp_path / "ds.xlsx", GOOD + BAD))
    assert (result.created, result.updated, result.unchanged, result.rejected) == (5, 0, 0, 6)
    duc = persons.search(admin_session, "031085999901")[0]
    assert duc["name"] == "Nguyễn Văn Đức" and duc["dob"] == "1985-04-15" and duc["phone"] == "0912345678"
    assert duc["groups"] == ["c"] and duc["hamlet"] == "Thôn 1"
    assert (
        persons.search(admin_session, "vu van nam")[0]["dob"]
        == (date(1899, 12, 30) + timedelta(23000)).isoformat()
    )
    hoa = persons.search(admin_session, "pham thi hoa")[0]
    assert hoa["dob"] is None and hoa["birth_year"] == 1955
    assert persons.search(admin_session, "do thi sau")[0]["phone"] == "0912000111"
    assert persons.search(admin_session, "") == []  # an empty query finds nobody

    report = openpyxl.load_workbook(result.report).active
    reasons = {row[0]: row[1] for row in report.iter_rows(min_row=2, values_only=True)}
    assert set(reasons) == {10, 11, 12, 13, 14, 15}  # spreadsheet row numbers of the bad rows
    assert "không tồn tại" in reasons[10]
    assert "dòng 6" in reasons[11]  # the duplicate points at the first occurrence
    assert "họ và tên" in reasons[12].lower()
    assert "12 chữ số" in reasons[13]
    assert "sau ngày hôm nay" in reasons[14]
    assert "Nhóm đối tượng" in reasons[15]


def test_reimport_changes_nothing_and_updates_are_audited(admin_session, tmp_path):
    path = xlsx(tmp_path / "ds.xlsx", GOOD)
    import_people(admin_session, path)
    with admin_session.read() as s:
        outbox_before = s.execute(text("SELECT count(*) FROM outbox")).scalar()
    again = import_people(admin_session, path)
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 5, 0)
    with admin_session.read() as s:
        assert s.execute(text("SELECT count(*) FROM outbox")).scalar() == outbox_before

    changed = [r[:] for r in GOOD]
    changed[1][6] = "0900000002"  # a new phone number
    changed[2][5] = "Thôn 3"
    result = import_people(admin_session, xlsx(tmp_path / "ds2.xlsx", changed))
    assert (result.created, result.updated, result.unchanged) == (0, 1, 4)
    with admin_session.read() as s:
        ev = s.execute(
            text("SELECT details FROM audit_event WHERE action = 'person.update' ORDER BY seq DESC")
        ).scalar()
        version = s.execute(text("SELECT version FROM person WHERE personal_id = '031303999902'")).scalar()
    details = json.loads(ev)
    assert details["old"] == {"phone": "0987654321"} and details["new"] == {"phone": "0900000002"}
    assert version == 2


def test_match_without_id_on_name_birth_and_hamlet(admin_session, tmp_path):
    import_people(admin_session, xlsx(tmp_path / "a.xlsx", [GOOD[2]]))
    with_id = [[3, "Phạm Thị Hoa", 1955, "Nữ", "031155999909", "Thôn 3", None, "a"]]
    result = import_people(admin_session, xlsx(tmp_path / "b.xlsx", with_id))
    assert (result.created, result.updated) == (0, 1)  # the ID is added to the person already listed
    assert persons.search(admin_session, "031155999909")[0]["name"] == "Phạm Thị Hoa"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1258"])
def test_csv_encodings_and_delimiters(admin_session, tmp_path, encoding):
    delimiter = ";" if encoding == "utf-8" else ","
    lines = [
        delimiter.join(["Họ và tên", "Ngày sinh", "Giới tính", "Số định danh cá nhân", "Thôn"]),
        delimiter.join(["Nguyễn Thị Ánh", "07/08/1991", "Nữ", "031191999910", "Tổ dân phố 4"]),
        delimiter.join(["Đặng Văn Lưu", "1948", "Nam", "", "Tổ dân phố 5"]),
    ]
    path = tmp_path / f"ds-{encoding}.csv"
    content = "\r\n".join(lines) + "\r\n"
    path.write_bytes(cp1258(content) if encoding == "cp1258" else content.encode(encoding))
    result = import_people(admin_session, path)
    assert (result.created, result.rejected) == (2, 0), result
    anh = persons.search(admin_session, "nguyen thi anh")[0]
    assert anh["name"] == "Nguyễn Thị Ánh" and anh["dob"] == "1991-08-07" and anh["hamlet"] == "Tổ dân phố 4"
    assert persons.search(admin_session, "dang van luu")[0]["birth_year"] == 1948


def test_two_row_header_under_merged_cells(admin_session, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["TT", "Họ và tên", "Năm sinh", None, "Thôn"])
    ws.append([None, None, "Nam", "Nữ", None])
    ws.merge_cells("C1:D1")
    ws.append([1, "Bùi Văn Cả", 1950, None, "Thôn 1"])
    ws.append([2, "Bùi Thị Hai", None, 1952, "Thôn 1"])
    wb.save(tmp_path / "merged.xlsx")
    result = import_people(admin_session, tmp_path / "merged.xlsx")
    assert (result.created, result.rejected) == (2, 0)
    ca = persons.search(admin_session, "bui van ca")[0]
    hai = persons.search(admin_session, "bui thi hai")[0]
    assert (ca["sex"], ca["birth_year"], hai["sex"], hai["birth_year"]) == ("M", 1950, "F", 1952)


def test_whole_file_problems_get_a_clear_reason_and_write_nothing(admin_session, tmp_path):
    import msoffcrypto.format.ooxml as ooxml  # a real third-party encryptor makes a real protected workbook

    plain = xlsx(tmp_path / "plain.xlsx", GOOD)
    protected = tmp_path / "protected.xlsx"
    with open(plain, "rb") as fin, open(protected, "wb") as fout:
        ooxml.OOXMLFile(fin).encrypt("mat-khau", fout)
    empty = openpyxl.Workbook()
    empty.save(tmp_path / "empty.xlsx")
    (tmp_path / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 2000)
    (tmp_path / "noheader.csv").write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    (tmp_path / "zero.csv").write_bytes(b"")
    cases = {
        "protected.xlsx": "mật khẩu",
        "empty.xlsx": "trống",
        "photo.png": "không phải",
        "old.xls": ".xls",
        "noheader.csv": "tiêu đề",
        "zero.csv": "trống",
        "missing.xlsx": "Không tìm thấy",
    }
    for name, expected in cases.items():
        with pytest.raises(ImportFileError) as err:
            import_people(admin_session, tmp_path / name)
        assert expected in err.value.message, (name, err.value.message)
    assert count(admin_session) == 0


def test_cancel_or_failure_half_way_leaves_nothing(admin_session, tmp_path):
    from ksk_desktop.demo.synthetic import generate_people

    people = generate_people(3000, seed=5, commune_code="11680", reference_date=date(2026, 1, 1))
    rows = [
        [
            i,
            p["full_name"],
            p["birth_year"],
            "Nam" if p["sex"] == "M" else "Nữ",
            f"0310809{i:05d}",
            p["hamlet"],
            None,
            "c",
        ]
        for i, p in enumerate(people)
    ]
    path = xlsx(tmp_path / "big.xlsx", rows)
    calls = {"n": 0}

    def cancel_late() -> bool:
        calls["n"] += 1
        return calls["n"] > 3002  # after every row is parsed, in the middle of writing

    with pytest.raises(ImportCancelled):
        import_people(admin_session, path, cancel=cancel_late)
    assert count(admin_session) == 0
    persons.create_person(
        admin_session, persons.PersonInput("Người Có Sẵn", personal_id="031080900010", birth_year=1970)
    )
    assert import_people(admin_session, path).created == 2999  # and row 10 updates the person already there
    assert count(admin_session) == 3000


def test_mapping_override_and_cli_contract(station, tmp_path):
    paths, _ = station
    path = xlsx(
        tmp_path / "ds.xlsx",
        [[1, "Hoàng Văn Tự", "01/02/1977", "Nam", "031077999911", "Thôn 9", "", "a"]],
        header=["STT", "Tên người", "NS", "Phái", "Mã số", "Xóm", "ĐT", "Loại"],
        title_rows=False,
    )
    mapping = json.dumps(
        {"Tên người": "full_name", "Mã số": "personal_id", "Loại": "target_group", "NS": "birth_date"}
    )
    out = run_ksk(
        "--user",
        ADMIN,
        "person",
        "import",
        str(path),
        "--mapping",
        mapping,
        "--json",
        data_dir=paths.root,
        password=ADMIN_PASSWORD,
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert {k: result[k] for k in ("created", "updated", "unchanged", "rejected", "report")} == {
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
        "report": None,
    }
    found = run_ksk(
        "--user",
        ADMIN,
        "person",
        "search",
        "031077999911",
        "--json",
        data_dir=paths.root,
        password=ADMIN_PASSWORD,
    )
    row = json.loads(found.stdout)[0]
    assert row["name"] == "Hoàng Văn Tự" and row["hamlet"] == "Thôn 9" and row["groups"] == ["a"]
    bad = run_ksk(
        "--user",
        ADMIN,
        "person",
        "import",
        str(tmp_path / "nope.xlsx"),
        data_dir=paths.root,
        password=ADMIN_PASSWORD,
    )
    assert bad.returncode != 0 and len(bad.stderr.strip().splitlines()) == 1


def test_preview_shows_the_file_even_before_the_name_column_is_mapped(tmp_path):
    from ksk_desktop.importer import preview

    path = xlsx(
        tmp_path / "x.xlsx",
        [[1, "Hoàng Văn Tự", "01/02/1977", "Nam", "031077999911", "Thôn 9", "", "a"]],
        header=["STT", "Tên người", "Ngày sinh", "Phái", "Mã số", "Thôn", "ĐT", "Loại"],
        title_rows=False,
    )
    first = preview(path, today=FROZEN_DAY)
    assert first["problem"] and "Họ và tên" in first["problem"]
    assert first["rows"][0]["cells"][1] == "Hoàng Văn Tự" and "ok" not in first["rows"][0]
    assert first["mapping"]["Ngày sinh"] == "birth_date"
    mapped = preview(path, {"Tên người": "full_name"}, today=FROZEN_DAY)
    assert (
        mapped["problem"] is None
        and mapped["rows"][0]["ok"]
        and mapped["rows"][0]["person"]["full_name"] == "Hoàng Văn Tự"
    )
