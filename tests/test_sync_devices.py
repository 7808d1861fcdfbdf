"""One station, several devices (issue 16, docs/multi-device.md): the hub's station feed against the real hub in a
child process on loopback, with two data folders enrolled as two devices of the same station and a third
folder of another station."""

from __future__ import annotations

from contextlib import closing

import pytest
from exam_support import DOCTOR, EXAM_DATE, STAFF_PASSWORD, add_person, add_staff, fill_adult, staff
from multidevice_support import (
    FAST,
    ISLAND,
    OTHER,
    TODAY,
    both_in_step,
    schedule_and_examine,
    snapshot,
    take_the_desk,
    three_devices,
)
from sqlalchemy import select
from testkit.hubdb import BACKENDS, empty_hub_db
from testkit.hubproc import HubProcess
from testkit.stations import add_people, outbox_rows

from ksk_desktop.db.models import (
    Appointment,
    ExamSigningKey,
    ExamVersion,
    Person,
)
from ksk_desktop.exams import records, signing
from ksk_desktop.outbox import sync_state
from ksk_desktop.people import consent
from ksk_desktop.scheduling import appointments, checkin
from sync.client import station_apply, transfer
from sync.client.transport import HubRefused, HubTransport
from sync.client.worker import SyncWorker
from sync.hub.store import HubStore
from sync.protocol import REPLICATED_KINDS


@pytest.fixture(params=BACKENDS)
def hub(request, tmp_path):
    url = empty_hub_db(request.param, tmp_path)
    proc = HubProcess(url, log=tmp_path / "hub.log").start()
    proc.db_url = url
    yield proc
    proc.stop()


@pytest.fixture
def devices(tmp_path, hub):
    yield from three_devices(tmp_path, hub)


def transport_of(ctx, hub) -> HubTransport:
    link = sync_state.hub_link(ctx)
    assert link is not None
    return HubTransport(hub.url, link.credential)


def person_ids(ctx) -> list[str]:
    with ctx.read() as s:
        return list(s.scalars(select(Person.id).order_by(Person.id)))


def pull_all(transport: HubTransport, limit: int = 500) -> tuple[list[dict], list[dict]]:
    """Every page of the station feed from 0; returns the items and each page's (cursor, remaining)."""
    cursor, items, pages = 0, [], []
    while True:
        page = transport.station_items(cursor, limit)
        items += page["items"]
        pages.append({"cursor": page["next_cursor"], "remaining": page["remaining"], "n": len(page["items"])})
        cursor = page["next_cursor"]
        if not page["more"]:
            return items, pages


def test_a_device_receives_its_station_items_from_the_other_devices_only(devices, hub):
    (main, team, other), (main_id, team_id, other_id) = devices
    # The main desk: two people, a consent for one, a signed exam (its doctor's key goes with it).
    add_staff(main)
    an_id = add_person(main)
    add_people(main, 1, commune=ISLAND[1])
    given = consent.record(main, an_id, "ehr_share")
    doctor = staff(main.paths, DOCTOR)
    exam_id = records.open_draft(doctor, an_id, exam_date=EXAM_DATE).document["id"]
    fill_adult(doctor, exam_id)
    signed = signing.sign(doctor, exam_id, STAFF_PASSWORD)
    doctor.close()
    # The team laptop and the other station each record something of their own.
    add_people(team, 1, commune=ISLAND[1], offset=50)
    binh = person_ids(team)[0]
    consent.record(team, binh, "exam")
    add_people(other, 1, commune=OTHER[1], offset=90)
    consent.record(other, person_ids(other)[0], "exam")
    for ctx in (main, team, other):
        report = SyncWorker(ctx, config=FAST).run_once()
        assert report.complete and report.rejected == 0, report

    main_items = {r[0]: r for r in outbox_rows(main)}
    with closing(transport_of(team, hub)) as t:
        items, pages = pull_all(t)
    # Exactly the main desk's replicated items, with the ids its outbox gave them, in the hub's order.
    expected = [r[0] for r in outbox_rows(main) if r[1] in REPLICATED_KINDS]
    assert [it["item_id"] for it in items] == expected
    assert {it["kind"] for it in items} == {"consent", "doctor_key", "exam"}
    assert all(it["device_id"] == main_id for it in items)
    assert all(
        main_items[it["item_id"]][1:4] == (it["kind"], it["entity_id"], it["entity_version"]) for it in items
    )
    (c,) = [it for it in items if it["kind"] == "consent"]
    assert c["entity_id"] == given.id and c["payload"]["person_id"] == an_id
    (e,) = [it for it in items if it["kind"] == "exam"]
    assert e["payload"]["signature"] == signed["signature"] and e["payload"]["status"] == "signed"
    # The station's devices with their last contact; never another station's device.
    with closing(transport_of(team, hub)) as t:
        page = t.station_items(0)
    listed = {d["device_id"]: d for d in page["devices"]}
    assert set(listed) == {main_id, team_id}
    assert all(
        d["last_seen_at"] and d["last_seen_at"].endswith("Z") and not d["revoked"] for d in listed.values()
    )

    # The main desk gets the team's consent only; the other station gets nothing of this station's.
    with closing(transport_of(main, hub)) as t:
        (only,) = pull_all(t)[0]
    assert (only["kind"], only["device_id"], only["payload"]["person_id"]) == ("consent", team_id, binh)
    with closing(transport_of(other, hub)) as t:
        assert pull_all(t)[0] == []
        assert [d["device_id"] for d in t.station_items(0)["devices"]] == [other_id]


