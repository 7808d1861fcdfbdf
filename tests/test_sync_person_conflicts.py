"""Two devices of one station change the same person offline (docs/multi-device.md §4), against the real hub in a
child process on loopback (SQLite and PostgreSQL): the hub applies each change field by field from the revision
the device last saw, so an edit of another field is not undone; a field both changed takes the later arrival's
value and the overwritten one is kept at the hub (``hub_person_conflict``), announced with the roster change,
recorded on the devices and shown on the person's card."""

from __future__ import annotations

import json

import pytest
from exam_support import add_person
from multidevice_support import FAST, three_devices
from sqlalchemy import create_engine
from testkit.hubdb import BACKENDS, empty_hub_db
from testkit.hubproc import HubProcess

from ksk_desktop.db.models import Person
from ksk_desktop.outbox import sync_conflicts
from ksk_desktop.people import persons
from sync.client.worker import SyncWorker
from ui.people.person_card import PersonCard


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


def sync(*ctxs) -> None:
    for ctx in ctxs:
        report = SyncWorker(ctx, config=FAST).run_once()
        assert report.complete and report.rejected == 0, report


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
