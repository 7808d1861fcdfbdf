"""The waiting room's "now calling" data (``ksk_desktop.scheduling.calling``), on a real station: the board's call
step records when and into which room; the latest call comes first, the next numbers follow the queue; a person
sent back loses their room; no name anywhere; the same through ``ksk schedule call --room`` and
``ksk schedule calling``. And this device's own settings file."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import test_schedule
from test_schedule import q, todays

from conftest import ADMIN, ADMIN_PASSWORD, run_ksk
from ksk_desktop.errors import InvalidInput
from ksk_desktop.scheduling import board, calling, checkin
from ksk_desktop.station import device

desk, session_clock = (
    test_schedule.desk,
    test_schedule.session_clock,
)  # the desk's station and its frozen clock


def ksk(paths, *args: str):
    return run_ksk("--user", ADMIN, *args, data_dir=paths.root, password=ADMIN_PASSWORD)


def test_calls_latest_first_with_their_rooms_and_the_next_numbers(desk, session_clock):
    ctx = desk["ctx"]
    rows = todays(ctx, desk["today"])
    for r in rows[:6]:
        checkin.checkin_by_appointment(ctx, r.id)
    empty = calling.now_calling(ctx)
    assert empty.current is None and empty.upcoming == [1, 2, 3, 4, 5] and empty.waiting == 6

    board.start_exam(ctx, rows[0].id, room="  Phòng khám 1 ")
    session_clock.advance(timedelta(minutes=3))
    board.start_exam(ctx, rows[2].id, room="Phòng khám 2")
    session_clock.advance(timedelta(minutes=3))
    board.start_exam(ctx, rows[1].id)  # from a desk that names no room
    now = calling.now_calling(ctx, upcoming=2)
    assert [(c.queue_no, c.room) for c in now.called] == [(2, None), (3, "Phòng khám 2"), (1, "Phòng khám 1")]
    assert [c.called_at for c in now.called] == ["07:06", "07:03", "07:00"]  # Vietnam's wall clock
    assert now.current.queue_no == 2 and now.upcoming == [4, 5] and now.waiting == 3
    stored = q(ctx, "SELECT room, called_at FROM appointment WHERE id = :a", a=rows[0].id)[0]
    assert stored.room == "Phòng khám 1" and stored.called_at is not None
    (details,) = q(
        ctx,
        "SELECT details FROM audit_event WHERE action = 'appointment.start_exam' AND entity_id = :a",
        a=rows[0].id,
    )
    assert json.loads(details[0])["room"] == "Phòng khám 1"

    board.return_to_queue(ctx, rows[1].id)  # sent back: no longer called, back in the queue by its number
    now = calling.now_calling(ctx)
    assert [c.queue_no for c in now.called] == [3, 1] and now.upcoming == [2, 4, 5, 6]
    assert q(ctx, "SELECT room, called_at FROM appointment WHERE id = :a", a=rows[1].id)[0] == (None, None)
    text = json.dumps(now.to_json(), ensure_ascii=False)
    names = [r[0] for r in q(ctx, "SELECT full_name FROM person")]
    assert not any(n in text for n in names) and set(now.to_json()) == {
        "date",
        "site_id",
        "called",
        "upcoming",
        "waiting",
    }
    other_site = calling.now_calling(ctx, site_id="khong-co")
    assert other_site.called == [] and other_site.upcoming == []

    with pytest.raises(InvalidInput):
        board.start_exam(ctx, rows[3].id, room="P" * 61)
    assert q(ctx, "SELECT status FROM appointment WHERE id = :a", a=rows[3].id)[0][0] == "checked_in"


def test_the_command_line_calls_into_a_room_and_shows_the_screen(desk, station):
    paths, _ = station
    ctx = desk["ctx"]
    rows = todays(ctx, desk["today"])
    for r in rows[:3]:
        checkin.checkin_by_appointment(ctx, r.id)
    day = q(ctx, "SELECT exam_date FROM exam_day WHERE id = :d", d=desk["today"])[0][0]
    done = ksk(paths, "schedule", "call", "--appointment", rows[1].id, "--room", "Phòng khám 3")
    assert done.returncode == 0, done.stderr
    assert "(số thứ tự 2) vào Phòng khám 3." in done.stdout
    shown = ksk(paths, "schedule", "calling", "--date", str(day), "--next", "5", "--json")
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert data["called"][0]["queue_no"] == 2 and data["called"][0]["room"] == "Phòng khám 3"
    assert data["upcoming"] == [1, 3] and data["waiting"] == 2
    human = ksk(paths, "schedule", "calling", "--date", str(day))
    assert human.stdout.splitlines()[:2] == ["Mời số 2 — Phòng khám 3", "Tiếp theo: 1, 3 (2 người đang chờ)."]


def test_device_settings_are_this_computers_own_file(paths, tmp_path):
    assert device.load(paths) == device.DeviceSettings()  # nothing saved yet
    device.save(paths, device.DeviceSettings(ticket_printer="XP-80C", call_room="Phòng khám 1"))
    assert device.load(paths) == device.DeviceSettings("XP-80C", "Phòng khám 1")
    assert json.loads(paths.device.read_text(encoding="utf-8")) == {
        "call_room": "Phòng khám 1",
        "ticket_printer": "XP-80C",
    }
    paths.device.write_text("{không phải json", encoding="utf-8")  # a damaged file: the defaults, no crash
    assert device.load(paths) == device.DeviceSettings()
    paths.device.write_text(json.dumps({"ticket_printer": "A5", "unknown": 1}), encoding="utf-8")
    assert device.load(paths) == device.DeviceSettings(ticket_printer="A5")
