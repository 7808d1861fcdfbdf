"""The day schedule, the hamlet call lists and the queue ticket as real PDFs from a real station: read back with
pdftotext (Vietnamese intact, NFC), rendered with pdftoppm at 300 dpi and their Code128s decoded by zxing-cpp,
which the desk's check-in then accepts."""

from __future__ import annotations

import json
import subprocess
import unicodedata
from datetime import date
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import text

from conftest import COMMUNE, FROZEN_DAY, frozen_clock
from ksk_desktop.demo.synthetic import generate_people
from ksk_desktop.errors import NotFound, StorageError
from ksk_desktop.people import persons
from ksk_desktop.printing import call_list_pdf, day_schedule_pdf, queue_ticket_pdf
from ksk_desktop.printing.codes import MODULE
from ksk_desktop.printing.jobs import (
    call_list_document,
    day_schedule_document,
    print_call_list,
    print_day_schedule,
    print_ticket,
    ticket_document,
)
from ksk_desktop.scheduling import campaigns, checkin, day_schedule, days, planner, sites
from ksk_desktop.scheduling.day_schedule import AppointmentRow, DaySchedule, ScheduledDay, ScheduledSlot
from ksk_desktop.scheduling.errors import InvalidStatus
from ksk_desktop.station.lifecycle import station_info

TODAY = FROZEN_DAY  # the sessions' clock is frozen on it


@pytest.fixture
def session_clock():
    return frozen_clock(TODAY)


NAMED = [  # NFD on purpose: what a pasted macOS or web text looks like
    ("Nguyễn Thị Hường", "F", "1980-04-12", "c"),
    ("Đặng Văn Ánh", "M", "1950-01-30", "a"),
    ("Đặng Thị Ân", "F", "1955-06-02", "a"),
]


def nfd(value: str) -> str:
    return unicodedata.normalize("NFD", value)


