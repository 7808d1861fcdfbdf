"""``ksk report`` as a contract, through real child processes: the monthly JSON shape, the .xlsx and the PDF as a
Sở Y tế files them (read back with openpyxl and pdftotext), the annual report, the head's prices, one-line
Vietnamese errors. The child runs on the real clock, so the expectations come from the same data on that date."""

from __future__ import annotations

import json
import subprocess
from datetime import date, timedelta

import openpyxl
import pytest
from reports_support import HEAD, PASSWORD, add_staff, person

from conftest import ADMIN, ADMIN_PASSWORD, run_ksk
from ksk_desktop.clock import SYSTEM_CLOCK
from ksk_desktop.exams import demo
from ksk_desktop.station.lifecycle import init_station, login
from ksk_desktop.station.paths import StationPaths


def ksk(data, *args: str, user: str = HEAD, password: str = PASSWORD) -> subprocess.CompletedProcess:
    return run_ksk("--user", user, *args, data_dir=data, password=password)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    paths = StationPaths(tmp_path_factory.mktemp("cli") / "station")
    init_station(
        paths,
        station_code="TYT-CLI",
        commune_code="10507",
        admin_username=ADMIN,
        admin_password=ADMIN_PASSWORD,
        station_name="Trạm Y tế Phường Thành Đông",
    )
    admin = login(paths, ADMIN, ADMIN_PASSWORD)
    add_staff(admin)
    ids = [
        person(admin, f"Nguyễn Văn Số {i}", date(1950 + i * 3, 1, 15), "c" if i % 4 == 0 else None)
        for i in range(20)
    ]
    admin.close()
    doctor = login(paths, "bacsi", PASSWORD)
    demo.sign_synthetic_exams(doctor, PASSWORD, ids[:9], SYSTEM_CLOCK.today())
    doctor.close()
    return paths


def _month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def test_monthly_json_contract(world) -> None:
    month = _month(SYSTEM_CLOCK.today())
    out = ksk(world.root, "report", "monthly", "--month", month, "--json")
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    for key in ("month", "station_code", "commune_code", "groups", "total"):
        assert key in got
    assert got["month"] == month and got["station_code"] == "TYT-CLI" and got["commune_code"] == "10507"
    assert [g["group"] for g in got["groups"]] == ["a", "b", "c", "d", "đ"]
    for row in [*got["groups"], got["total"]]:
        for key in ("managed", "examined_month", "examined_ytd", "rate", "next_year_need"):
            assert key in row
    assert got["total"]["managed"] == 20 and got["total"]["examined_month"] == 9
    head = login(world, HEAD, PASSWORD)
    from ksk_desktop.reports import monthly

    same = monthly.build(head, month)
    head.close()
    assert {k: v for k, v in same.items() if k != "generated_at"} == {
        k: v for k, v in got.items() if k != "generated_at"
    }


