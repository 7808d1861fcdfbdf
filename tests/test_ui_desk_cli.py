"""The desk's two additions to the core, through the real ``ksk`` command line: check-in by person id (someone
found by name, without their card) and one person marked absent; their JSON and their refusals."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text
from test_schedule_cli import fails, ksk, ok

from conftest import COMMUNE
from ksk_desktop.demo.synthetic import generate_people
from ksk_desktop.people import persons
from ksk_desktop.scheduling import campaigns, days, planner, sites
from ksk_desktop.scheduling.clock import local_today

TODAY = local_today()


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
