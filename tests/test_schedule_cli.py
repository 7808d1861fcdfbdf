"""The scheduling command line as a contract, through real child processes: JSON shapes, one-line Vietnamese
errors and their exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import text

import ksk_desktop.cli.main as cli_main
from conftest import ADMIN, ADMIN_PASSWORD, COMMUNE, run_ksk
from ksk_desktop.clock import SYSTEM_CLOCK
from ksk_desktop.demo.synthetic import generate_people
from ksk_desktop.people import persons
from ksk_desktop.scheduling import board, checkin, days, planner
from ksk_desktop.station import users
from ksk_desktop.station.lifecycle import login

TODAY = SYSTEM_CLOCK.today()  # the real date in Vietnam: the ``ksk`` child processes run on the real clock
REGISTERED = "schedule_cmds" in Path(cli_main.__file__).read_text(encoding="utf-8")
# Until ksk_desktop/cli/main.py registers schedule_cmds, the same main() runs with the command groups added
# through its own plugin hook (the ``ksk.cli`` entry points it already loads).
SHIM = """
import sys
from ksk_desktop.cli import main as m, schedule_cmds
class _Group:
    def load(self):
        return schedule_cmds.register
_found = m.entry_points
m.entry_points = lambda group: [*_found(group=group), _Group()]
sys.exit(m.main(sys.argv[1:]))
"""


def ksk(*args: str, data_dir: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    full = ("--user", ADMIN, *args)
    if REGISTERED:
        return run_ksk(*full, data_dir=data_dir, password=ADMIN_PASSWORD, stdin=stdin)
    env = dict(os.environ, KSK_DATA_DIR=str(data_dir), KSK_PASSWORD=ADMIN_PASSWORD)
    return subprocess.run(
        [sys.executable, "-c", SHIM, *full],
        input=stdin or "",
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def ok(out: subprocess.CompletedProcess) -> dict:
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def fails(out: subprocess.CompletedProcess, code: int, words: str) -> None:
    assert out.returncode == code, (out.returncode, out.stderr)
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and lines[0].startswith("Lỗi: "), out.stderr
    assert "Traceback" not in out.stderr


def dmy(d) -> str:
    return d.strftime("%d/%m/%Y")


def payload(ctx, person_id: str) -> str:
    with ctx.read() as s:
        r = s.execute(
            text("SELECT personal_id, full_name, birth_date, sex FROM person WHERE id = :p"), {"p": person_id}
        ).one()
    born = date.fromisoformat(r.birth_date)
    issued = max(born, date(2021, 5, 10))  # never before the birth, never after today, whatever today is
    sex = "Nam" if r.sex == "M" else "Nữ"
    return f"{r.personal_id}||{r.full_name}|{born:%d%m%Y}|{sex}|Thôn Thử, Hải Phòng|{issued:%d%m%Y}"


@pytest.fixture
def populated(station, admin_session):
    paths, _ = station
    rows = generate_people(200, seed=5, commune_code=COMMUNE, reference_date=TODAY)
    persons.create_many(admin_session, [persons.PersonInput.from_dict(p) for p in rows])
    users.add_user(admin_session, "bacsi", "doctor", "Bac-si-khoa-2026", "BS. Thử")
    return paths.root, admin_session


def test_schedule_cli_contract(populated):
    data, ctx = populated
    camp = ok(
        ksk(
            "campaign",
            "create",
            "--name",
            "Khám định kỳ",
            "--year",
            str(TODAY.year),
            "--groups",
            "a,b,c,d,đ",
            "--json",
            data_dir=data,
        )
    )
    assert camp["groups"] == ["a", "b", "c", "d", "đ"] and camp["year"] == TODAY.year and camp["id"]
    site = ok(ksk("site", "add", "--name", "Trạm Y tế", "--capacity", "10", "--json", data_dir=data))
    assert site["capacity_per_hour"] == 10 and site["kind"] == "station" and not site["mobile"]
    school = ok(
        ksk("site", "add", "--name", "Trường THCS", "--mobile", "--kind", "school", "--json", data_dir=data)
    )
    assert school["mobile"] and school["kind"] == "school" and school["capacity_per_hour"] == 40
    today = ok(
        ksk(
            "day",
            "add",
            "--site",
            site["id"],
            "--date",
            dmy(TODAY),
            "--slots",
            "07:30-09:30",
            "--json",
            data_dir=data,
        )
    )
    assert today["date"] == TODAY.isoformat() and today["capacity_per_slot"] == 5 and len(today["slots"]) == 4
    tomorrow = TODAY + timedelta(days=1)
    later = ok(
        ksk(
            "day",
            "add",
            "--site",
            site["id"],
            "--date",
            tomorrow.isoformat(),
            "--slots",
            "07:30-11:30,13:30-16:30",
            "--slot-minutes",
            "60",
            "--capacity-per-slot",
            "3",
            "--json",
            data_dir=data,
        )
    )
    assert later["capacity"] == 21 and [x["start"] for x in later["slots"]][:2] == ["07:30", "08:30"]

    preview = ok(
        ksk(
            "schedule",
            "plan",
            "--campaign",
            camp["id"],
            "--from",
            dmy(TODAY),
            "--to",
            dmy(tomorrow),
            "--dry-run",
            "--json",
            data_dir=data,
        )
    )
    assert preview["dry_run"] and preview["counts"]["placed"] == 41
    assert ok(ksk("schedule", "show", "--date", dmy(TODAY), "--json", data_dir=data))["appointments"] == 0
    plan = ok(
        ksk(
            "schedule",
            "plan",
            "--campaign",
            camp["id"],
            "--from",
            dmy(TODAY),
            "--to",
            dmy(tomorrow),
            "--json",
            data_dir=data,
        )
    )
    assert not plan["dry_run"] and plan["counts"]["placed"] == 41 and plan["counts"]["unplaced"] == 159
    assert len(plan["placed"]) == 41 and len(plan["unplaced"]) == 159
    assert plan["unplaced_reasons"]["no_school_day"]["reason"].startswith("Học sinh")
    assert {"person_id", "name", "hamlet", "group", "code", "reason"} <= set(plan["unplaced"][0])
    assert {"appointment_id", "person_id", "date", "start", "site_id", "action"} <= set(plan["placed"][0])

    show = ok(ksk("schedule", "show", "--date", TODAY.isoformat(), "--json", data_dir=data))
    (day,) = show["days"]
    assert (
        day["site_name"] == "Trạm Y tế"
        and day["booked"] == 20
        and [s["booked"] for s in day["slots"]] == [5] * 4
    )
    row = day["slots"][0]["appointments"][0]
    assert {"queue_no", "person_id", "name", "dob", "sex", "hamlet", "group", "phone", "status"} <= set(row)
    people = [a for s in day["slots"] for a in s["appointments"]]
    with_card = [a for a in people if a["personal_id"] and a["dob"]]

    first = ok(ksk("checkin", "--appointment", with_card[0]["appointment_id"], "--json", data_dir=data))
    assert first["queue_no"] == 1 and first["status"] == "checked_in"
    second = ok(ksk("checkin", "--payload", payload(ctx, with_card[1]["person_id"]), "--json", data_dir=data))
    assert second["queue_no"] == 2 and second["person"]["id"] == with_card[1]["person_id"]
    third = ok(
        ksk(
            "checkin",
            "--payload-stdin",
            "--json",
            data_dir=data,
            stdin=payload(ctx, with_card[2]["person_id"]) + "\n",
        )
    )
    assert third["queue_no"] == 3

    with ctx.read() as s:
        booked_later = set(
            s.execute(
                text("SELECT person_id FROM appointment WHERE day_id = :d"), {"d": later["id"]}
            ).scalars()
        )
    other = next(a for a in plan["placed"] if a["person_id"] in booked_later)
    fails(
        ksk("checkin", "--payload", payload(ctx, other["person_id"]), "--json", data_dir=data),
        13,
        "không có trong danh sách khám hôm nay",
    )
    fails(ksk("checkin", "--payload", "khong phai the", data_dir=data), 2, "")
    fails(
        ksk("day", "add", "--site", site["id"], "--date", dmy(TODAY - timedelta(days=1)), data_dir=data),
        2,
        "đã qua",
    )
    bare = ok(
        ksk(
            "site",
            "add",
            "--name",
            "Nhà văn hóa",
            "--kind",
            "village_hall",
            "--capacity",
            "0",
            "--json",
            data_dir=data,
        )
    )
    fails(
        ksk("day", "add", "--site", bare["id"], "--date", dmy(tomorrow), data_dir=data),
        2,
        "chưa đặt công suất",
    )
    full_slot = today["slots"][1]["id"]
    mover = day["slots"][3]["appointments"][-1]
    assert mover not in with_card[:3]
    fails(
        ksk("schedule", "move", "--appointment", mover["appointment_id"], "--slot", full_slot, data_dir=data),
        11,
        "đã đủ",
    )
    fails(
        ksk(
            "schedule",
            "plan",
            "--campaign",
            camp["id"],
            "--from",
            "31/02/2026",
            "--to",
            dmy(tomorrow),
            data_dir=data,
        ),
        2,
        "không hợp lệ",
    )

    doctor = login(ctx.paths, "bacsi", "Bac-si-khoa-2026")
    try:
        board.mark_examined(doctor, with_card[0]["appointment_id"])
    finally:
        doctor.close()
    fails(ksk("checkin", "--payload", payload(ctx, with_card[0]["person_id"]), data_dir=data), 12, "đã khám")

    # a past exam day (only the core may add one) reconciled from the command line
    past = TODAY - timedelta(days=3)
    with ctx.write() as s:
        past_day = days.insert_day(
            ctx,
            s,
            site_id=site["id"],
            day=past,
            hours="07:30-08:00",
            slot_minutes=30,
            capacity_per_slot=4,
            team_note=None,
        )
    planner.plan(ctx, camp["id"], past, past, today=past, population=planner.Population(groups={"c"}))
    with ctx.read() as s:
        first_past = s.execute(
            text("SELECT id FROM appointment WHERE day_id = :d LIMIT 1"), {"d": past_day.id}
        ).scalar()
    checkin.checkin_by_appointment(ctx, first_past, today=past)
    rec = ok(ksk("schedule", "reconcile", "--date", dmy(past), "--json", data_dir=data))
    assert (
        rec["counts"]["marked_now"] == 3 and len(rec["no_show"]) == 3 and rec["counts"]["not_finished"] == 1
    )

    xlsx = data.parent / "bao-phu.xlsx"
    cov = ok(
        ksk("schedule", "coverage", "--year", str(TODAY.year), "--export", str(xlsx), "--json", data_dir=data)
    )
    assert cov["totals"]["total"] == 200 and cov["totals"]["examined"] == 1 and cov["export"]["rows"] == 199
    assert len(list(openpyxl.load_workbook(xlsx, read_only=True)["Chưa khám"].iter_rows())) == 199 + 2
