"""The desk's additions to the core, through the real ``ksk`` command line: check-in by person id (someone
found by name, without their card) and by a typed ID number, one person marked absent, and the exam rooms' steps
on the board (call in, back to the queue, examined); their JSON and their refusals."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text
from test_schedule_cli import fails, ksk, ok

from conftest import COMMUNE, run_ksk
from ksk_desktop.clock import SYSTEM_CLOCK
from ksk_desktop.demo.synthetic import generate_people
from ksk_desktop.people import persons
from ksk_desktop.scheduling import campaigns, days, planner, sites
from ksk_desktop.station import users

TODAY = SYSTEM_CLOCK.today()  # the real date in Vietnam: the ``ksk`` child processes run on the real clock


def test_checkin_by_person_and_one_no_show_from_the_command_line(station, admin_session):
    paths, _ = station
    ctx = admin_session
    rows = generate_people(60, seed=5, commune_code=COMMUNE, reference_date=TODAY)
    persons.create_many(ctx, [persons.PersonInput.from_dict(p) for p in rows])
    camp = campaigns.create_campaign(ctx, name="KSK", year=TODAY.year, groups="a,b,c,d,đ")
    site = sites.add_site(ctx, name="Trạm", capacity_per_hour=20)
    today = days.add_day(ctx, site_id=site.id, day=TODAY, hours="00:00-23:30")
    later = days.add_day(ctx, site_id=site.id, day=TODAY + timedelta(days=2), hours="07:30-09:30")
    planner.plan(ctx, camp.id, TODAY, TODAY, population=planner.Population(groups={"a"}))
    planner.plan(
        ctx,
        camp.id,
        TODAY + timedelta(days=2),
        TODAY + timedelta(days=2),
        population=planner.Population(groups={"c"}),
    )
    with ctx.read() as s:
        booked = s.execute(
            text("SELECT id, person_id FROM appointment WHERE day_id = :d ORDER BY id"), {"d": today.id}
        ).all()
        future = s.execute(
            text("SELECT id FROM appointment WHERE day_id = :d LIMIT 1"), {"d": later.id}
        ).scalar()
        stranger = s.execute(
            text("SELECT id FROM person WHERE id NOT IN (SELECT person_id FROM appointment) LIMIT 1")
        ).scalar()
    data_dir = paths.root

    first = ok(ksk("--json", "checkin", "--person", booked[0].person_id, data_dir=data_dir))
    assert (first["status"], first["queue_no"], first["matched_by"]) == ("checked_in", 1, "search")
    assert first["appointment"]["id"] == booked[0].id and first["person"]["id"] == booked[0].person_id
    assert set(first) == {"status", "queue_no", "message", "matched_by", "appointment", "person"}
    again = ok(ksk("--json", "checkin", "--person", booked[0].person_id, data_dir=data_dir))
    assert (again["status"], again["queue_no"]) == ("already_checked_in", 1)
    fails(
        ksk("checkin", "--person", stranger, data_dir=data_dir), 13, "không có trong danh sách khám hôm nay"
    )

    # An ID number typed when the card's QR cannot be read: the same core check-in as the desk's entry field.
    with ctx.read() as s:
        personal_id = s.execute(
            text("SELECT personal_id FROM person WHERE id = :p"), {"p": booked[3].person_id}
        ).scalar()
    by_number = ok(ksk("--json", "checkin", "--id-number", personal_id, data_dir=data_dir))
    assert (by_number["status"], by_number["queue_no"], by_number["matched_by"]) == (
        "checked_in",
        2,
        "personal_id",
    )
    assert by_number["appointment"]["id"] == booked[3].id and set(by_number) == set(first)
    human = ksk("checkin", "--id-number", personal_id, data_dir=data_dir)
    assert human.returncode == 0 and human.stdout.startswith("Đã tiếp đón từ trước: ")
    assert "số thứ tự 2" in human.stdout
    fails(
        ksk("checkin", "--id-number", "031099000000", data_dir=data_dir),
        8,
        "Không có ai mang số …0000 ",  # the last 4 digits only (ksk_desktop.redact)
    )
    fails(ksk("checkin", "--id-number", "12345", data_dir=data_dir), 2, "12 chữ số")

    absent = ok(ksk("--json", "schedule", "noshow", "--appointment", booked[1].id, data_dir=data_dir))
    assert (absent["id"], absent["status"], absent["status_label"]) == (booked[1].id, "no_show", "Vắng mặt")
    fails(
        ksk("schedule", "noshow", "--appointment", booked[1].id, data_dir=data_dir),
        14,
        "không thể ghi nhận vắng mặt",
    )
    fails(ksk("schedule", "noshow", "--appointment", booked[0].id, data_dir=data_dir), 14, "Đang chờ khám")
    fails(ksk("schedule", "noshow", "--appointment", future, data_dir=data_dir), 14, "chưa đến ngày")
    human = ksk("schedule", "noshow", "--appointment", booked[2].id, data_dir=data_dir)
    assert human.returncode == 0 and human.stdout.startswith("Đã ghi nhận ") and "vắng mặt" in human.stdout

    # The exam rooms' steps on the board, as the Hôm nay page takes them (same core functions).
    called = ok(ksk("--json", "schedule", "call", "--appointment", booked[0].id, data_dir=data_dir))
    assert (called["id"], called["status"], called["queue_no"]) == (booked[0].id, "in_exam", 1)
    fails(ksk("schedule", "call", "--appointment", booked[0].id, data_dir=data_dir), 14, "gọi vào khám")
    back = ksk("schedule", "requeue", "--appointment", booked[0].id, data_dir=data_dir)
    assert back.returncode == 0 and back.stdout.startswith("Đã trả ") and "số thứ tự 1" in back.stdout
    fails(ksk("schedule", "requeue", "--appointment", booked[0].id, data_dir=data_dir), 14, "hàng chờ")
    fails(
        ksk("schedule", "examined", "--appointment", booked[0].id, data_dir=data_dir),
        7,
        "không có quyền nhập phiếu khám",  # the core's check: clinical staff record an exam done
    )
    users.add_user(ctx, "bacsi", "doctor", "Bac-si-2026x")
    done = ok(
        run_ksk(
            "--user",
            "bacsi",
            "--json",
            "schedule",
            "examined",
            "--appointment",
            booked[0].id,
            data_dir=data_dir,
            password="Bac-si-2026x",
        )
    )
    assert (done["status"], done["status_label"]) == ("examined", "Đã khám")
    board = ok(ksk("--json", "schedule", "board", data_dir=data_dir))
    assert [r["appointment_id"] for r in board["done"]] == [booked[0].id]
