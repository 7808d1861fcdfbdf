"""Receiving the station's items cheaply (docs/multi-device.md §5): a page is applied in one go and, when one of
its items fails, again item by item with only that one refused (content kept, the rest of the page applied);
waiting items are tried again only when what they wait for has arrived."""

from __future__ import annotations

import json

import pytest
from multidevice_support import schedule_and_examine, snapshot, three_devices
from sqlalchemy import select
from testkit.hubproc import HubProcess

from ksk_desktop.db.models import SyncReceivedItem
from sync.client import station_apply, transfer


@pytest.fixture
def hub(tmp_path):
    proc = HubProcess(tmp_path / "hub.db", log=tmp_path / "hub.log").start()
    proc.db_url = f"sqlite:///{tmp_path / 'hub.db'}"
    yield proc
    proc.stop()


@pytest.fixture
def devices(tmp_path, hub):
    yield from three_devices(tmp_path, hub)


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