def test_a_device_away_for_long_catches_up_page_by_page_and_resumes(devices, hub):
    (main, team, _other), _ids = devices
    add_people(main, 30, commune=ISLAND[1])
    ids = person_ids(main)
    for pid in ids:
        consent.record(main, pid, "exam")
    assert SyncWorker(main, config=FAST).run_once().complete
    with closing(transport_of(team, hub)) as t:
        items, pages = pull_all(t, limit=7)
        assert len(items) == 30 and len({it["item_id"] for it in items}) == 30
        # Progress: what remains after each page counts down to nothing.
        assert [p["remaining"] for p in pages] == [23, 16, 9, 2, 0]
        # Resuming from any page's cursor gives exactly the rest, whatever the page size.
        resumed = t.station_items(pages[1]["cursor"], 1000)
        assert [it["item_id"] for it in resumed["items"]] == [it["item_id"] for it in items[14:]]
        assert resumed["more"] is False and resumed["remaining"] == 0
        # A cursor at the end is an empty page that keeps its place.
        end = t.station_items(pages[-1]["cursor"], 10)
        assert end["items"] == [] and end["next_cursor"] == pages[-1]["cursor"]


def test_a_revoked_device_reads_nothing_of_its_station(devices, hub):
    (main, team, _other), (_main_id, team_id, _other_id) = devices
    add_people(main, 2, commune=ISLAND[1])
    consent.record(main, person_ids(main)[0], "exam")
    assert SyncWorker(main, config=FAST).run_once().complete
    store = HubStore(hub.db_url)
    try:
        assert store.revoke(team_id)
    finally:
        store.close()
    with closing(transport_of(team, hub)) as t, pytest.raises(HubRefused):
        t.station_items(0)
    with closing(HubTransport(hub.url, "not-a-credential")) as t, pytest.raises(HubRefused):
        t.station_items(0)


# -- the client: applying what the station's other devices recorded -------------------------------------------
def test_the_team_laptop_applies_what_the_main_desk_recorded_once_and_verifies_it(devices, hub, tmp_path):
    (main, team, _other), (main_id, team_id, _other_id) = devices
    made = schedule_and_examine(main)
    assert SyncWorker(main, config=FAST).run_once().rejected == 0
    report = SyncWorker(team, config=FAST).run_once()
    assert report.complete and report.rejected == 0, report
    # People came through /changes, everything else through the station feed: the same state on both.
    want = snapshot(main)
    assert (
        len(want["appointments"]) >= 3 and len(want["exams"]) == 2 and want["referrals"] and want["followups"]
    )
    assert sorted(q for *_, q, _v in want["appointments"] if q) == [1, 2]
    assert snapshot(team) == want
    assert report.receive["waiting"] == 0 and report.receive["applied"] == report.received
    assert {"campaign", "site", "exam_day", "appointment", "exam", "amendment"} <= set(
        report.receive["per_kind"]
    )
    # The exams verify on the team laptop with the doctor's public key that came with them; no private key.
    with team.read() as s:
        for version in (1, 2):
            assert signing.check_row(s, s.get_one(ExamVersion, (made["exam"], version))) is None
        key = s.get_one(ExamSigningKey, made["v1"]["signer_key_id"])
        assert key.wrapped_private_key is None and not key.active
    # Nothing received goes back up (no echo); the main desk receives nothing of its own.
    assert [r for r in outbox_rows(team) if r[1] in REPLICATED_KINDS] == []
    again = SyncWorker(main, config=FAST).run_once()
    assert again.received == 0 and snapshot(main) == want
    # The station's devices, with the hub's last contact, in `ksk sync status --json` (the old keys kept).
    status = sync_state.status(team).to_json()
    assert {d["device_id"]: d["this_device"] for d in status["devices"]} == {main_id: False, team_id: True}
    assert all(d["last_seen_at"] for d in status["devices"])
    assert status["received_waiting"] == 0 and status["item_cursor"] > 0 and "pull_cursor" in status
    # The same items again, by another route (a transfer file): each applied once, nothing changes.
    with closing(transport_of(team, hub)) as t:
        items = pull_all(t)[0]
    repeat = station_apply.apply_items(team, items, "file")
    assert (repeat.repeated, repeat.applied) == (len(items), 0)
    assert snapshot(team) == want


