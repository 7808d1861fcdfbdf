"""Campaigns and scheduling on a real encrypted station: the planner's rules, re-planning and locks, the desk
(check-in by CCCD scan and by appointment barcode, walk-ins, the board), reconciliation with make-up days,
coverage, and the audit + outbox row behind every write."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta

import openpyxl
import pytest
from sqlalchemy import text

from conftest import COMMUNE, FROZEN_DAY, frozen_clock
from ksk_desktop.demo.synthetic import generate_people
from ksk_desktop.errors import InvalidInput, NotFound, PermissionDenied
from ksk_desktop.people import persons
from ksk_desktop.scheduling import (
    appointments,
    board,
    campaigns,
    checkin,
    coverage,
    day_schedule,
    days,
    placement,
    planner,
    reconcile,
    sites,
)
from ksk_desktop.scheduling.errors import (
    AlreadyExamined,
    DateInPast,
    DayOverCapacity,
    InvalidStatus,
    NotOnTodaysList,
    SiteCapacityMissing,
)
from ksk_desktop.station import users
from ksk_desktop.station.lifecycle import login

TODAY = FROZEN_DAY  # the sessions' clock is frozen on it
ALL_DAY = datetime.combine(TODAY, time(7, 0))  # "now" at the desk: before the first slot


@pytest.fixture
def session_clock():
    return frozen_clock(TODAY, ALL_DAY.time())


def add_people(ctx, n: int, seed: int = 7, offset: int = 0) -> None:
    rows = generate_people(n, seed=seed, commune_code=COMMUNE, reference_date=TODAY, id_offset=offset)
    persons.create_many(ctx, [persons.PersonInput.from_dict(p) for p in rows])


def q(ctx, sql: str, **params):
    with ctx.read() as s:
        return s.execute(text(sql), params).all()


def payload_of(ctx, person_id: str) -> str:
    (r,) = q(
        ctx, "SELECT personal_id, old_id, full_name, birth_date, sex FROM person WHERE id = :p", p=person_id
    )
    y, m, d = r.birth_date.split("-")
    issued = "10052021" if r.birth_date < "2021-05-10" else f"{d}{m}{int(y) + 1}"
    sex = "Nam" if r.sex == "M" else "Nữ"
    return f"{r.personal_id}|{r.old_id or ''}|{r.full_name}|{d}{m}{y}|{sex}|Thôn Thử, Xã Kiến Thụy, Hải Phòng|{issued}"


def logged(ctx, action: str, appointment_id: str) -> tuple[int, int]:
    """(audit events with *action* naming the appointment, outbox items of it)."""
    audits = q(
        ctx,
        "SELECT count(*) FROM audit_event WHERE action = :a AND (entity_id = :i OR details LIKE :like)",
        a=action,
        i=appointment_id,
        like=f"%{appointment_id}%",
    )[0][0]
    items = q(
        ctx, "SELECT count(*) FROM outbox WHERE kind = 'appointment' AND entity_id = :i", i=appointment_id
    )[0][0]
    return audits, items


def slot_loads(ctx) -> list[tuple]:
    """(slot id, start, capacity, places taken) of every slot."""
    return q(
        ctx,
        "SELECT s.id, s.start_time, s.capacity, (SELECT count(*) FROM appointment a WHERE a.slot_id = s.id "
        "AND a.status IN ('scheduled','notified','checked_in','in_exam','examined','no_show')) FROM slot s",
    )


def no_duplicates(ctx) -> bool:
    return not q(
        ctx,
        "SELECT person_id FROM appointment WHERE status IN ('scheduled','notified','checked_in',"
        "'in_exam','examined') GROUP BY campaign_id, person_id HAVING count(*) > 1",
    )


@pytest.fixture
def world(admin_session):
    """600 people, this year's campaign for every group, the station and a school, four days from tomorrow."""
    ctx = admin_session
    add_people(ctx, 600)
    camp = campaigns.create_campaign(ctx, name="Khám định kỳ", year=TODAY.year, groups="a,b,c,d,đ")
    station = sites.add_site(ctx, name="Trạm Y tế xã", capacity_per_hour=20)
    school = sites.add_site(ctx, name="Trường THCS", kind="school", capacity_per_hour=20)
    ds = [
        days.add_day(ctx, site_id=station.id, day=TODAY + timedelta(days=i), hours="07:30-09:30,13:30-15:30")
        for i in (1, 2, 3)
    ]
    sd = days.add_day(ctx, site_id=school.id, day=TODAY + timedelta(days=2), hours="07:30-09:30")
    return {
        "ctx": ctx,
        "campaign": camp.id,
        "station": station.id,
        "school": school.id,
        "days": [d.id for d in ds],
        "school_day": sd.id,
    }


