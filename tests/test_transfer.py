"""Transfer files between two devices of one station (issue 16 §2, docs/multi-device.md §6): encrypted to the
station, signed by the sending device, the same items and ids as the hub sync; imported twice, out of order or
after the hub delivered the same items, nothing is duplicated; a truncated or altered file is refused whole; an
import killed mid-way leaves nothing of the file. A file carries what its device received through the hub from a
third device too. Receiving (by file or feed) applies a page in one go, refusing a broken item alone, and tries
waiting items again only when what they wait for has arrived (docs/multi-device.md §5)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlcipher3
from exam_support import DOCTOR, EXAM_DATE, STAFF_PASSWORD, add_staff, fill_adult, staff
from multidevice_support import (
    FAST,
    ISLAND,
    TODAY,
    both_in_step,
    schedule_and_examine,
    snapshot,
    take_the_desk,
    three_devices,
)
from sqlalchemy import func, select
from testkit.faultproxy import FaultProxy
from testkit.hubproc import HubProcess
from testkit.stations import PASSWORD, add_people, enroll, hub_rows, new_station, outbox_rows
from testkit.waiting import wait_until

from conftest import run_ksk
from ksk_desktop.db.engine import BUSY_TIMEOUT_MS
from ksk_desktop.db.models import AuditEvent, OutboxItem, Person, SyncReceivedItem, SyncState
from ksk_desktop.exams import records, signing
from ksk_desktop.people import persons
from ksk_desktop.scheduling import campaigns, checkin, days, planner, sites
from ksk_desktop.station.lifecycle import login
from sync.client import station_apply, transfer
from sync.client.worker import SyncWorker
from sync.protocol import REPLICATED_KINDS

WALK_IN_ID = "031190005678"


def walk_in_card() -> persons.PersonInput:
    """The walk-in as their citizen ID card gives them (scanned on both laptops the same day)."""
    return persons.PersonInput(
        full_name="Phạm Văn Đảo",
        personal_id=WALK_IN_ID,
        birth_date=EXAM_DATE.replace(year=1990),
        sex="M",
        commune_code=ISLAND[1],
    )


@pytest.fixture
def hub(tmp_path):
    proc = HubProcess(tmp_path / "hub.db", log=tmp_path / "hub.log").start()
    proc.db_url = f"sqlite:///{tmp_path / 'hub.db'}"
    yield proc
    proc.stop()


@pytest.fixture
def devices(tmp_path, hub):
    yield from three_devices(tmp_path, hub)


def in_step(main, team) -> list[str]:
    """Both devices hold the day and know each other's keys (the team synced before it left)."""
    waiting = both_in_step(main, team)
    assert SyncWorker(main, config=FAST).run_once().complete  # main learns the team laptop's public key
    return waiting


def island_day(team, waiting: list[str]) -> dict:
    """Offline on the island: the head takes the day's desk (the main desk had claimed it), two check-ins, a
    walk-in registered by CCCD, a signed exam for the walk-in."""
    take_the_desk(team, waiting[0])
    first = checkin.checkin_by_appointment(team, waiting[0], today=TODAY)
    second = checkin.checkin_by_appointment(team, waiting[1], today=TODAY)
    walk_in = persons.create_person(
        team,
        walk_in_card(),
    )
    add_staff(team)
    doctor = staff(team.paths, DOCTOR)
    exam_id = records.open_draft(doctor, walk_in.id, exam_date=EXAM_DATE).document["id"]
    fill_adult(doctor, exam_id)
    signed = signing.sign(doctor, exam_id, STAFF_PASSWORD)
    doctor.close()
    return {
        "queue": (first.queue_no, second.queue_no),
        "walk_in": walk_in.id,
        "exam": exam_id,
        "signed": signed,
    }


def outbox_count(ctx) -> int:
    with ctx.read() as s:
        return s.scalar(select(func.count()).select_from(OutboxItem)) or 0


def people_with_id(ctx, personal_id: str) -> list[str]:
    with ctx.read() as s:
        return list(s.scalars(select(Person.id).where(Person.personal_id == personal_id)))