def test_two_devices_change_the_same_appointment_offline_the_same_winner_everywhere_and_the_loser_kept(
    devices, hub
):
    (main, team, _other), (_main_id, team_id, _other_id) = devices
    waiting = both_in_step(main, team)
    assert len(waiting) >= 1
    contested = waiting[0]
    # Offline: the desk only notifies the person, the team checks them in on the island.
    appointments.mark_notified(main, [contested])
    take_the_desk(team, contested)  # the head moved the day's desk to the team laptop
    came = checkin.checkin_by_appointment(team, contested, today=TODAY)
    for ctx in (main, team, main):
        assert SyncWorker(ctx, config=FAST).run_once().rejected == 0
    assert snapshot(main) == snapshot(team)
    with main.read() as s:
        appt = s.get_one(Appointment, contested)
        assert (appt.status, appt.queue_no) == ("checked_in", came.queue_no)  # the visit went further
    # The notification that lost is kept and shown on both devices.
    for ctx in (main, team):
        (conflict,) = station_apply.conflicts(ctx)
        assert conflict["entity_id"] == contested and conflict["kind"] == "appointment"
        assert "song song" in conflict["detail"]
        assert sync_state.status(ctx).conflicts == 1
    (on_team,) = station_apply.conflicts(team)
    assert on_team["lost_device_id"] is not None and on_team["lost_device_id"] != team_id


def test_one_queue_number_given_twice_offline_goes_to_whoever_came_first_on_both_devices(devices, hub):
    (main, team, _other), _ids = devices
    waiting = both_in_step(main, team)
    assert len(waiting) >= 2
    first = checkin.checkin_by_appointment(main, waiting[0], today=TODAY)
    take_the_desk(team, waiting[1])  # the head moved the desk to the team laptop, the desk did not know yet
    second = checkin.checkin_by_appointment(team, waiting[1], today=TODAY)
    assert first.queue_no == second.queue_no  # both desks gave the next number
    for ctx in (main, team, main):
        assert SyncWorker(ctx, config=FAST).run_once().rejected == 0
    assert snapshot(main) == snapshot(team)
    with team.read() as s:
        assert s.get_one(Appointment, waiting[0]).queue_no == first.queue_no
        kept_out = s.get_one(Appointment, waiting[1])
        assert kept_out.queue_no is None and kept_out.status == "checked_in"
    for ctx in (main, team):
        assert [c["detail"] for c in station_apply.conflicts(ctx)] == ["số thứ tự trùng: giữ người đến trước"]


def test_items_arriving_out_of_order_wait_for_what_they_refer_to_and_are_applied_when_it_comes(devices):
    """Files read in the wrong order: appointments before their person and exam day, an exam before its doctor's
    key. They wait (kept, counted) and are applied, once each, when what they need arrives."""
    (main, team, _other), (main_id, _team_id, _other_id) = devices
    schedule_and_examine(main)
    items = [dict(it, device_id=main_id) for it in transfer.own_items(main, 0)[0]]
    needs = ("person", "campaign", "site", "exam_day", "doctor_key")
    late = [it for it in items if it["kind"] not in needs]
    first = station_apply.apply_items(team, late, "file")
    assert first.applied == 0 and first.waiting == len(late) == sync_state.status(team).received_waiting
    second = station_apply.apply_items(team, [it for it in items if it["kind"] in needs], "file")
    assert second.waiting == 0 and second.applied == len(items)  # the waiting ones went in after
    assert snapshot(team) == snapshot(main)
    again = station_apply.apply_items(team, items, "file")
    assert again.repeated == len(items) and again.applied == 0
