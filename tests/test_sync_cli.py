"""``ksk hub …`` and ``ksk sync …`` through the real command line (child processes), against a real hub process.

Includes the poison-item proof (c): item 4 of 10 rejected → the other 9 accepted, item 4 parked with the
hub's reason, never retried silently, never skipped: a person re-queues it and it goes through.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from testkit.hubproc import HubProcess
from testkit.stations import hub_rows, outbox_rows, synthetic_people

from conftest import ADMIN, ADMIN_PASSWORD, COMMUNE, run_ksk
from ksk_desktop.outbox import sync_state
from ksk_desktop.people import persons
from ksk_desktop.station.lifecycle import login


@pytest.fixture
def hub(tmp_path):
    db = tmp_path / "hub.db"
    proc = HubProcess(db).start()
    proc.db_path = db
    proc.db_url = f"sqlite:///{db}"
    yield proc
    proc.stop()


def ksk(station_paths, *args: str):
    return run_ksk(*args, "--user", ADMIN, "--json", data_dir=station_paths.root, password=ADMIN_PASSWORD)


def hub_cmd(hub, *args: str):
    return run_ksk("hub", *args, "--db", str(hub.db_path), "--json", data_dir=hub.db_path.parent)


def register(hub, station: str = "TYT-TEST", commune: str = COMMUNE) -> None:
    """What the hub administrator does before issuing a station's enrolment codes."""
    out = hub_cmd(hub, "station", "add", "--station", station, "--commune", commune, "--name", "Trạm thử")
    assert out.returncode == 0, out.stderr


def test_hub_commands_enroll_code_stats_devices_revoke(station, hub):
    paths, _ = station
    unknown = hub_cmd(hub, "enroll-code", "--station", "TYT-TEST")  # not registered yet: no code
    assert unknown.returncode != 0 and "chưa được đăng ký" in unknown.stderr and unknown.stdout == ""
    register(hub)
    listed = json.loads(hub_cmd(hub, "station", "list").stdout)
    assert [(s["station_code"], s["commune_codes"], s["devices"]) for s in listed] == [
        ("TYT-TEST", [COMMUNE], 0)
    ]
    again_station = hub_cmd(hub, "station", "add", "--station", "TYT-TEST", "--commune", COMMUNE)
    assert again_station.returncode != 0 and "đã được đăng ký" in again_station.stderr
    for days in ("-3", "0", "91"):
        bad = hub_cmd(hub, "enroll-code", "--station", "TYT-TEST", "--days", days)
        assert bad.returncode != 0 and "Số ngày hiệu lực" in bad.stderr and bad.stdout == ""
    out = hub_cmd(hub, "enroll-code", "--station", "TYT-TEST")
    assert out.returncode == 0, out.stderr
    code = json.loads(out.stdout)["code"]
    enrolled = ksk(paths, "sync", "enroll", "--hub", hub.url, "--code", code)
    assert enrolled.returncode == 0, enrolled.stderr
    device = json.loads(enrolled.stdout)["device_id"]
    assert "token" not in enrolled.stdout
    again = ksk(paths, "sync", "enroll", "--hub", hub.url, "--code", code)  # one-time code
    assert again.returncode == 6 and "Mã đăng ký" in again.stderr
    stats = json.loads(hub_cmd(hub, "stats").stdout)
    assert stats["devices"] == 1 and stats["items"] == 0 and stats["stations"] == 1
    assert json.loads(hub_cmd(hub, "station", "list").stdout)[0]["devices"] == 1
    assert json.loads(hub_cmd(hub, "devices").stdout)[0]["device_id"] == device
    assert hub_cmd(hub, "revoke", "--device", device).returncode == 0
    refused = ksk(paths, "sync", "run", "--once")
    assert refused.returncode == 6 and json.loads(refused.stdout)["report"]["refused"] is True
    status = json.loads(ksk(paths, "sync", "status").stdout)
    assert "thu hồi" in status["last_error"]


def test_plain_http_to_another_machine_is_refused(station):
    paths, _ = station
    out = ksk(paths, "sync", "enroll", "--hub", "http://192.0.2.10:8765", "--code", "AAAA-BBBB")
    assert out.returncode != 0 and "HTTPS" in out.stderr


