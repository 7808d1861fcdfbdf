"""``ksk print`` as a contract, through real child processes: the JSON shape, the PDFs, and one-line Vietnamese
errors with non-zero exits (no exam day, unknown hamlet, not checked in, unwritable output) that leave no file."""

from __future__ import annotations

import subprocess

import pytest
from sqlalchemy import text
from test_printing_schedule import TODAY, all_rows, build_day, decode, pdf_pages, pdftotext
from test_schedule_cli import fails, ok

from conftest import ADMIN, ADMIN_PASSWORD, frozen_clock, run_ksk
from ksk_desktop.scheduling import checkin


def ksk(data, *args: str) -> subprocess.CompletedProcess:
    return run_ksk("--user", ADMIN, *args, data_dir=data, password=ADMIN_PASSWORD)


@pytest.fixture
def session_clock():
    """The day is built by a session frozen on TODAY; the commands are given that date explicitly."""
    return frozen_clock(TODAY)


@pytest.fixture
def world(station, admin_session):
    paths, _ = station
    return paths.root, admin_session, build_day(admin_session, people=30)


def test_print_schedule_calllist_ticket(world, tmp_path):
    data, ctx, day = world
    rows = all_rows(day["schedule"])
    out = tmp_path / "pdf"
    out.mkdir()
    printed = ok(
        ksk(data, "print", "schedule", "--date", f"{TODAY:%d/%m/%Y}", "-o", str(out / "lich.pdf"), "--json")
    )
    assert printed == {"path": str(out / "lich.pdf"), "pages": pdf_pages(out / "lich.pdf"), "rows": len(rows)}
    site = ok(
        ksk(
            data,
            "print",
            "schedule",
            "--date",
            TODAY.isoformat(),
            "--site",
            day["site"],
            "-o",
            str(out / "lich-tram.pdf"),
            "--json",
        )
    )
    assert site["rows"] == len(rows)

    calls = ok(
        ksk(
            data,
            "print",
            "calllist",
            "--date",
            f"{TODAY:%d/%m/%Y}",
            "--hamlet",
            "THÔN ĐÔNG",
            "-o",
            str(out / "goi.pdf"),
            "--json",
        )
    )
    assert calls["rows"] == 3 and calls["pages"] == 1 and "Đặng Văn Ánh" in pdftotext(out / "goi.pdf")
    human = ksk(
        data,
        "print",
        "calllist",
        "--date",
        f"{TODAY:%d/%m/%Y}",
        "--hamlet",
        "thon dong",
        "-o",
        str(out / "goi2.pdf"),
    )
    assert human.returncode == 0 and "1 trang, 3 người" in human.stdout

    first = rows[0]["appointment_id"]
    checkin.checkin_by_appointment(ctx, first, today=TODAY)
    ticket = ok(
        ksk(data, "print", "ticket", "--appointment", first.upper(), "-o", str(out / "ve.pdf"), "--json")
    )
    assert ticket == {"path": str(out / "ve.pdf"), "pages": 1, "rows": 1}
    assert decode(out / "ve.pdf", tmp_path) == [[first]]

    with ctx.read() as s:
        actions = [
            a
            for (a,) in s.execute(
                text("SELECT action FROM audit_event WHERE action LIKE 'print.%' ORDER BY seq")
            )
        ]
    assert actions == ["print.schedule", "print.schedule", "print.calllist", "print.calllist", "print.ticket"]


def test_print_errors(world, tmp_path):
    data, _, day = world
    out = tmp_path / "pdf"
    out.mkdir()
    fails(
        ksk(data, "print", "schedule", "--date", "01/01/2020", "-o", str(out / "a.pdf")),
        8,
        "Ngày 01/01/2020 không có ngày khám nào",
    )
    unknown = ksk(
        data,
        "print",
        "calllist",
        "--date",
        f"{TODAY:%d/%m/%Y}",
        "--hamlet",
        "Xóm Núi",
        "-o",
        str(out / "b.pdf"),
    )
    fails(unknown, 8, "không có ai ở “Xóm Núi”")
    line = unknown.stderr
    hamlets = {r["hamlet"] for r in all_rows(day["schedule"])}
    assert all(h in line for h in hamlets)
    fails(
        ksk(data, "print", "schedule", "--date", f"{TODAY:%d/%m/%Y}", "-o", str(out / "none" / "c.pdf")),
        5,
        "không tồn tại",
    )
    fails(ksk(data, "print", "schedule", "--date", f"{TODAY:%d/%m/%Y}", "-o", str(out)), 5, "là một thư mục")
    fails(
        ksk(
            data,
            "print",
            "ticket",
            "--appointment",
            all_rows(day["schedule"])[0]["appointment_id"],
            "-o",
            str(out / "d.pdf"),
        ),
        14,
        "chưa tiếp đón",
    )
    fails(
        ksk(data, "print", "ticket", "--appointment", "khong-phai-ma", "-o", str(out / "e.pdf")),
        2,
        "Mã lịch hẹn không hợp lệ",
    )
    fails(ksk(data, "print", "schedule", "--date", "31/02/2026", "-o", str(out / "f.pdf")), 2, "không hợp lệ")
    assert list(out.iterdir()) == []


def test_print_coverage_report(world, tmp_path):
    data, _ctx, _day = world
    out = tmp_path / "bao-cao.pdf"
    printed = ok(ksk(data, "print", "coverage", "--year", str(TODAY.year), "-o", str(out), "--json"))
    assert printed["path"] == str(out) and printed["pages"] == pdf_pages(out) and printed["rows"] == 33
    text = pdftotext(out)
    assert f"NĂM {TODAY.year}" in text and "Theo thôn / tổ dân phố" in text and "Thôn Đông" in text
    bad = ksk(data, "print", "coverage", "--year", "1990", "-o", str(tmp_path / "x.pdf"))
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and not (tmp_path / "x.pdf").exists()