def test_the_team_brings_results_home_on_a_stick_then_both_sync_and_nothing_is_twice(devices, hub, tmp_path):
    (main, team, _other), (_main_id, team_id, _other_id) = devices
    waiting = in_step(main, team)
    # The main desk registers the same walk-in the same day (the person came to the station first).
    at_desk = persons.create_person(
        main,
        walk_in_card(),
    )
    day = island_day(team, waiting)
    stick = tmp_path / "usb" / "dao.ksktx"
    stick.parent.mkdir()
    done = transfer.export(team, stick, since=0)
    # Its own items, and what it received from the desk through the hub (with the people they name).
    own = [r for r in outbox_rows(team) if r[1] in transfer.CARRIED]
    received, _until = transfer.received_items(team, 0, not_from=None, skip_people=set())
    assert own and received and done.items == len(own) + len(received)
    raw = stick.read_bytes()
    assert stick.stat().st_mode & 0o077 == 0  # readable by its owner only
    assert b"Ph\xe1\xba\xa1m" not in raw and WALK_IN_ID.encode() not in raw and b"signature" not in raw

    got = transfer.import_file(main, stick)
    assert got["refused"] == 0 and got["waiting"] == 0 and got["applied"] > 0, got
    # The walk-in is one person at the desk; the team's exam of them landed on that person.
    assert people_with_id(main, WALK_IN_ID) == [at_desk.id]
    with main.read() as s:
        from ksk_desktop.db.models import Appointment, ExamVersion

        exam = s.get_one(ExamVersion, (day["exam"], 1))
        assert exam.person_id == at_desk.id and exam.signature == day["signed"]["signature"]
        assert signing.check_row(s, exam) is None
        queues = [s.get_one(Appointment, a).queue_no for a in waiting[:2]]
    assert tuple(queues) == day["queue"]

    # Imported again (or a copy found later): every item is already here, nothing changes.
    before, queued = snapshot(main), outbox_count(main)
    again = transfer.import_file(main, stick)
    assert again["repeated"] == done.items and again["applied"] == 0
    assert snapshot(main) == before and outbox_count(main) == queued

    # A truncated, an altered and a padded file: refused with one line, nothing changed.
    broken = tmp_path / "broken.ksktx"
    for bad in (raw[: len(raw) // 2], raw[:-1], raw[:200] + bytes([raw[200] ^ 1]) + raw[201:], raw + b"\0"):
        broken.write_bytes(bad)
        with pytest.raises(transfer.TransferError) as refused:
            transfer.import_file(main, broken)
        assert "\n" not in refused.value.message and "không nhận gì" in refused.value.message
    assert snapshot(main) == before and outbox_count(main) == queued

    # Then both reach the hub, in either order: each exam once at the hub, the same state on both laptops.
    for ctx in (main, team, main, team):
        report = SyncWorker(ctx, config=FAST).run_once()
        assert report.complete and report.rejected == 0, report
    assert snapshot(main) == snapshot(team)
    exams = [(k, e, v) for _i, k, e, v in hub_rows(hub.db_url) if k in ("exam", "amendment")]
    assert len(exams) == len(set(exams))
    assert {e for _k, e, _v in exams} >= {day["exam"]}
    assert len(people_with_id(main, WALK_IN_ID)) == 1 and len(people_with_id(team, WALK_IN_ID)) == 1
    # The desk relayed the team's items under their own ids: the team's own push found them "duplicate".
    team_ids = {r[0] for r in outbox_rows(team)}
    assert team_ids & {r[0] for r in outbox_rows(main)}
    assert {r[4] for r in outbox_rows(team) if r[1] != "audit_head"} <= {"sent"}
    assert team_id


def test_a_file_is_refused_by_another_station_and_by_a_device_that_does_not_know_the_sender(
    devices, hub, tmp_path
):
    (main, team, other), _ids = devices
    for ctx in (main, team, other):
        assert SyncWorker(ctx, config=FAST).run_once().complete
    persons.create_person(team, persons.PersonInput(full_name="Lê Văn Biển", commune_code=ISLAND[1]))
    stick = tmp_path / "team.ksktx"
    transfer.export(team, stick, since=0)
    with pytest.raises(transfer.TransferError, match="trạm khác"):
        transfer.import_file(other, stick)
    # The main desk synced before the team laptop registered its key: it does not know the sender yet.
    with pytest.raises(transfer.TransferError, match="máy chưa biết"):
        transfer.import_file(main, stick)
    assert SyncWorker(main, config=FAST).run_once().complete
    assert transfer.import_file(main, stick)["applied"] == 1
    with pytest.raises(transfer.TransferError, match="chính máy này"):
        transfer.import_file(team, stick)


def test_transfer_on_the_command_line(devices, hub, tmp_path):
    (main, team, _other), (_main_id, team_id, _other_id) = devices
    in_step(main, team)
    paths = {"main": main.paths, "team": team.paths}
    main.close()
    team.close()

    def ksk(where: str, *args: str):
        return run_ksk(*args, "--user", "admin", "--json", data_dir=paths[where].root, password=PASSWORD)

    out = tmp_path / "for-team.ksktx"
    made = ksk("main", "transfer", "export", "--for", team_id, "-o", str(out))
    assert made.returncode == 0, made.stderr
    first = json.loads(made.stdout)
    assert first["items"] > 0 and first["since"] == 0 and Path(first["path"]) == out
    got = json.loads(ksk("team", "transfer", "import", str(out)).stdout)
    # The hub had brought them already: the items repeat, and people (which devices get through the hub's roster,
    # not as items) are applied unchanged.
    assert got["repeated"] > 0 and got["repeated"] + got["applied"] == first["items"]
    assert set(got["per_kind"]) <= {"person"} and got["refused"] == got["waiting"] == 0
    # The next file for the same device starts where the last one ended.
    again = json.loads(ksk("main", "transfer", "export", "--for", team_id, "-o", str(out)).stdout)
    assert (again["since"], again["items"]) == (first["until"], 0)
    out.write_bytes(out.read_bytes()[:-10])
    cut = ksk("team", "transfer", "import", str(out))
    assert cut.returncode != 0 and len(cut.stderr.strip().splitlines()) == 1 and "không nhận gì" in cut.stderr


def three_island_days(main) -> None:
    """1,200 people planned over three island days (over 1,000 appointments) on the main desk."""
    add_people(main, 1200, commune=ISLAND[1])
    camp = campaigns.create_campaign(main, name="Khám đảo", year=TODAY.year, groups="a,b,c,d,đ")
    site = sites.add_site(main, name="Điểm khám đảo", kind="island", capacity_per_hour=400)
    for n in range(3):
        days.add_day(main, site_id=site.id, day=TODAY + timedelta(days=n), today=TODAY, capacity_per_slot=40)
    planner.plan(main, camp.id, TODAY, TODAY + timedelta(days=2), today=TODAY)


# -- killed mid-sync: the station feed resumes, nothing is applied twice -------------------------------------
def test_a_team_laptop_killed_while_catching_up_resumes_and_ends_like_the_desk(devices, hub, tmp_path):
    (main, team, _other), _ids = devices
    three_island_days(main)
    assert SyncWorker(main, config=FAST).run_once().rejected == 0
    want = snapshot(main)
    assert len(want["appointments"]) > 1000
    team_root = team.paths.root
    team.close()
    # A little latency on every request widens the window in which a kill lands between two pages.
    with FaultProxy(("127.0.0.1", hub.port), fail_rate=0.0, latency_s=0.02) as proxy:
        probe = login(team.paths, "admin", PASSWORD, record=False)
        with probe.write() as s:
            s.get_one(SyncState, 1).hub_url = proxy.url
        env = dict(os.environ, KSK_DATA_DIR=str(team_root), KSK_PASSWORD=PASSWORD)
        cmd = [
            sys.executable,
            "-m",
            "ksk_desktop.cli.main",
            "sync",
            "run",
            "--once",
            "--user",
            "admin",
            "--json",
        ]
        cursors = [station_apply.item_cursor(probe)]
        for _ in range(10):  # each run is killed just after it committed a page, until one completes
            child = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait_until(
                lambda child=child: (station_apply.item_cursor(probe), child.poll()),
                lambda seen, last=cursors[-1]: seen[0] > last or seen[1] is not None,
                timeout=120,
                interval=0.005,
                what="a page of the station feed applied",
            )
            if child.poll() is not None:
                break
            child.kill()  # SIGKILL while it fetches or applies the next page: no cleanup of any kind
            child.wait(10)
            cursors.append(station_apply.item_cursor(probe))
        final = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
        assert final.returncode == 0, final.stderr
        end = station_apply.item_cursor(probe)
        assert len({c for c in cursors if 0 < c < end}) >= 2, f"kills did not land mid-catch-up: {cursors}"
        assert cursors == sorted(cursors)  # the cursor moves only with what was applied: never back
        assert snapshot(probe) == want
        with probe.read() as s:
            received = s.scalar(select(func.count()).select_from(SyncReceivedItem))
            applied = s.scalar(
                select(func.count()).select_from(SyncReceivedItem).where(SyncReceivedItem.state == "applied")
            )
        assert received == applied == len([r for r in outbox_rows(main) if r[1] in REPLICATED_KINDS])
        probe.close()


# -- receiving cheaply: a page in one go, a broken item refused alone, waiting items by what they wait for ---
def received(ctx, item_id: str) -> SyncReceivedItem:
    with ctx.read() as s:
        row = s.get_one(SyncReceivedItem, item_id)
        s.expunge(row)
        return row


def test_one_broken_item_is_refused_alone_and_the_rest_of_the_page_applied(devices):
    (main, team, _other), (main_id, _team_id, _other_id) = devices
    schedule_and_examine(main)
    items = [dict(it, device_id=main_id) for it in transfer.own_items(main, 0)[0]]
    broken = next(it for it in items if it["kind"] == "consent")
    del broken["payload"]["kind"]  # fails inside the applier (a KeyError), after the items before it went in
    got = station_apply.apply_items(team, items, "file")
    assert got.refused == 1 and got.applied == len(items) - 1 and got.waiting == 0, got
    row = received(team, broken["item_id"])
    assert row.state == "refused" and "KeyError" in (row.reason or "")
    assert json.loads(row.payload or "{}") == broken["payload"]  # its content kept, to be looked at
    want, here = snapshot(main), snapshot(team)
    assert here["consents"] == [] and want["consents"]
    assert {k: v for k, v in here.items() if k != "consents"} == {
        k: v for k, v in want.items() if k != "consents"
    }
    again = station_apply.apply_items(team, items, "file")  # every id known: nothing applied twice
    assert again.repeated == len(items) and again.applied == again.refused == 0


def test_waiting_items_are_tried_again_only_when_what_they_wait_for_arrives(devices, monkeypatch):
    (main, team, _other), (main_id, _team_id, _other_id) = devices
    schedule_and_examine(main)
    items = [dict(it, device_id=main_id) for it in transfer.own_items(main, 0)[0]]
    by_kind: dict[str, list[dict]] = {}
    for it in items:
        by_kind.setdefault(it["kind"], []).append(it)
    late = [it for k in ("appointment", "exam", "amendment", "referral", "consent") for it in by_kind[k]]
    first = station_apply.apply_items(team, late, "file")
    assert first.applied == 0 and first.waiting == len(late)
    with team.read() as s:
        waits = {r.wait_kind for r in s.scalars(select(SyncReceivedItem))}
    assert waits == {"person"}  # each says what it waits for

    calls: list[str] = []
    for kind, applier in list(station_apply.APPLIERS.items()):
        monkeypatch.setitem(
            station_apply.APPLIERS,
            kind,
            lambda ctx, s, it, applier=applier: calls.append(it.kind) or applier(ctx, s, it),
        )
    # A site and a campaign arrive: nothing waits for them yet, so no waiting item is even read again.
    second = station_apply.apply_items(team, by_kind["site"] + by_kind["campaign"], "file")
    assert second.applied == 2 and calls == ["site", "campaign"]
    # The people arrive: the items waiting for them are tried again; appointments now wait for their day.
    calls.clear()
    third = station_apply.apply_items(team, by_kind["person"], "file")
    assert third.applied >= len(by_kind["person"]) and "appointment" in calls
    with team.read() as s:
        still = {
            (r.kind, r.wait_kind)
            for r in s.scalars(select(SyncReceivedItem).where(SyncReceivedItem.state == "waiting"))
        }
    assert ("appointment", "place") in still and all(w in ("place", "key") for _k, w in still)
    rest = [it for k in ("exam_day", "doctor_key") for it in by_kind[k]]
    last = station_apply.apply_items(team, rest, "file")
    assert last.waiting == 0
    assert snapshot(team) == snapshot(main)


# -- killed mid-import: nothing of the file, the next import completes ---------------------------------------
def writing(ctx) -> bool:
    """Whether another process holds the database's write lock now (a write transaction is open)."""
    pooled = ctx.db.engine.raw_connection()  # the driver's own connection: no transaction begun for us
    conn = pooled.driver_connection
    try:
        conn.execute("PRAGMA busy_timeout = 0")
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlcipher3.dbapi2.OperationalError as exc:
            if "locked" not in str(exc):
                raise
            return True
        conn.execute("ROLLBACK")
        return False
    finally:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        pooled.close()


def state(ctx) -> dict:
    with ctx.read() as s:
        counts = {
            model.__name__: s.scalar(select(func.count()).select_from(model)) or 0
            for model in (Person, OutboxItem, SyncReceivedItem)
        }
        imports = s.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "transfer.import")
        )
    return {"counts": counts, "imports": imports, **snapshot(ctx)}


