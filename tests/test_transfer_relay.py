"""A transfer file carries what its device received through the hub from a third device of the station (the desk
hands the team what the doctor's laptop signed), with that device's ids; importing it, then syncing, applies
each item once and queues nothing for the hub again (docs/multi-device.md §6, §7 item 9)."""

from __future__ import annotations

import pytest
from multidevice_support import FAST, ISLAND, schedule_and_examine, snapshot, three_devices
from sqlalchemy import select
from testkit.hubproc import HubProcess
from testkit.stations import PASSWORD, enroll, hub_rows, new_station

from ksk_desktop.db.models import OutboxItem, SyncReceivedItem
from ksk_desktop.station.lifecycle import login
from sync.client import transfer
from sync.client.worker import SyncWorker


@pytest.fixture
def hub(tmp_path):
    proc = HubProcess(tmp_path / "hub.db", log=tmp_path / "hub.log").start()
    proc.db_url = f"sqlite:///{tmp_path / 'hub.db'}"
    yield proc
    proc.stop()


@pytest.fixture
def devices(tmp_path, hub):
    yield from three_devices(tmp_path, hub)


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