def pdftotext(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def pdf_pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def decode(
    path: Path, tmp: Path, kind: zxingcpp.BarcodeFormat = zxingcpp.BarcodeFormat.Code128
) -> list[list[str]]:
    """The codes of *kind* zxing-cpp reads on each page rendered at 300 dpi, page by page."""
    prefix = tmp / f"{path.stem}-page"
    subprocess.run(["pdftoppm", "-r", "300", "-gray", "-png", str(path), str(prefix)], check=True)
    pages = sorted(tmp.glob(f"{prefix.name}-*.png"))
    out = []
    for page in pages:
        with Image.open(page) as im:
            out.append([r.text for r in zxingcpp.read_barcodes(im, formats=kind)])
    return out


def build_day(ctx, people: int = 60) -> dict:
    """*people* synthetic people plus the three named ones (hamlet "Thôn Đông"), all booked on one day today."""
    rows = generate_people(people, seed=11, commune_code=COMMUNE, reference_date=TODAY)
    persons.create_many(ctx, [persons.PersonInput.from_dict(p) for p in rows])
    for name, sex, dob, group in NAMED:
        persons.create_person(
            ctx,
            persons.PersonInput.from_dict(
                {
                    "full_name": nfd(name),
                    "sex": sex,
                    "birth_date": date.fromisoformat(dob),
                    "hamlet": nfd("Thôn Đông"),
                    "target_group": group,
                    "phone": "0912345678",
                    "commune_code": COMMUNE,
                }
            ),
        )
    camp = campaigns.create_campaign(ctx, name="Khám định kỳ", year=TODAY.year, groups="a,c,d,đ")
    site = sites.add_site(ctx, name="Trạm Y tế xã", capacity_per_hour=40)
    day = days.add_day(ctx, site_id=site.id, day=TODAY, hours="07:30-11:30")
    planner.plan(ctx, camp.id, TODAY, TODAY, today=TODAY)
    return {
        "site": site.id,
        "day": day.id,
        "schedule": day_schedule.day_schedule(ctx, TODAY, record=False),
    }


def all_rows(schedule: DaySchedule) -> list[AppointmentRow]:
    return [a for d in schedule.days for s in d.slots for a in s.appointments]


@pytest.fixture
def booked(admin_session):
    return admin_session, build_day(admin_session)


def test_day_schedule_reads_back_and_every_barcode_checks_in(booked, tmp_path):
    ctx, world = booked
    rows = all_rows(world["schedule"])
    assert len(rows) >= 40 and {unicodedata.normalize("NFC", n) for n, *_ in NAMED} <= {
        r["name"] for r in rows
    }
    out = tmp_path / "lich.pdf"
    printed = print_day_schedule(ctx, TODAY, out)
    assert printed.rows == len(rows) and printed.pages == pdf_pages(out) >= 2
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary file left
    txt = pdftotext(out)
    for name, *_ in NAMED:
        assert name in txt  # the NFC text, diacritics intact
    assert nfd("Hường") not in txt
    assert (
        "LỊCH KHÁM SỨC KHỎE" in txt
        and f"Ngày {TODAY:%d/%m/%Y}" in txt
        and "Độc lập - Tự do - Hạnh phúc" in txt
    )
    assert "30/01/1950" in txt and "Nữ" in txt and "Nam" in txt and "Thôn Đông" in txt
    assert f"Trang {printed.pages}/{printed.pages}" in txt
    assert txt.count("Mã lịch hẹn") == printed.pages  # the table header repeats on every page
    assert "Ca 07:30 – 08:00" in txt

    pages = decode(out, tmp_path)
    decoded = [code for page in pages for code in page]
    assert sorted(decoded) == sorted(r["appointment_id"] for r in rows)  # every row scannable, none misread
    for code in decoded[:3]:
        assert code in txt  # the id printed under the bars is the one encoded
    result = checkin.checkin_scan(ctx, decoded[0], today=TODAY)
    assert result.status == "checked_in" and result.appointment["id"] == decoded[0]

    with ctx.read() as s:
        (details,) = s.execute(
            text("SELECT details FROM audit_event WHERE action = 'print.schedule'")
        ).scalars()
    assert json.loads(details)["rows"] == len(rows) and "Hường" not in details  # counts, no names


def test_module_width_is_scannable():
    assert MODULE >= 0.19 * 72 / 25.4  # points


def test_nfd_input_prints_as_nfc(tmp_path):
    schedule = DaySchedule(
        date=TODAY.isoformat(),
        appointments=1,
        days=[
            ScheduledDay(
                day_id="d",
                site_id="s",
                site_name=nfd("Điểm khám Trường Tiểu học"),
                site_kind="school",
                mobile=True,
                opening_hours="07:30-08:00",
                slot_minutes=30,
                capacity_per_slot=5,
                team_note=nfd("BS. Lưu Đức Hải"),
                locked=False,
                capacity=5,
                booked=1,
                free=4,
                slots=[
                    ScheduledSlot(
                        slot_id="x",
                        start="07:30",
                        end="08:00",
                        capacity=5,
                        booked=1,
                        appointments=[
                            {  # only what the schedule prints
                                "appointment_id": "9b2f6c1e-0a4d-4e5f-8a7b-1c2d3e4f5a6b",
                                "queue_no": None,
                                "name": nfd("Đặng Thị Hường"),
                                "dob": "2001-02-03",
                                "birth_year": 2001,
                                "sex": "F",
                                "hamlet": nfd("Xóm Giữa"),
                                "group": "đ",
                                "phone": "0901234567",
                                "status": "scheduled",
                                "status_label": "Đã xếp lịch",
                                "start": "07:30",
                                "end": "08:00",
                            }
                        ],
                    )
                ],
            )
        ],
    )
    out = tmp_path / "nfd.pdf"
    assert (
        day_schedule_pdf(out, schedule, {"name": nfd("Trạm Y tế phường Thành Đông"), "commune_code": COMMUNE})
        == 1
    )
    txt = pdftotext(out)
    for word in (
        "Đặng Thị Hường",
        "Xóm Giữa",
        "Điểm khám Trường Tiểu học",
        "BS. Lưu Đức Hải",
        "03/02/2001",
        "TRẠM Y TẾ PHƯỜNG THÀNH ĐÔNG",
        "UBND PHƯỜNG THÀNH ĐÔNG",
        "đ. Người dân khác",
    ):
        assert word in txt, word
    assert unicodedata.is_normalized("NFC", txt)


def test_call_list_is_one_hamlet_in_time_then_name_order(booked, tmp_path):
    ctx, world = booked
    out = tmp_path / "thon-dong.pdf"
    printed = print_call_list(ctx, TODAY, "thon dong", out)  # no accents, any case
    ours = [r for r in all_rows(world["schedule"]) if r["hamlet"] == "Thôn Đông"]
    assert printed.rows == len(ours) == 3 and printed.pages == 1
    txt = pdftotext(out)
    assert "DANH SÁCH MỜI KHÁM SỨC KHỎE" in txt and "Thôn Đông" in txt and "0912345678" in txt
    lines = [line for line in txt.splitlines() if "Đặng" in line or "Hường" in line]
    expected = sorted(ours, key=lambda r: (r["start"], persons.sort_key(r["name"])))
    assert [next(r["name"] for r in expected if r["name"] in line) for line in lines] == [
        r["name"] for r in expected
    ]
    others = {r["name"] for r in all_rows(world["schedule"])} - {r["name"] for r in ours}
    assert not any(name in txt for name in others)

    with pytest.raises(NotFound) as err:
        call_list_pdf(tmp_path / "x.pdf", world["schedule"], "Thôn Không Có", station_info(ctx))
    assert "Thôn Đông" in err.value.message and not (tmp_path / "x.pdf").exists()


def test_ticket_from_checkin_and_reprint(booked, tmp_path):
    ctx, world = booked
    first = all_rows(world["schedule"])[0]
    result = checkin.checkin_by_appointment(ctx, first["appointment_id"], today=TODAY)
    out = tmp_path / "ve.pdf"
    assert queue_ticket_pdf(out, result.to_json(), station_info(ctx)) == 1
    txt = pdftotext(out)
    assert (
        first["name"] in txt and f"Ca khám {first['start']} – {first['end']}" in txt and "Trạm Y tế xã" in txt
    )
    assert str(result.queue_no) in txt and f"Ngày {TODAY:%d/%m/%Y}" in txt
    assert decode(out, tmp_path) == [[first["appointment_id"]]]

    again = tmp_path / "ve-in-lai.pdf"
    assert print_ticket(ctx, first["appointment_id"], again).pages == 1
    assert decode(again, tmp_path) == [[first["appointment_id"]]]
    with pytest.raises(InvalidStatus, match="chưa tiếp đón"):
        print_ticket(ctx, all_rows(world["schedule"])[1]["appointment_id"], tmp_path / "no.pdf")


def test_errors_leave_no_file(booked, tmp_path):
    ctx, _ = booked
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    with pytest.raises(NotFound, match="không có ngày khám nào"):
        print_day_schedule(ctx, TODAY.replace(year=TODAY.year - 1), tmp_path / "a.pdf")
    with pytest.raises(StorageError, match="không tồn tại"):
        print_day_schedule(ctx, TODAY, tmp_path / "missing" / "a.pdf")
    (tmp_path / "file").write_text("x")
    with pytest.raises(StorageError):
        print_day_schedule(ctx, TODAY, tmp_path / "file" / "a.pdf")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_documents_made_in_memory_are_the_files_the_command_line_writes(booked, tmp_path):
    """The app's print preview and ticket printer get the same PDFs, never written to disk, audited the same."""
    ctx, world = booked
    first = all_rows(world["schedule"])[0]
    checkin.checkin_by_appointment(ctx, first["appointment_id"], today=TODAY)

    def audits(action: str) -> int:
        with ctx.read() as s:
            return s.execute(
                text("SELECT count(*) FROM audit_event WHERE action = :a"), {"a": action}
            ).scalar_one()

    before = sorted(p.name for p in ctx.paths.root.rglob("*"))
    ticket = ticket_document(ctx, first["appointment_id"])
    schedule = day_schedule_document(ctx, TODAY)
    calls = call_list_document(ctx, TODAY, "Thôn Đông")
    assert sorted(p.name for p in ctx.paths.root.rglob("*") if not p.name.startswith("station.db")) == sorted(
        n for n in before if not n.startswith("station.db")
    )  # nothing new in the data folder
    assert ticket.data.startswith(b"%PDF") and ticket.pages == 1 and ticket.rows == 1
    assert ticket.job_name == "Phiếu số thứ tự 1"  # no name in the printer's queue
    for doc, name in ((ticket, "ve.pdf"), (schedule, "lich.pdf"), (calls, "goi.pdf")):
        (tmp_path / name).write_bytes(doc.data)
        assert pdf_pages(tmp_path / name) == doc.pages
        assert not any(n in doc.job_name for n, *_ in NAMED)
    assert first["name"] in pdftotext(tmp_path / "ve.pdf") and "SỐ THỨ TỰ KHÁM" in pdftotext(
        tmp_path / "ve.pdf"
    )
    assert decode(tmp_path / "ve.pdf", tmp_path) == [[first["appointment_id"]]]
    printed = print_day_schedule(ctx, TODAY, tmp_path / "cli.pdf")
    assert (printed.pages, printed.rows) == (schedule.pages, schedule.rows)
    assert first["name"] in pdftotext(tmp_path / "cli.pdf") and first["name"] in pdftotext(
        tmp_path / "lich.pdf"
    )
    assert "Thôn Đông" in pdftotext(tmp_path / "goi.pdf")
    assert (audits("print.ticket"), audits("print.schedule"), audits("print.calllist")) == (1, 2, 1)