def test_an_import_killed_mid_way_leaves_nothing_half_written_and_the_next_one_completes(devices, tmp_path):
    (main, team, _other), _ids = devices
    for ctx in (main, team):  # each knows the other's public key; then the desk works with no network
        assert SyncWorker(ctx, config=FAST).run_once().complete
    three_island_days(main)
    stick = tmp_path / "usb" / "dao.ksktx"
    stick.parent.mkdir()
    made = transfer.export(main, stick, since=0)
    assert made.items > 2000
    want = snapshot(main)
    before = state(team)
    paths = team.paths
    team.close()
    probe = login(paths, "admin", PASSWORD, record=False)
    env = dict(os.environ, KSK_DATA_DIR=str(paths.root), KSK_PASSWORD=PASSWORD)
    cmd = [sys.executable, "-m", "ksk_desktop.cli.main", "transfer", "import", str(stick), "--user", "admin"]

    assert not writing(probe)  # the probe tells a held lock from a free one
    child = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # The import's transaction holds the write lock from its first write to its commit (seconds for this
    # file); the login's own short writes do not hold it for long. Kill once it has been held a while.
    held_since: list[float] = []

    def lock_held_long() -> bool:
        if child.poll() is not None:
            return True
        if not writing(probe):
            held_since.clear()
            return False
        held_since.append(time.monotonic())
        return held_since[-1] - held_since[0] >= 0.5

    wait_until(
        lambda: lock_held_long(), lambda held: held, timeout=120, interval=0.01, what="the import writing"
    )
    assert child.poll() is None, "the import finished before it could be killed"
    child.kill()  # SIGKILL inside the import's transaction: no cleanup of any kind
    child.wait(10)
    assert not writing(probe)
    assert state(probe) == before  # nothing of the file: not a person, an appointment or a received id

    done = subprocess.run(cmd + ["--json"], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    after = state(probe)
    assert after["imports"] == before["imports"] + 1
    assert after["counts"]["SyncReceivedItem"] == made.items  # every item once
    assert after["counts"]["Person"] == before["counts"]["Person"] + 1200
    assert after["appointments"] == want["appointments"]
    again = subprocess.run(cmd + ["--json"], env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and state(probe)["counts"] == after["counts"]
    probe.close()


# -- items received through the hub from a third device travel on --------------------------------------------
def test_the_desk_hands_the_team_what_the_doctors_laptop_signed(devices, hub, tmp_path):
    (main, team, _other), (_main_id, team_id, _other_id) = devices
    doctor = login(new_station(tmp_path / "doctor", code=ISLAND[0], commune=ISLAND[1]), "admin", PASSWORD)
    doctor_id = enroll(doctor, hub.db_url, hub.url)
    for ctx in (main, doctor, team):  # each registers its key; the team learns the desk's
        assert SyncWorker(ctx, config=FAST).run_once().complete
    day = schedule_and_examine(doctor)  # people, a day, check-ins, a signed exam, its amendment, a referral
    assert SyncWorker(doctor, config=FAST).run_once().rejected == 0
    assert SyncWorker(main, config=FAST).run_once().complete  # the desk gets it through the hub
    want = snapshot(doctor)
    assert snapshot(main) == want and want["exams"]

    # The team has no network: the desk's file for it carries the doctor's items, under their ids.
    stick = tmp_path / "usb" / "for-team.ksktx"
    stick.parent.mkdir()
    made = transfer.export(main, stick, for_device=team_id)
    got = transfer.import_file(team, stick)
    assert got["refused"] == 0 and got["waiting"] == 0 and got["applied"] == made.items, got
    assert snapshot(team) == want
    with team.read() as s:
        exam_row = s.get_one(SyncReceivedItem, next(iter(exam_items(doctor, day["exam"]))))
        assert exam_row.device_id == doctor_id and exam_row.source == "file"
        # What the desk had from the hub is not queued for the hub again from here.
        assert not s.scalars(select(OutboxItem).where(OutboxItem.kind != "audit_head")).all()

    # The next file for the team starts after it: nothing more to carry.
    again = transfer.export(main, tmp_path / "usb" / "again.ksktx", for_device=team_id)
    assert again.items == 0
    # Then the team syncs: the hub's copies are repeats; each exam once everywhere.
    report = SyncWorker(team, config=FAST).run_once()
    assert report.complete and report.receive["applied"] == 0, report.receive
    assert snapshot(team) == want
    exams = [(k, e, v) for _i, k, e, v in hub_rows(hub.db_url) if k in ("exam", "amendment")]
    assert len(exams) == len(set(exams)) == 2
    doctor.close()


def exam_items(ctx, exam_id: str) -> list[str]:
    with ctx.read() as s:
        return list(
            s.scalars(
                select(OutboxItem.item_id).where(OutboxItem.kind == "exam", OutboxItem.entity_id == exam_id)
            )
        )