# -- campaigns, sites, days -------------------------------------------------------------------------------------------
def test_campaign_site_and_day_rules(admin_session):
    ctx = admin_session
    c = campaigns.create_campaign(
        ctx, name="Đợt 1", year=2026, groups="a, DD ,b", exam_forms={"b": "child-pupil"}
    )
    assert c.groups == ["a", "b", "đ"] and c.exam_forms == {"a": "elderly", "b": "child", "đ": "adult"}
    with pytest.raises(InvalidInput, match="Mẫu phiếu khám 'hoc-sinh' không có"):
        campaigns.create_campaign(ctx, name="Đợt 2", year=2026, groups="b", exam_forms={"b": "hoc-sinh"})
    with pytest.raises(InvalidInput, match="Đã có đợt khám"):
        campaigns.create_campaign(ctx, name="Đợt 1", year=2026, groups="a")
    with pytest.raises(InvalidInput, match="Nhóm đối tượng 'x'"):
        campaigns.create_campaign(ctx, name="Đợt 2", year=2026, groups="a,x")

    site = sites.add_site(ctx, name="Trạm")
    d = days.add_day(ctx, site_id=site.id, day=TODAY)
    assert d.capacity_per_slot == 20 and len(d.slots) == 14 and d.capacity == 280  # 40/h × 30 min
    assert [x.start for x in d.slots[:2]] == ["07:30", "08:00"] and d.slots[-1].end == "16:30"
    with pytest.raises(InvalidInput, match="đã có ngày khám"):
        days.add_day(ctx, site_id=site.id, day=TODAY)
    with pytest.raises(DateInPast, match="đã qua"):
        days.add_day(ctx, site_id=site.id, day=TODAY - timedelta(days=1))
    with pytest.raises(InvalidInput, match="không chia đều"):
        days.add_day(ctx, site_id=site.id, day=TODAY + timedelta(days=1), hours="07:30-11:20")
    with pytest.raises(InvalidInput, match="chồng lên nhau"):
        days.add_day(ctx, site_id=site.id, day=TODAY + timedelta(days=1), hours="07:00-10:00,09:00-11:00")

    island = sites.add_site(ctx, name="Điểm đảo", kind="island", capacity_per_hour=0)
    assert island.capacity_per_hour is None and island.mobile is True
    with pytest.raises(SiteCapacityMissing, match="chưa đặt công suất"):
        days.add_day(ctx, site_id=island.id, day=TODAY + timedelta(days=1))
    d2 = days.add_day(
        ctx,
        site_id=island.id,
        day=TODAY + timedelta(days=1),
        hours="08:00-10:00",
        slot_minutes=60,
        capacity_per_slot=15,
    )
    assert d2.capacity == 30
    with pytest.raises(InvalidInput, match="Loại điểm khám"):
        sites.add_site(ctx, name="Bệnh viện", kind="hospital")
    actions = {r[0] for r in q(ctx, "SELECT action FROM audit_event")}
    assert {"campaign.create", "site.create", "exam_day.create"} <= actions