def test_item_4_of_10_rejected_is_parked_and_never_skipped(station, hub):
    paths, _ = station
    ctx = login(paths, ADMIN, ADMIN_PASSWORD)
    try:
        people = [persons.create_person(ctx, p) for p in synthetic_people(10, seed=3)]
        fourth = people[3].id
        with ctx.write() as s:  # a record the hub refuses (an ID that lost a digit behind the app's back)
            s.execute(text("UPDATE person SET personal_id = '03119000432' WHERE id = :i"), {"i": fourth})
        queued = outbox_rows(ctx)
    finally:
        ctx.close()
    register(hub)
    code = json.loads(hub_cmd(hub, "enroll-code", "--station", "TYT-TEST").stdout)["code"]
    assert ksk(paths, "sync", "enroll", "--hub", hub.url, "--code", code).returncode == 0

    run = ksk(paths, "sync", "run", "--once", "--batch-size", "200")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)["report"]
    assert report["accepted"] == 9 and report["rejected"] == 1
    assert {r[0] for r in hub_rows(hub.db_url)} == {r[0] for r in queued} - {queued[3][0]}
    parked = json.loads(ksk(paths, "sync", "parked").stdout)
    assert [p["item_id"] for p in parked] == [queued[3][0]] and parked[0]["entity_id"] == fourth
    assert "12 chữ số" in parked[0]["reason"]
    status = json.loads(ksk(paths, "sync", "status").stdout)
    assert status["pending"] == 0 and status["parked"] == 1 and status["last_success_at"]

    # Later runs deliver new work around it and never retry it on their own.
    ctx = login(paths, ADMIN, ADMIN_PASSWORD)
    try:
        persons.create_many(ctx, synthetic_people(5, seed=3, offset=50))
    finally:
        ctx.close()
    report = json.loads(ksk(paths, "sync", "run", "--once").stdout)["report"]
    assert report["accepted"] == 5 and report["rejected"] == 0
    assert json.loads(ksk(paths, "sync", "status").stdout)["parked"] == 1

    # A person fixes the record and re-queues the parked item: it goes through with its original id.
    ctx = login(paths, ADMIN, ADMIN_PASSWORD)
    try:
        persons.update_person(ctx, fourth, {"personal_id": "031190004321"})
    finally:
        ctx.close()
    assert ksk(paths, "sync", "retry", parked[0]["item_id"]).returncode == 0
    assert ksk(paths, "sync", "retry", parked[0]["item_id"]).returncode == 2  # no longer parked
    report = json.loads(ksk(paths, "sync", "run", "--once").stdout)["report"]
    assert report["accepted"] == 2 and report["rejected"] == 0  # the re-queued item and the edit's own item
    status = json.loads(ksk(paths, "sync", "status").stdout)
    assert status["pending"] == 0 and status["parked"] == 0
    assert queued[3][0] in {r[0] for r in hub_rows(hub.db_url)}
    stats = json.loads(hub_cmd(hub, "stats").stdout)
    assert stats["persons"] == 15 and stats["items_per_kind"]["person"] == 16
    assert stats["items_per_station"]["TYT-TEST"]["person"] == 16


def test_status_and_parked_before_enrolment(station):
    paths, _ = station
    status = json.loads(ksk(paths, "sync", "status").stdout)
    assert status["enrolled"] is False and status["pending"] == 0 and status["last_success_at"] is None
    assert json.loads(ksk(paths, "sync", "parked").stdout) == []
    out = ksk(paths, "sync", "run", "--once")
    assert out.returncode != 0 and "ksk sync enroll" in out.stderr


def test_enrolment_needs_the_sync_permission(station, hub):
    paths, _ = station
    ctx = login(paths, ADMIN, ADMIN_PASSWORD)
    try:
        from ksk_desktop.station import users

        users.add_user(ctx, "letan", "reception", "Le-tan-2026-x", "Lễ Tân")
    finally:
        ctx.close()
    register(hub)
    code = json.loads(hub_cmd(hub, "enroll-code", "--station", "TYT-TEST").stdout)["code"]
    out = run_ksk(
        "sync",
        "enroll",
        "--hub",
        hub.url,
        "--code",
        code,
        "--user",
        "letan",
        data_dir=paths.root,
        password="Le-tan-2026-x",
    )
    assert out.returncode == 7  # PermissionDenied
    ctx = login(paths, ADMIN, ADMIN_PASSWORD)
    try:
        assert sync_state.hub_link(ctx) is None
    finally:
        ctx.close()
