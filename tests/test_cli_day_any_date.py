"""A whole exam day through the real ``ksk`` command line, on whatever day it is in Vietnam: a new station, a
baby born today, this year's campaign, an exam day today, the planner, check-in and a signed exam.

Nothing here is a fixed date: "today" is the one clock's date in Vietnam when the test starts, so the same test
proves the day works at any instant. CI also runs it under libfaketime at the instants where a machine on UTC
and Vietnam disagree about the date or the year (``installer/run-faketime-tests.sh``).
"""

from __future__ import annotations

import json
import subprocess
from datetime import timedelta

from conftest import COMMUNE, run_ksk
from ksk_desktop.clock import SYSTEM_CLOCK

ADMIN, ADMIN_PASSWORD = "truongtram", "Truong-tram-2026"
DOCTOR, DOCTOR_PASSWORD = "bacsi", "Bac-si-kham-2026"
BABY = "Nguyễn Thị Hôm Nay"


def dmy(day) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def ok(out: subprocess.CompletedProcess) -> dict:
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def refused(out: subprocess.CompletedProcess, words: str) -> None:
    line = out.stderr.strip()
    assert out.returncode != 0 and line.startswith("Lỗi: ") and words in line and "\n" not in line, out.stderr


def test_a_day_at_the_station_from_the_command_line(tmp_path):
    today = SYSTEM_CLOCK.today()  # the date in Vietnam, whatever the machine's zone
    data = tmp_path / "station"

    def ksk(*args: str, user: str = ADMIN, password: str = ADMIN_PASSWORD, env: dict | None = None):
        return run_ksk("--user", user, *args, data_dir=data, password=password, env=env)

    made = ok(
        run_ksk(
            "init",
            "--station-code",
            "TYT-NGAY",
            "--commune-code",
            COMMUNE,
            "--admin",
            ADMIN,
            "--json",
            data_dir=data,
            password=ADMIN_PASSWORD,
        )
    )
    assert made["ok"] and made["recovery_key"]
    ok(
        ksk(
            "user",
            "add",
            DOCTOR,
            "--role",
            "doctor",
            "--licence",
            "000123/HP-CCHN",
            "--json",
            env={"KSK_NEW_PASSWORD": DOCTOR_PASSWORD},
        )
    )

    # Born today is allowed, tomorrow is not: the person rules and the scheduler share one "today".
    refused(
        ksk("person", "add", "--name", "Người Chưa Sinh", "--dob", dmy(today + timedelta(days=1))),
        "sau ngày hôm nay",
    )
    baby = ok(
        ksk(
            "person",
            "add",
            "--name",
            BABY,
            "--dob",
            dmy(today),
            "--sex",
            "Nữ",
            "--group",
            "b",
            "--hamlet",
            "Thôn Một",
            "--json",
        )
    )
    assert baby["dob"] == today.isoformat() and baby["birth_year"] == today.year

    name = f"Khám sức khỏe {today.year}"
    campaign = ok(
        ksk(
            "campaign", "create", "--name", name, "--year", str(today.year), "--groups", "a,b,c,d,đ", "--json"
        )
    )
    assert campaign["year"] == today.year
    site = ok(ksk("site", "add", "--name", "Trạm Y tế xã", "--json"))

    # An exam day today is allowed, yesterday is past.
    refused(ksk("day", "add", "--site", site["id"], "--date", dmy(today - timedelta(days=1))), "đã qua")
    day = ok(ksk("day", "add", "--site", site["id"], "--date", dmy(today), "--json"))
    assert day["date"] == today.isoformat() and day["free"] > 0

    plan = ok(
        ksk(
            "schedule",
            "plan",
            "--campaign",
            campaign["id"],
            "--from",
            dmy(today),
            "--to",
            dmy(today),
            "--json",
        )
    )
    (placed,) = plan["placed"]
    assert (placed["person_id"], placed["date"], placed["day_id"]) == (
        baby["id"],
        today.isoformat(),
        day["id"],
    )

    came = ok(ksk("checkin", "--appointment", placed["appointment_id"], "--json"))
    assert (came["status"], came["queue_no"]) == ("checked_in", 1)
    assert came["appointment"]["date"] == today.isoformat()

    exam = {
        "person_id": baby["id"],
        "appointment_id": placed["appointment_id"],
        "form": "child",
        "exam_date": today.isoformat(),
        "values": {
            "height_cm": 50,
            "weight_kg": 3.3,
            "pulse": 130,
            **{
                f"internal.{k}_class": 1
                for k in (
                    "circulation",
                    "respiratory",
                    "digestive",
                    "kidney_urology",
                    "neuropsychiatry",
                    "endocrine",
                )
            },
            "vision_right_uncorrected": 10,
            "vision_left_uncorrected": 10,
            "eyes.class": 1,
            "whisper_left_m": 5,
            "whisper_right_m": 5,
            "ent.class": 1,
            "teeth.class": 1,
            "spine.class": 1,
            "dermatology.class": 1,
        },
        "health_class": 1,
        "conclusion": "Trẻ khỏe mạnh",
    }
    path = tmp_path / "phieu.json"
    path.write_text(json.dumps(exam, ensure_ascii=False), encoding="utf-8")
    imported = ksk("exam", "import", str(path), user=DOCTOR, password=DOCTOR_PASSWORD)
    assert imported.returncode == 0, imported.stderr
    exam_id = imported.stdout.strip()
    signed = ok(ksk("exam", "sign", exam_id, "--json", user=DOCTOR, password=DOCTOR_PASSWORD))
    assert (signed["status"], signed["exam_date"], signed["signed_by"]) == (
        "signed",
        today.isoformat(),
        DOCTOR,
    )
    assert signed["assessment"]["age"]["years"] == 0  # born today, examined today

    listed = ok(ksk("exam", "list", "--date", dmy(today), "--json", user=DOCTOR, password=DOCTOR_PASSWORD))
    assert [(e["id"], e["status"]) for e in listed] == [(exam_id, "signed")]
    board = ok(ksk("schedule", "board", "--date", dmy(today), "--json"))
    assert [(r["appointment_id"], r["status"]) for r in board["done"]] == [
        (placed["appointment_id"], "examined")
    ]
