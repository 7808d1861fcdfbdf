"""One station, several devices (issue 16, docs/multi-device.md): the hub's station feed against the real hub in a
child process on loopback, with two data folders enrolled as two devices of the same station and a third
folder of another station."""

from __future__ import annotations

from contextlib import closing

import pytest
from exam_support import DOCTOR, EXAM_DATE, STAFF_PASSWORD, add_person, add_staff, fill_adult, staff
from sqlalchemy import select
from testkit.hubdb import BACKENDS, empty_hub_db
from testkit.hubproc import HubProcess
from testkit.stations import PASSWORD, add_people, enroll, new_station, outbox_rows

from ksk_desktop.db.models import Person
from ksk_desktop.exams import records, signing
from ksk_desktop.people import consent
from ksk_desktop.station.lifecycle import login
from sync.client.transport import HubRefused, HubTransport
from sync.client.worker import SyncWorker, WorkerConfig
from sync.hub.store import HubStore
from sync.protocol import REPLICATED_KINDS

FAST = WorkerConfig(batch_size=50, backoff_base_s=0.01, max_failures=3, timeout_s=(2.0, 5.0))
ISLAND = ("TYT-CATHAI", "10507")
OTHER = ("TYT-KHAC", "11680")


@pytest.fixture(params=BACKENDS)
def hub(request, tmp_path):
    url = empty_hub_db(request.param, tmp_path)
    proc = HubProcess(url, log=tmp_path / "hub.log").start()
    proc.db_url = url
    yield proc
    proc.stop()


@pytest.fixture
def devices(tmp_path, hub):
    """(main desk, team laptop, another station's laptop), each enrolled; returns sessions and device ids."""
    main = login(new_station(tmp_path / "main", code=ISLAND[0], commune=ISLAND[1]), "admin", PASSWORD)
    team = login(new_station(tmp_path / "team", code=ISLAND[0], commune=ISLAND[1]), "admin", PASSWORD)
    other = login(new_station(tmp_path / "other", code=OTHER[0], commune=OTHER[1]), "admin", PASSWORD)
    ids = [enroll(ctx, hub.db_url, hub.url) for ctx in (main, team, other)]
    yield (main, team, other), ids
    for ctx in (main, team, other):
        if not ctx.closed:
            ctx.close()


def transport_of(ctx, hub) -> HubTransport:
    from ksk_desktop.outbox import sync_state

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