# -- the planner ------------------------------------------------------------------------------------------------------
def test_plan_rules_capacity_morning_priority_and_pupils_at_school(world):
    ctx = world["ctx"]
    before = q(
        ctx,
        "SELECT (SELECT count(*) FROM appointment), (SELECT count(*) FROM outbox), "
        "(SELECT count(*) FROM audit_event)",
    )[0]
    preview = planner.plan(ctx, world["campaign"], TODAY, TODAY + timedelta(days=5), dry_run=True)
    after_preview = q(
        ctx,
        "SELECT (SELECT count(*) FROM appointment), (SELECT count(*) FROM outbox), "
        "(SELECT count(*) FROM audit_event)",
    )[0]
    assert after_preview == before and preview.dry_run  # a preview writes nothing, not even an audit event

    result = planner.plan(ctx, world["campaign"], TODAY, TODAY + timedelta(days=5))
    assert [(p.person_id, p.slot_id) for p in result.placed] == [
        (p.person_id, p.slot_id) for p in preview.placed
    ]
    c = result.counts
    assert c["considered"] == 600 and c["placed"] + c["unplaced"] == 600 and c["new"] == c["placed"]
    # capacity: 3 station days × 8 slots × 10 + one school day × 4 slots × 10
    assert c["placed"] <= 3 * 80 + 40
    assert all(load <= cap for _sid, _start, cap, load in slot_loads(ctx))
    assert {u.code for u in result.unplaced} <= set(placement.REASONS)
    assert all(u.reason == placement.REASONS[u.code] for u in result.unplaced)

    rows = q(
        ctx,
        "SELECT a.priority, s.start_time, x.kind, p.target_group, p.birth_date, p.birth_year, "
        "EXISTS (SELECT 1 FROM person_flag f WHERE f.person_id = p.id AND f.flag IN "
        "('elderly','disabled','merit')) FROM appointment a JOIN slot s ON s.id = a.slot_id "
        "JOIN exam_day d ON d.id = a.day_id JOIN site x ON x.id = d.site_id JOIN person p ON p.id = a.person_id",
    )
    assert len(rows) == c["placed"]
    for prio, start, kind, group, _dob, year, flagged in rows:
        age = TODAY.year - year  # by birth year in the campaign year, as schools enrol
        assert prio == int(bool(flagged) or age >= 60)
        if prio:
            assert start < "12:00", "priority people go in the morning"
        pupil = group == "b" and 6 <= age <= 17
        assert (kind == "school") == pupil, "pupils at school days, and only they"
    assert any(r[0] for r in rows) and any(r[2] == "school" for r in rows)
    # not everyone fits: priority people are placed first, so if any was left out, no one else took a morning
    prio_left = [u for u in result.unplaced if u.code == "no_morning_room"]
    assert c["unplaced"] > 0
    if prio_left:
        assert not [r for r in rows if not r[0] and r[1] < "12:00" and r[2] != "school"]
    assert any(u.code == "full" for u in result.unplaced)
    audits = q(ctx, "SELECT details FROM audit_event WHERE action = 'schedule.plan'")
    assert len(audits) == 1 and len(json.loads(audits[0][0])["new"]) == c["placed"]
    queued = q(ctx, "SELECT count(*) FROM outbox WHERE kind = 'appointment' AND entity_version = 1")[0][0]
    assert queued == c["placed"]
    # the planner builds its payloads in memory: they must be what the database now holds
    from ksk_desktop.scheduling import sync_payload

    some = [p.appointment_id for p in result.placed[:: max(1, c["placed"] // 25)]]
    with ctx.read() as s:
        stored = {p["id"]: p for p in sync_payload.payloads(s, some)}
    for aid in some:
        (sent,) = q(ctx, "SELECT payload FROM outbox WHERE entity_id = :i", i=aid)
        assert json.loads(sent[0]) == json.loads(json.dumps(stored[aid]))


def test_plan_spreads_hamlets_and_reports_what_did_not_fit(world):
    ctx = world["ctx"]
    hamlets = [h for h, _n in q(ctx, "SELECT hamlet, count(*) FROM person GROUP BY hamlet ORDER BY 2 DESC")][
        :2
    ]
    result = planner.plan(
        ctx,
        world["campaign"],
        TODAY,
        TODAY + timedelta(days=5),
        population=planner.Population(groups={"c", "đ"}, hamlets=set(hamlets)),
    )
    assert result.counts["unplaced"] == 0 and result.counts["placed"] > 0
    placed_people = {p.person_id for p in result.placed}
    expected = {
        r[0]
        for r in q(
            ctx,
            "SELECT id FROM person WHERE target_group IN ('c','đ') AND hamlet IN (:a, :b)",
            a=hamlets[0],
            b=hamlets[1],
        )
    }
    assert placed_people == expected
    used = [d for d in result.days if d["placed"]]
    assert len(used) == 3, "spread over the three station days, none at the school"
    # a hamlet's people come on neighbouring days: the first hamlet (in Vietnamese order) starts first
    from ksk_desktop.text import collation_key

    first = min(hamlets, key=collation_key)
    by_person = {r[0]: r[1] for r in q(ctx, "SELECT id, hamlet FROM person")}
    first_day = min(p.date for p in result.placed)
    assert {by_person[p.person_id] for p in result.placed if p.date == first_day} >= {first}

    with pytest.raises(InvalidInput, match="Không có ngày khám nào còn mở"):
        planner.plan(ctx, world["campaign"], TODAY + timedelta(days=30), TODAY + timedelta(days=40))
    with pytest.raises(InvalidInput, match="đã qua"):
        planner.plan(ctx, world["campaign"], TODAY - timedelta(days=9), TODAY - timedelta(days=3))
    other = campaigns.create_campaign(ctx, name="Chỉ nhóm a", year=TODAY.year, groups="a")
    with pytest.raises(InvalidInput, match="không có nhóm"):
        planner.plan(
            ctx, other.id, TODAY, TODAY + timedelta(days=5), population=planner.Population(groups={"c"})
        )
    with pytest.raises(NotFound):
        planner.plan(ctx, "no-such-campaign", TODAY, TODAY + timedelta(days=5))


def test_replan_is_idempotent_respects_locks_and_never_duplicates(world):
    ctx = world["ctx"]
    end = TODAY + timedelta(days=6)
    first = planner.plan(ctx, world["campaign"], TODAY, end)
    snapshot = dict(q(ctx, "SELECT id, slot_id || '|' || version FROM appointment"))
    again = planner.plan(ctx, world["campaign"], TODAY, end)
    assert again.counts["new"] == again.counts["moved"] == again.counts["cancelled"] == 0
    assert again.counts["unchanged"] == first.counts["placed"]
    assert dict(q(ctx, "SELECT id, slot_id || '|' || version FROM appointment")) == snapshot

    # someone booked in an afternoon who is now recorded as disabled breaks a rule: with the mornings full they
    # keep their time (never cancelled for it); once a morning place frees up, only they move, into it
    (late,) = q(
        ctx,
        "SELECT a.id, a.person_id, a.slot_id FROM appointment a JOIN slot s ON s.id = a.slot_id "
        "JOIN exam_day d ON d.id = a.day_id JOIN site x ON x.id = d.site_id WHERE a.priority = 0 AND "
        "s.start_time >= '12:00' AND x.kind = 'station' ORDER BY a.id LIMIT 1",
    )
    persons.update_person(ctx, late.person_id, {}, flags=["disabled"])
    mornings_full = all(load >= cap for _sid, start, cap, load in slot_loads(ctx) if start < "12:00")
    if mornings_full:
        stays = planner.plan(ctx, world["campaign"], TODAY, end)
        assert stays.counts["moved"] == stays.counts["cancelled"] == stays.counts["new"] == 0
        assert q(ctx, "SELECT slot_id, status FROM appointment WHERE id = :i", i=late.id) == [
            (late.slot_id, "scheduled")
        ]
    days.set_capacity(ctx, world["days"][2], 11)  # one more place in every slot of that day
    fixed = planner.plan(ctx, world["campaign"], TODAY, end)
    assert [(p.appointment_id, p.action) for p in fixed.placed if p.action == "moved"] == [(late.id, "moved")]
    assert q(
        ctx,
        "SELECT s.start_time < '12:00' FROM appointment a JOIN slot s ON s.id = a.slot_id WHERE a.id = :i",
        i=late.id,
    ) == [(1,)]
    assert fixed.counts["new"] > 0 and fixed.counts["cancelled"] == 0  # the rest of the new places: newcomers
    snapshot = dict(q(ctx, "SELECT id, slot_id || '|' || version FROM appointment"))
    assert planner.plan(ctx, world["campaign"], TODAY, end).counts["moved"] == 0
    assert dict(q(ctx, "SELECT id, slot_id || '|' || version FROM appointment")) == snapshot

    locked_day = world["days"][0]
    days.lock_day(ctx, locked_day)
    held = dict(q(ctx, "SELECT id, slot_id FROM appointment WHERE day_id = :d", d=locked_day))
    assert held and all(
        r[0] for r in q(ctx, "SELECT locked FROM appointment WHERE day_id = :d", d=locked_day)
    )
    # more room later in the range: planning again fills it and moves nobody who already has a time...
    others = q(
        ctx, "SELECT count(*) FROM appointment WHERE status = 'scheduled' AND day_id != :d", d=locked_day
    )[0][0]
    days.add_day(
        ctx, site_id=world["station"], day=TODAY + timedelta(days=5), hours="07:30-09:30,13:30-15:30"
    )
    stable = planner.plan(ctx, world["campaign"], TODAY, end)
    assert stable.counts["moved"] == 0 and stable.counts["new"] > 0
    assert stable.counts["unchanged"] == others and stable.counts["already_scheduled"] == len(held)
    # ...while rebalancing spreads everyone again, so unlocked people move; locked ones must not
    third = planner.plan(ctx, world["campaign"], TODAY, end, rebalance=True)
    assert third.counts["moved"] > 0
    assert dict(q(ctx, "SELECT id, slot_id FROM appointment WHERE day_id = :d", d=locked_day)) == held
    assert no_duplicates(ctx)
    assert all(load <= cap for _sid, _start, cap, load in slot_loads(ctx))
    assert (
        planner.plan(ctx, world["campaign"], TODAY, end, rebalance=True).counts["moved"] == 0
    )  # stable again

    n = appointments.lock_campaign(ctx, world["campaign"])
    assert (
        n > 0
        and q(ctx, "SELECT count(*) FROM appointment WHERE locked = 0 AND status = 'scheduled'")[0][0] == 0
    )
    days.set_capacity(ctx, world["days"][1], 10)
    fourth = planner.plan(ctx, world["campaign"], TODAY, end, rebalance=True)
    assert fourth.counts["moved"] == 0 and fourth.counts["unchanged"] == 0  # everything is locked
    assert no_duplicates(ctx)
    moved_id = next(p.appointment_id for p in third.placed if p.action == "moved")
    assert logged(ctx, "schedule.plan", moved_id)[0] >= 1 and logged(ctx, "schedule.plan", moved_id)[1] >= 1


def test_manual_move_checks_capacity_and_is_audited(world):
    ctx = world["ctx"]
    planner.plan(ctx, world["campaign"], TODAY, TODAY + timedelta(days=5))
    full = next(sid for sid, _start, cap, load in slot_loads(ctx) if load >= cap)
    appt = q(ctx, "SELECT id, version, slot_id FROM appointment WHERE slot_id != :s LIMIT 1", s=full)[0]
    with pytest.raises(DayOverCapacity, match="đã đủ"):
        appointments.move_appointment(ctx, appt.id, full)
    days.set_capacity(ctx, world["days"][2], 11)
    target = q(
        ctx,
        "SELECT id FROM slot WHERE day_id = :d AND id != :s ORDER BY seq LIMIT 1",
        d=world["days"][2],
        s=appt.slot_id,
    )[0][0]
    moved = appointments.move_appointment(ctx, appt.id, target)
    assert moved["slot_id"] == target and moved["version"] == appt.version + 1
    assert moved["locked"], "a move by hand is kept by re-planning"
    replan = planner.plan(ctx, world["campaign"], TODAY, TODAY + timedelta(days=5), rebalance=True)
    assert all(p.appointment_id != appt.id for p in replan.placed)
    assert q(ctx, "SELECT slot_id FROM appointment WHERE id = :i", i=appt.id)[0][0] == target
    assert (
        q(ctx, "SELECT max(entity_version) FROM outbox WHERE entity_id = :i", i=appt.id)[0][0]
        == appt.version + 1
    )
    assert logged(ctx, "appointment.move", appt.id)[0] == 1
    with pytest.raises(DayOverCapacity, match="nhiều hơn"):
        days.set_capacity(ctx, world["days"][2], 5)


# -- the desk ---------------------------------------------------------------------------------------------------------
@pytest.fixture
def desk(admin_session):
    """A day today with 30 people planned (a,c groups), a day in three days, and a doctor."""
    ctx = admin_session
    add_people(ctx, 300, seed=11)
    camp = campaigns.create_campaign(ctx, name="KSK", year=TODAY.year, groups="a,b,c,d,đ")
    site = sites.add_site(ctx, name="Trạm", capacity_per_hour=10)
    today = days.add_day(ctx, site_id=site.id, day=TODAY, hours="07:30-09:30")  # 4 slots × 5
    later = days.add_day(ctx, site_id=site.id, day=TODAY + timedelta(days=3), hours="07:30-08:30")
    planner.plan(
        ctx, camp.id, TODAY, TODAY + timedelta(days=3), population=planner.Population(groups={"a", "c"})
    )
    users.add_user(ctx, "bacsi", "doctor", "Bac-si-khoa-2026", "BS. Thử")
    users.add_user(ctx, "letan", "reception", "Le-tan-khoa-2026", "ĐD. Thử")
    return {
        "ctx": ctx,
        "campaign": camp.id,
        "site": site.id,
        "today": today.id,
        "later": later.id,
    }


def todays(ctx, day_id):
    return q(
        ctx,
        "SELECT a.id, a.person_id FROM appointment a JOIN slot s ON s.id = a.slot_id JOIN person p "
        "ON p.id = a.person_id WHERE a.day_id = :d AND p.personal_id IS NOT NULL AND p.birth_date IS NOT NULL "
        "ORDER BY s.seq, a.id",
        d=day_id,
    )


def test_checkin_by_scan_and_by_barcode_gives_increasing_queue_numbers(desk, station, session_clock):
    paths, _ = station
    reception = login(paths, "letan", "Le-tan-khoa-2026", clock=session_clock)
    try:
        rows = todays(desk["ctx"], desk["today"])
        first = checkin.checkin_by_payload(reception, payload_of(reception, rows[0].person_id))
        assert first.status == "checked_in" and first.queue_no == 1 and first.matched_by == "personal_id"
        barcode = rows[1].id.replace("-", "").upper()  # a scanner may send it without dashes, in capitals
        second = checkin.checkin_by_appointment(reception, barcode)
        assert second.queue_no == 2 and second.appointment["status"] == "checked_in"
        third = checkin.checkin_scan(reception, payload_of(reception, rows[2].person_id))
        assert third.queue_no == 3 and "số thứ tự 3" in third.message
        again = checkin.checkin_scan(reception, rows[0].id)
        assert again.status == "already_checked_in" and again.queue_no == 1
        for r in rows[:3]:
            assert logged(reception, "appointment.checkin", r.id) == (1, 2)  # planned (v1) + checked in (v2)
        with pytest.raises(PermissionDenied):
            planner.plan(reception, desk["campaign"], TODAY, TODAY)
    finally:
        reception.close()


def test_checkin_by_an_id_number_typed_at_the_desk(desk, station, session_clock):
    paths, _ = station
    ctx = desk["ctx"]
    rows = todays(ctx, desk["today"])
    personal_id = q(ctx, "SELECT personal_id FROM person WHERE id = :p", p=rows[0].person_id)[0][0]
    persons.update_person(ctx, rows[1].person_id, {"old_id": "031234567"})
    reception = login(paths, "letan", "Le-tan-khoa-2026", clock=session_clock)
    try:
        first = checkin.checkin_by_id_number(reception, f" {personal_id} ", today=TODAY)
        assert (first.status, first.queue_no, first.matched_by) == ("checked_in", 1, "personal_id")
        assert first.appointment["id"] == rows[0].id and first.person["id"] == rows[0].person_id
        second = checkin.checkin_scan(reception, "031234567", today=TODAY)  # the desk's one entry field
        assert (second.status, second.queue_no, second.matched_by) == ("checked_in", 2, "old_id")
        assert second.appointment["id"] == rows[1].id
        again = checkin.checkin_by_id_number(reception, personal_id, today=TODAY)
        assert (again.status, again.queue_no) == ("already_checked_in", 1)
        assert logged(reception, "appointment.checkin", rows[0].id) == (1, 2)
        with pytest.raises(NotFound, match="Không có ai mang số …0000 ") as nobody_has_it:
            checkin.checkin_by_id_number(reception, "031099000000", today=TODAY)
        assert "031099000000" not in str(nobody_has_it.value)  # only the last 4 digits (ksk_desktop.redact)
        with pytest.raises(InvalidInput, match="12 chữ số"):
            checkin.checkin_by_id_number(reception, "12345", today=TODAY)
        persons.update_person(ctx, rows[2].person_id, {"old_id": "031234567"})  # an old number given twice
        with pytest.raises(InvalidInput, match="Có nhiều người mang số CMND …4567:"):
            checkin.checkin_by_id_number(reception, "031234567", today=TODAY)
        nobody = q(
            ctx,
            "SELECT personal_id FROM person WHERE personal_id IS NOT NULL AND id NOT IN "
            "(SELECT person_id FROM appointment)",
        )[0][0]
        with pytest.raises(NotOnTodaysList, match="chưa có lịch hẹn"):
            checkin.checkin_by_id_number(reception, nobody, today=TODAY)
    finally:
        reception.close()
    assert checkin.is_desk_code("031099000000") and checkin.is_desk_code("031234567")
    assert checkin.is_desk_code(rows[0].id) and checkin.is_desk_code("a|b")
    assert not checkin.is_desk_code("0310990000") and not checkin.is_desk_code("Nguyễn Văn A")


def test_not_on_todays_list_and_already_examined(desk, station, session_clock):
    ctx = desk["ctx"]
    later = q(
        ctx,
        "SELECT a.id, a.person_id FROM appointment a JOIN person p ON p.id = a.person_id "
        "WHERE a.day_id = :d AND p.personal_id IS NOT NULL AND p.birth_date IS NOT NULL LIMIT 1",
        d=desk["later"],
    )[0]
    with pytest.raises(NotOnTodaysList, match="lịch hẹn là ngày") as err:
        checkin.checkin_by_payload(ctx, payload_of(ctx, later.person_id))
    assert err.value.person_id == later.person_id and err.value.other["appointment_id"] == later.id
    with pytest.raises(NotOnTodaysList, match="không phải hôm nay"):
        checkin.checkin_by_appointment(ctx, later.id)
    nobody = q(
        ctx,
        "SELECT id FROM person WHERE personal_id IS NOT NULL AND birth_date IS NOT NULL AND id NOT IN "
        "(SELECT person_id FROM appointment)",
    )[0][0]
    with pytest.raises(NotOnTodaysList, match="chưa có lịch hẹn"):
        checkin.checkin_by_payload(ctx, payload_of(ctx, nobody))
    stranger = "031090999999||Người Lạ Mặt|01011990|Nam|Thôn Xa, Hải Phòng|10052021"
    with pytest.raises(NotOnTodaysList, match="chưa có trong danh sách người dân"):
        checkin.checkin_by_payload(ctx, stranger)
    with pytest.raises(InvalidInput):
        checkin.checkin_by_payload(ctx, "not a card")

    paths, _ = station
    doctor = login(paths, "bacsi", "Bac-si-khoa-2026", clock=session_clock)
    try:
        a = todays(ctx, desk["today"])[0]
        checkin.checkin_by_appointment(doctor, a.id)
        board.start_exam(doctor, a.id)
        board.mark_examined(doctor, a.id)
        with pytest.raises(AlreadyExamined, match="đã khám xong hôm nay"):
            checkin.checkin_by_appointment(doctor, a.id)
    finally:
        doctor.close()
    # examined this year: a scan on another day says so, and a walk-in is refused
    with pytest.raises(AlreadyExamined, match=f"trong năm {TODAY.year}"):
        checkin.checkin_by_payload(ctx, payload_of(ctx, a.person_id), today=TODAY + timedelta(days=3))
    with pytest.raises(AlreadyExamined):
        checkin.walk_in(ctx, a.person_id, now=ALL_DAY)


def test_walk_in_takes_the_next_free_slot_today(desk):
    ctx = desk["ctx"]
    free = days.add_day(
        ctx,
        site_id=sites.add_site(ctx, name="Nhà văn hóa thôn", kind="village_hall").id,
        day=TODAY,
        hours="13:00-14:00",
        slot_minutes=30,
        capacity_per_slot=2,
    )
    walkers = [
        r[0]
        for r in q(
            ctx,
            "SELECT id FROM person WHERE id NOT IN (SELECT person_id FROM appointment) "
            "AND target_group = 'đ' ORDER BY id LIMIT 6",
        )
    ]
    at = datetime.combine(TODAY, time(13, 10))
    with pytest.raises(InvalidInput, match="nhiều điểm khám"):
        checkin.walk_in(ctx, walkers[0], now=at)
    got = [checkin.walk_in(ctx, w, day_id=free.id, now=at) for w in walkers[:4]]
    assert [g.queue_no for g in got] == [1, 2, 3, 4] and all(g.status == "walk_in" for g in got)
    assert [g.appointment["start"] for g in got] == ["13:00", "13:00", "13:30", "13:30"]
    assert all(g.appointment["walk_in"] and g.appointment["status"] == "checked_in" for g in got)
    assert logged(ctx, "appointment.walk_in", got[0].appointment["id"]) == (1, 1)
    with pytest.raises(DayOverCapacity, match="đã kín chỗ"):
        checkin.walk_in(ctx, walkers[4], day_id=free.id, now=at)
    over = checkin.walk_in(ctx, walkers[4], day_id=free.id, now=at, allow_over_capacity=True)
    assert over.queue_no == 5
    # someone booked for another day who walks in today: their appointment comes to today
    later = q(ctx, "SELECT id, person_id FROM appointment WHERE day_id = :d LIMIT 1", d=desk["later"])[0]
    moved = checkin.walk_in(ctx, later.person_id, day_id=free.id, now=at, allow_over_capacity=True)
    assert moved.appointment["id"] == later.id and moved.appointment["date"] == TODAY.isoformat()
    assert no_duplicates(ctx)


def test_board_columns_follow_the_day(desk, station, session_clock):
    ctx = desk["ctx"]
    rows = todays(ctx, desk["today"])
    for r in rows[:4]:
        checkin.checkin_by_appointment(ctx, r.id)
    board.start_exam(ctx, rows[0].id)
    paths, _ = station
    reception = login(paths, "letan", "Le-tan-khoa-2026", clock=session_clock)
    try:
        with pytest.raises(PermissionDenied):
            board.mark_examined(reception, rows[0].id)
    finally:
        reception.close()
    doctor = login(paths, "bacsi", "Bac-si-khoa-2026", clock=session_clock)
    try:
        board.mark_examined(doctor, rows[1].id)
    finally:
        doctor.close()
    b = board.board(ctx)
    assert [r["queue_no"] for r in b.waiting] == [3, 4]
    assert [r["appointment_id"] for r in b.in_exam] == [rows[0].id]
    assert [r["appointment_id"] for r in b.done] == [rows[1].id]
    assert b.counts.total == b.counts.expected + 4
    board.return_to_queue(ctx, rows[0].id)
    assert [r["queue_no"] for r in board.board(ctx).waiting] == [1, 3, 4]
    show = day_schedule.day_schedule(ctx, TODAY)
    slot = show.days[0].slots[0]
    assert slot.booked == len(slot.appointments) <= slot.capacity
    keys = {"queue_no", "person_id", "name", "dob", "sex", "hamlet", "group", "phone", "status"}
    assert keys <= set(slot.appointments[0])


def test_reconcile_marks_no_shows_and_make_up_day_links_old_to_new(desk):
    ctx = desk["ctx"]
    past = TODAY - timedelta(days=2)
    with ctx.write() as s:  # a day behind us (only the demo and tests may add one)
        past_day = days.insert_day(
            ctx,
            s,
            site_id=desk["site"],
            day=past,
            hours="07:30-08:30",
            slot_minutes=30,
            capacity_per_slot=4,
            team_note=None,
        )
    planner.plan(ctx, desk["campaign"], past, past, today=past, population=planner.Population(groups={"đ"}))
    booked = q(ctx, "SELECT id FROM appointment WHERE day_id = :d ORDER BY id", d=past_day.id)
    assert len(booked) == 8
    for r in booked[:3]:
        checkin.checkin_by_appointment(ctx, r.id, today=past)
    with pytest.raises(InvalidInput, match="chưa đến"):
        reconcile.reconcile(ctx, TODAY + timedelta(days=1))
    with pytest.raises(InvalidInput, match="chưa hết giờ"):
        reconcile.reconcile(ctx, TODAY, now=datetime.combine(TODAY, time(8, 0)))
    result = reconcile.reconcile(ctx, past)
    assert result["counts"]["marked_now"] == 5 and result["counts"]["no_show"] == 5
    assert result["counts"]["not_finished"] == 3
    assert all(r["status"] == "no_show" for r in result["no_show"])
    assert reconcile.reconcile(ctx, past)["counts"]["marked_now"] == 0  # idempotent
    absent = [r["appointment_id"] for r in result["no_show"]]
    assert logged(ctx, "schedule.reconcile", absent[0]) == (1, 2)  # planned (v1), marked absent (v2)

    makeup = days.add_day(
        ctx, site_id=desk["site"], day=TODAY + timedelta(days=5), hours="07:30-08:00", capacity_per_slot=3
    )
    assert makeup.id in {d.id for d in reconcile.make_up_days(ctx, after=past)}
    with pytest.raises(DateInPast):
        reconcile.reschedule_no_shows(ctx, past_day.id, no_show_date=past)
    done = reconcile.reschedule_no_shows(ctx, makeup.id, no_show_date=past)
    assert (
        len(done["rescheduled"]) == 3 and len(done["not_rescheduled"]) == 2
    )  # three places on the make-up day
    assert all("kín chỗ" in x["reason"] for x in done["not_rescheduled"])
    for m in done["rescheduled"]:
        (new,) = q(
            ctx,
            "SELECT rescheduled_from, status, day_id FROM appointment WHERE id = :i",
            i=m["new_appointment_id"],
        )
        assert new == (m["appointment_id"], "scheduled", makeup.id)
        assert (
            q(ctx, "SELECT status FROM appointment WHERE id = :i", i=m["appointment_id"])[0][0]
            == "rescheduled"
        )
        assert logged(ctx, "schedule.makeup", m["new_appointment_id"]) == (1, 1)
    assert no_duplicates(ctx)
    # the planner also gives a no-show a new appointment pointing back to the missed one
    rest = [x["appointment_id"] for x in done["not_rescheduled"]]
    replanned = planner.plan(
        ctx, desk["campaign"], TODAY, TODAY + timedelta(days=3), population=planner.Population(groups={"đ"})
    )
    linked = q(
        ctx,
        "SELECT rescheduled_from FROM appointment WHERE rescheduled_from IN (:a, :b)",
        a=rest[0],
        b=rest[1],
    )
    placed = {p.person_id for p in replanned.placed}
    olds = {
        r[0]: r[1]
        for r in q(ctx, "SELECT id, person_id FROM appointment WHERE id IN (:a, :b)", a=rest[0], b=rest[1])
    }
    assert len(linked) == sum(olds[a] in placed for a in rest)


# -- coverage ---------------------------------------------------------------------------------------------------------
def test_coverage_counts_and_export(desk, station, session_clock, tmp_path):
    ctx = desk["ctx"]
    paths, _ = station
    doctor = login(paths, "bacsi", "Bac-si-khoa-2026", clock=session_clock)
    try:
        done = todays(ctx, desk["today"])[:4]
        for r in done:
            checkin.checkin_by_appointment(doctor, r.id)
            board.mark_examined(doctor, r.id)
    finally:
        doctor.close()
    cov = coverage.coverage(ctx, TODAY.year)
    total = q(ctx, "SELECT count(*) FROM person")[0][0]
    booked = q(
        ctx,
        "SELECT count(DISTINCT person_id) FROM appointment WHERE status IN ('scheduled','notified',"
        "'checked_in','in_exam')",
    )[0][0]
    assert cov["totals"] == {
        "total": total,
        "examined": 4,
        "not_examined": total - 4,
        "booked": booked,
        "not_booked": total - 4 - booked,
        "rate": round(400 / total, 1),
    }
    assert sum(h["total"] for h in cov["by_hamlet"]) == total == sum(g["total"] for g in cov["by_group"])
    assert sum(h["examined"] for h in cov["by_hamlet"]) == 4
    hamlet = q(ctx, "SELECT hamlet FROM person WHERE id = :p", p=done[0].person_id)[0][0]
    page = coverage.not_examined(ctx, TODAY.year, hamlet=hamlet, limit=5)
    assert page["total"] == next(h["not_examined"] for h in cov["by_hamlet"] if h["hamlet"] == hamlet)
    assert done[0].person_id not in {
        r["person_id"] for r in coverage.not_examined(ctx, TODAY.year, limit=10000)["rows"]
    }
    assert coverage.coverage(ctx, TODAY.year - 1)["totals"]["examined"] == 0

    out = coverage.export_xlsx(ctx, TODAY.year, tmp_path / "bao-phu.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "bao-phu.xlsx", read_only=True)
    assert wb.sheetnames == ["Tổng hợp", "Chưa khám"]
    rows = list(wb["Chưa khám"].iter_rows(values_only=True))
    assert len(rows) - 2 == out["rows"] == total - 4
    assert rows[1][:3] == ("STT", "Họ và tên", "Ngày sinh")
    summary = list(wb["Tổng hợp"].iter_rows(values_only=True))
    assert summary[-1][0] == "Tổng cộng" and summary[-1][2] == total
    assert q(ctx, "SELECT count(*) FROM audit_event WHERE action = 'coverage.export'")[0][0] == 1


def test_every_appointment_write_has_its_outbox_row_at_the_right_version(desk):
    ctx = desk["ctx"]
    rows = todays(ctx, desk["today"])
    appointments.mark_notified(ctx, [rows[0].id])
    checkin.checkin_by_appointment(ctx, rows[0].id)
    board.start_exam(ctx, rows[0].id)
    appointments.cancel_appointment(ctx, rows[1].id, "chuyển đi nơi khác")
    appointments.lock_appointment(ctx, rows[2].id)
    mismatched = q(
        ctx,
        "SELECT a.id FROM appointment a WHERE a.version != (SELECT max(o.entity_version) FROM outbox o "
        "WHERE o.kind = 'appointment' AND o.entity_id = a.id)",
    )
    assert mismatched == []
    assert q(ctx, "SELECT entity_version FROM outbox WHERE entity_id = :i ORDER BY seq", i=rows[0].id) == [
        (1,),
        (2,),
        (3,),
        (4,),
    ]
    # each item carries the appointment as it was at that version: every step reaches the hub
    steps = [
        json.loads(p)
        for (p,) in q(ctx, "SELECT payload FROM outbox WHERE entity_id = :i ORDER BY seq", i=rows[0].id)
    ]
    assert [(x["version"], x["status"]) for x in steps] == [
        (1, "scheduled"),
        (2, "notified"),
        (3, "checked_in"),
        (4, "in_exam"),
    ]
    assert steps[2]["queue_no"] == 1 and steps[2]["checked_in_at"].endswith("Z")
    assert steps[0]["date"] == TODAY.isoformat() and steps[0]["person_id"] == rows[0].person_id
    assert q(ctx, "SELECT count(*) FROM outbox WHERE kind = 'appointment' AND payload IS NULL")[0][0] == 0
    for action, aid in (
        ("appointment.notify", rows[0].id),
        ("appointment.checkin", rows[0].id),
        ("appointment.start_exam", rows[0].id),
        ("appointment.cancel", rows[1].id),
        ("appointment.lock", rows[2].id),
    ):
        assert logged(ctx, action, aid)[0] == 1, action
    with pytest.raises(InvalidStatus, match="trạng thái"):
        appointments.mark_notified(ctx, [rows[1].id])  # cancelled: no step back


def test_demo_schedule_shows_a_real_exam_day(admin_session):
    from ksk_desktop.scheduling.demo import seed_demo_schedule

    ctx = admin_session
    add_people(ctx, 900, seed=3)
    made = seed_demo_schedule(ctx, TODAY)
    b = board.board(ctx, TODAY)
    assert b.counts.waiting == 8 and b.counts.in_exam == 2 and b.counts.done == 5
    assert made["no_show_past"] > 0 and made["examined_past"] > 0
    assert board.board(ctx, date.fromisoformat(made["past_day"])).counts.no_show == made["no_show_past"]
    assert all(load <= cap for _sid, _start, cap, load in slot_loads(ctx)) and no_duplicates(ctx)
