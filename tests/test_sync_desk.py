"""One station, several devices (docs/multi-device.md §3, §4): the device running a day's desk, follow-up status
changes, two appointments of one person made on two devices, and one person changed on two devices (the hub
applies each change field by field from the revision the device last saw; a field both changed takes the later
arrival's value and the overwritten one is kept at the hub, announced, recorded on the devices and shown on the
person's card) — with two data folders of one station enrolled at the real hub in a child process on loopback
(SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from exam_support import DOCTOR, add_person, add_staff, staff
from multidevice_support import TODAY, both_in_step, hub_process, sync_all, three_devices
from sqlalchemy import create_engine, select
from testkit.hubdb import BACKENDS
from testkit.stations import PASSWORD, new_station, outbox_rows

from conftest import run_ksk
from ksk_desktop.db.models import Appointment, ExamDay, FollowUp, OutboxItem, Person
from ksk_desktop.exams import followups
from ksk_desktop.outbox import sync_conflicts
from ksk_desktop.people import persons
from ksk_desktop.scheduling import checkin, desk_owner, planner
from ksk_desktop.scheduling.errors import DeskElsewhere
from ksk_desktop.scheduling.sync_items import day_payload
from ksk_desktop.station.lifecycle import login
from sync.client import station_apply
from sync.client.station_schedule import STATUS_RANK
from ui.people.person_card import PersonCard


@pytest.fixture(params=BACKENDS)
def hub(request, tmp_path):
    yield from hub_process(request.param, tmp_path)


@pytest.fixture
def devices(tmp_path, hub):
    yield from three_devices(tmp_path, hub)


sync = sync_all


def day_of(ctx, appointment_id: str) -> ExamDay:
    with ctx.read() as s:
        day = s.get_one(ExamDay, s.get_one(Appointment, appointment_id).day_id)
        s.expunge(day)
        return day


# -- the desk owner of a day -----------------------------------------------------------------------------------
def test_the_device_that_checks_in_first_runs_the_day_and_the_head_takes_it_over_elsewhere(devices, tmp_path):
    (main, team, _other), (main_id, team_id, _other_id) = devices
    waiting = both_in_step(main, team)  # the main desk checked in two people before syncing
    day = day_of(main, waiting[0])
    assert day.desk_device_id == main_id
    assert day_of(team, waiting[0]).desk_device_id == main_id  # the claim replicated with the day

    with pytest.raises(DeskElsewhere) as refused:
        checkin.checkin_by_appointment(team, waiting[0], today=TODAY)
    assert refused.value.message.startswith("Ngày khám này do máy khác điều hành quầy")
    assert main_id in refused.value.message and refused.value.day_id == day.id
    with team.read() as s:  # refused: nothing written
        assert s.get_one(Appointment, waiting[0]).status == "scheduled"

    # The head takes the desk over on the team laptop (before it leaves for the island): a new version of the day.
    taken = desk_owner.take_desk(team, day.id)
    assert (taken["desk_device_id"], taken["previous"], taken["version"]) == (
        team_id,
        main_id,
        day.version + 1,
    )
    came = checkin.checkin_by_appointment(team, waiting[0], today=TODAY)
    assert came.status == "checked_in" and came.queue_no == 3  # after the desk's two
    sync(team, main)
    assert day_of(main, waiting[0]).desk_device_id == team_id
    assert day_of(main, waiting[0]).version == taken["version"]
    with pytest.raises(DeskElsewhere, match=team_id):
        checkin.checkin_by_appointment(main, waiting[1], today=TODAY)
    # A re-scan of someone already checked in gives their number again; it gives no new number, so no check.
    with main.read() as s:
        first = s.scalars(
            select(Appointment.id).where(Appointment.status == "checked_in").order_by(Appointment.queue_no)
        ).first()
    assert checkin.checkin_by_appointment(main, first, today=TODAY).status == "already_checked_in"

    # On the command line: which device runs the desk, and taking it back (the head: admin).
    paths = main.paths
    main.close()
    shown = run_ksk(
        "day", "desk", day.id, "--user", "admin", "--json", data_dir=paths.root, password=PASSWORD
    )
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["desk_device_id"] == team_id
    back = run_ksk(
        "day", "take-desk", day.id, "--user", "admin", "--json", data_dir=paths.root, password=PASSWORD
    )
    assert back.returncode == 0, back.stderr
    assert json.loads(back.stdout)["desk_device_id"] == main_id
    again = login(paths, "admin", PASSWORD)
    try:
        assert checkin.checkin_by_appointment(again, waiting[1], today=TODAY).queue_no == 4
    finally:
        again.close()

    # A station with one laptop never enrolled claims nothing and checks in as before.
    alone = login(new_station(tmp_path / "alone", code="TYT-MOT"), "admin", PASSWORD)
    try:
        from multidevice_support import schedule_and_examine

        at = schedule_and_examine(alone)
        with alone.read() as s:
            assert s.get_one(ExamDay, at["day"]).desk_device_id is None
            assert day_payload(s, s.get_one(ExamDay, at["day"]))["desk_device_id"] is None
    finally:
        alone.close()


# -- follow-ups ------------------------------------------------------------------------------------------------
def followup_state(ctx) -> list[tuple]:
    with ctx.read() as s:
        return sorted((f.id, f.status, f.done_by, f.done_at, f.version) for f in s.scalars(select(FollowUp)))


def test_follow_up_status_changes_replicate_newest_wins_and_the_loser_is_kept(devices):
    (main, team, _other), _ids = devices
    both_in_step(main, team)
    with main.read() as s:
        f1, f2 = sorted(s.scalars(select(FollowUp.id)))
    add_staff(team)
    desk_doctor, team_doctor = staff(main.paths, DOCTOR), staff(team.paths, DOCTOR)
    try:
        followups.mark_done(desk_doctor, f1)  # both mark the first done offline; only the desk the second
        followups.mark_done(team_doctor, f1)
        followups.mark_done(desk_doctor, f2)
    finally:
        desk_doctor.close()
        team_doctor.close()
    assert {r[1] for r in outbox_rows(main)} >= {"followup"}
    sync(main, team, main)
    assert followup_state(main) == followup_state(team)
    states = {row[0]: row for row in followup_state(team)}
    assert states[f1][1] == states[f2][1] == "done" and states[f1][4] == states[f2][4] == 2
    # The two concurrent "done" of f1: one wins everywhere (the greater item id), the other is kept on both.
    with main.read() as s:
        items = {r.item_id: r for r in s.scalars(select(OutboxItem).where(OutboxItem.kind == "followup"))}
    for ctx in (main, team):
        (conflict,) = station_apply.conflicts(ctx)
        assert (conflict["kind"], conflict["entity_id"]) == ("followup", f1)
        assert conflict["kept_item_id"] > conflict["lost_item_id"]
    assert any(i in items for i in (conflict["kept_item_id"], conflict["lost_item_id"]))


# -- two appointments of one person in one campaign, made on two devices ----------------------------------------
@pytest.mark.parametrize("order", ["desk_first", "team_first"])
def test_two_appointments_of_one_person_made_on_two_devices_the_same_one_stays_active_everywhere(
    devices, order
):
    (main, team, _other), _ids = devices
    both_in_step(main, team)
    add_person(main, "Trần Thị Mới", date(1972, 3, 4), "F")  # a newcomer, reaches the team laptop by the hub
    sync(main, team)
    with main.read() as s:
        campaign_id = s.scalar(select(Appointment.campaign_id).limit(1))
    before = {a for ctx in (main, team) for a in appointment_ids(ctx)}
    for ctx in (main, team):  # both plan the newcomer offline
        planner.plan(ctx, campaign_id, TODAY, TODAY, today=TODAY)
    made = {ctx: appointment_ids(ctx) - before for ctx in (main, team)}
    (on_main,), (on_team,) = made[main], made[team]
    keys = {}
    for ctx, appt_id in ((main, on_main), (team, on_team)):
        with ctx.read() as s:
            a = s.get_one(Appointment, appt_id)
            item = s.scalar(
                select(OutboxItem.item_id).where(
                    OutboxItem.entity_id == appt_id, OutboxItem.kind == "appointment"
                )
            )
            keys[appt_id] = (STATUS_RANK[a.status], a.version, item)
    winner, loser = sorted(keys, key=keys.__getitem__, reverse=True)
    sync(*((main, team, main) if order == "desk_first" else (team, main, team)))
    for ctx in (main, team):
        with ctx.read() as s:
            assert s.get_one(Appointment, winner).status == "scheduled"
            assert s.get_one(Appointment, loser).status == "cancelled"
        conflicts = [c for c in station_apply.conflicts(ctx) if c["entity_id"] == loser]
        assert len(conflicts) == 1 and "hai lịch hẹn cùng đợt" in conflicts[0]["detail"]
    with main.read() as s, team.read() as t:
        assert [
            (a.id, a.status, a.version) for a in s.scalars(select(Appointment).order_by(Appointment.id))
        ] == [(a.id, a.status, a.version) for a in t.scalars(select(Appointment).order_by(Appointment.id))]


def appointment_ids(ctx) -> set[str]:
    with ctx.read() as s:
        return set(s.scalars(select(Appointment.id)))


# -- one person changed on two devices: field by field at the hub, the overwritten value kept -----------------
def record(ctx, pid: str) -> tuple:
    with ctx.read() as s:
        p = s.get_one(Person, pid)
        return p.phone, p.permanent_address, p.hamlet


def hub_conflicts(hub) -> list[tuple]:
    engine = create_engine(hub.db_url)
    try:
        with engine.connect() as c:
            return [
                (r.person_id, json.loads(r.fields), r.overwritten_device_id, r.by_device_id)
                for r in c.exec_driver_sql(
                    "SELECT person_id, fields, overwritten_device_id, by_device_id FROM hub_person_conflict"
                )
            ]
    finally:
        engine.dispose()


def test_concurrent_edits_of_one_person_merge_field_by_field_and_the_overwritten_value_is_kept(
    qtbot, devices, hub
):
    (main, team, _other), (main_id, team_id, _other_id) = devices
    pid = add_person(main)
    persons.update_person(main, pid, {"phone": "0901000001"})
    sync(main, team)
    assert record(team, pid)[0] == "0901000001"
    # Offline: the desk corrects the phone and the address; the team the phone again and the hamlet.
    persons.update_person(main, pid, {"phone": "0901000002", "permanent_address": "Số 5 đường Biển"})
    persons.update_person(team, pid, {"phone": "0902000003", "hamlet": "Thôn Đảo"})
    sync(main, team, main, team)
    # Field by field: the address (only the desk's) and the hamlet (only the team's) both stay; the phone both
    # changed takes the later arrival's value (the team's), the same on both devices.
    want = ("0902000003", "Số 5 đường Biển", "Thôn Đảo")
    assert record(main, pid) == want and record(team, pid) == want
    # The desk's overwritten phone is kept at the hub, with who wrote it and whose write won.
    assert hub_conflicts(hub) == [(pid, {"phone": "0901000002"}, main_id, team_id)]
    # Both devices recorded it once, and show it.
    for ctx in (main, team):
        (kept,) = sync_conflicts.for_person(ctx, pid)
        assert (
            kept["device"] == main_id and kept["lost_text"] == "Giá trị bị ghi đè: Số điện thoại: 0901000002"
        )
        (listed,) = [c for c in sync_conflicts.review(ctx) if c["kind"] == "person"]
        assert listed["what"] == "Nguyễn Văn An" and listed["kind_label"] == "Hồ sơ người dân"
    sync(main, team)
    assert len(sync_conflicts.for_person(main, pid)) == 1  # announced once, recorded once

    # The card says so.
    card = PersonCard(main, pid)
    qtbot.addWidget(card)
    card.show()
    qtbot.waitUntil(lambda: card.record is not None and not card.busy, timeout=10_000)
    assert card.conflict_label.isVisible()
    assert card.conflict_label.text().startswith("Có thay đổi song song:")
    assert "Số điện thoại: 0901000002" in card.conflict_label.text() and main_id in card.conflict_label.text()
    card.reject()