def test_monthly_xlsx_and_pdf(world, tmp_path) -> None:
    month = _month(SYSTEM_CLOCK.today())
    xlsx = tmp_path / "bao-cao.xlsx"
    out = ksk(world.root, "report", "monthly", "--month", month, "-o", str(xlsx), "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["format"] == "xlsx"
    ws = openpyxl.load_workbook(xlsx).active
    cells = [[c for c in row] for row in ws.iter_rows(values_only=True)]
    flat = [str(c) for row in cells for c in row if c is not None]
    m = SYSTEM_CLOCK.today()
    assert f"BÁO CÁO SỐ LIỆU KHÁM SỨC KHỎE ĐỊNH KỲ THÁNG {m.month:02d} NĂM {m.year}" in flat
    assert "NGƯỜI LẬP BIỂU" in flat and "TRƯỞNG TRẠM" in flat
    assert any(s.startswith("Hải Phòng, ngày ") for s in flat)
    assert any("TRẠM Y TẾ PHƯỜNG THÀNH ĐÔNG" in s for s in flat)
    assert any(s.startswith("Đơn vị báo cáo:") for s in flat) and any(
        s.startswith("Kỳ báo cáo:") for s in flat
    )
    total = next(row for row in cells if row[1] == "Tổng cộng")
    assert total[2] == 20 and total[3] == 9  # managed, examined in the month
    assert any("Nhu cầu khám năm" in s for s in flat)

    pdf = tmp_path / "bao-cao.pdf"
    out = ksk(world.root, "report", "monthly", "--month", month, "-o", str(pdf))
    assert out.returncode == 0, out.stderr
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    for words in (
        "NGƯỜI LẬP BIỂU",
        "TRƯỞNG TRẠM",
        "Hải Phòng, ngày",
        "Ghi chú",
        "Nhóm a)",
        "Tổng cộng",
        "Kỳ báo cáo",
    ):
        assert words in text, words
    assert "Nhu cầu khám năm" in text and "nguồn kinh phí" in text


def test_annual_prices_and_errors(world, tmp_path) -> None:
    year = SYSTEM_CLOCK.today().year
    out = ksk(
        world.root, "report", "price", "--year", str(year), "--group", "c", "--unit-price", "300000", "--json"
    )
    assert out.returncode == 0, out.stderr
    out = ksk(world.root, "report", "annual", "--year", str(year), "--json")
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    c = next(g for g in got["groups"] if g["group"] == "c")
    assert c["unit_price"] == 300000 and c["cost"] == 300000 * c["next_year_need"]
    assert got["total"]["cost"] is None and "a" in got["prices_missing"]
    pdf = tmp_path / "nam.pdf"
    assert ksk(world.root, "report", "annual", "--year", str(year), "-o", str(pdf)).returncode == 0
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Dự toán kinh phí" in text and "TRƯỞNG TRẠM" in text

    bad = ksk(world.root, "report", "monthly", "--month", "2026-13")
    assert bad.returncode != 0 and len(bad.stderr.strip().splitlines()) == 1 and "không hợp lệ" in bad.stderr
    bad = ksk(world.root, "report", "monthly", "--month", "2026-11", "-o", str(tmp_path / "x.docx"))
    assert bad.returncode != 0 and ".xlsx hoặc .pdf" in bad.stderr
    bad = ksk(
        world.root,
        "report",
        "price",
        "--year",
        str(year),
        "--group",
        "a",
        "--unit-price",
        "1",
        user=ADMIN,
        password=ADMIN_PASSWORD,
    )
    assert bad.returncode != 0 and "không có quyền" in bad.stderr


def test_submit_from_the_command_line(world) -> None:
    today = SYSTEM_CLOCK.today()
    last = today.replace(day=1) - timedelta(days=1)  # last month is over on any day
    month = _month(last)
    out = ksk(world.root, "report", "submit", "--month", month, "--json")
    assert out.returncode == 0, out.stderr
    done = json.loads(out.stdout)
    assert done["version"] == 1 and done["signed_by"] == HEAD and len(done["digest"]) == 64
    again = ksk(world.root, "report", "submit", "--month", month)
    assert again.returncode != 0 and "lý do" in again.stderr and len(again.stderr.strip().splitlines()) == 1
    yearly = ksk(world.root, "report", "submit", "--year", str(today.year), "--json")
    assert yearly.returncode == 0, yearly.stderr
    listed = json.loads(ksk(world.root, "report", "submissions", "--json").stdout)
    assert {(r["kind"], r["period"], r["version"]) for r in listed} == {
        ("monthly", month, 1),
        ("annual", str(today.year), 1),
    }
    both = ksk(world.root, "report", "submit", "--month", month, "--year", str(today.year))
    assert both.returncode != 0 and "Chọn một kỳ" in both.stderr
    doctor = ksk(world.root, "report", "submit", "--month", month, user="bacsi")
    assert doctor.returncode != 0 and "không có quyền" in doctor.stderr
