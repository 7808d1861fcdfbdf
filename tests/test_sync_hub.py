"""The reference hub's API (in process, on a real SQLite file): enrolment, per-item push answers, permanent
duplicate ids, merges by personal ID, the pull feed, audit-head tamper evidence, and the published spec."""

from __future__ import annotations

import json
import threading
import uuid
import warnings
from datetime import datetime, timedelta

import pytest
from testkit.hubdb import BACKENDS, empty_hub_db
from testkit.hubitems import person_item
from testkit.stations import register_station

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from ksk_desktop.clock import SYSTEM_CLOCK
from sync.hub import openapi
from sync.hub.app import create_app
from sync.hub.store import HubStore


class Clock:
    def __init__(self) -> None:
        self.now = SYSTEM_CLOCK.utcnow()

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture(params=BACKENDS)
def hub_url(request, tmp_path) -> str:
    return empty_hub_db(request.param, tmp_path)


@pytest.fixture
def store(hub_url, clock):
    s = HubStore(hub_url, clock=clock)
    yield s
    s.close()


@pytest.fixture
def api(store):
    return TestClient(create_app(store))


def enroll(api, store, station="TYT-A", commune="10507") -> dict:
    register_station(store, station, commune)
    code = store.new_enroll_code(station)
    r = api.post(
        "/api/v1/enroll",
        json={
            "code": code,
            "station_code": station,
            "station_id": str(uuid.uuid4()),
            "commune_code": commune,
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    return {"Authorization": f"Bearer {body['token']}", "device_id": body["device_id"]}


def auth(dev: dict) -> dict:
    return {"Authorization": dev["Authorization"]}


def push(api, dev, items) -> list[dict]:
    r = api.post("/api/v1/push", json={"items": items}, headers=auth(dev))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["count"] == len(items)
    return body["results"]


def test_health(api):
    r = api.get("/api/v1/health")
    assert r.status_code == 200 and r.json()["status"] == "ok" and r.json()["api"] == "1"


def test_enrolment_code_is_one_time_bound_to_its_station_and_expires(api, store, clock):
    register_station(store, "TYT-A", "10507")
    code = store.new_enroll_code("TYT-A")
    body = {"code": code, "station_code": "TYT-B", "station_id": str(uuid.uuid4()), "commune_code": "10507"}
    assert api.post("/api/v1/enroll", json=body).status_code == 403  # a code for another station
    body["station_code"] = "TYT-A"
    first = api.post("/api/v1/enroll", json=body)
    assert first.status_code == 200
    assert api.post("/api/v1/enroll", json=body).status_code == 403  # used
    late = store.new_enroll_code("TYT-A")
    clock.now += timedelta(days=8)
    assert api.post("/api/v1/enroll", json=body | {"code": late}).status_code == 403  # expired
    # The hub keeps only hashes: neither the code nor the token is in the database file.
    with store.engine.connect() as conn:
        dump = repr(
            [conn.exec_driver_sql(f"SELECT * FROM {t}").all() for t in ("hub_device", "hub_enroll_code")]
        )
    assert first.json()["token"] not in dump and code not in dump and code.replace("-", "") not in dump


def test_unenrolled_and_revoked_devices_are_refused(api, store):
    assert api.post("/api/v1/push", json={"items": []}).status_code == 401
    assert (
        api.post("/api/v1/push", json={"items": []}, headers={"Authorization": "Bearer nope"}).status_code
        == 401
    )
    dev = enroll(api, store)
    assert api.get("/api/v1/changes", headers=auth(dev)).status_code == 200
    assert store.revoke(dev["device_id"])
    assert api.post("/api/v1/push", json={"items": []}, headers=auth(dev)).status_code == 403
    assert api.get("/api/v1/changes", headers=auth(dev)).status_code == 403


def test_per_item_answers_and_permanent_duplicates(api, store, clock):
    dev = enroll(api, store)
    good = person_item(personal_id="031090001234")
    bad = person_item(personal_id="12345")
    unknown = {
        "item_id": str(uuid.uuid4()),
        "kind": "teleport",
        "entity_id": "x",
        "entity_version": 1,
        "payload": {},
    }
    not_uuid = person_item() | {"item_id": "item-1"}
    results = push(api, dev, [good, bad, unknown, not_uuid])
    assert [r["status"] for r in results] == ["accepted", "rejected", "rejected", "rejected"]
    assert [r["item_id"] for r in results] == [good["item_id"], bad["item_id"], unknown["item_id"], "item-1"]
    assert results[1]["code"] == "bad_personal_id" and "12 chữ số" in results[1]["reason"]
    assert results[2]["code"] == "unknown_kind"
    # Weeks later the same id is still a duplicate: no expiring cache.
    clock.now += timedelta(days=90)
    assert [r["status"] for r in push(api, dev, [good])] == ["duplicate"]
    # A rejected item left no trace: fixed and re-sent with the same id, it is accepted.
    bad["payload"]["personal_id"] = "031090009999"
    assert [r["status"] for r in push(api, dev, [bad])] == ["accepted"]
    # Twice in one batch: the second is a duplicate.
    twice = person_item()
    assert [r["status"] for r in push(api, dev, [twice, twice])] == ["accepted", "duplicate"]
    assert store.stats()["items_per_kind"] == {"person": 3}


def test_a_malformed_item_shape_is_answered_not_a_crash(api, store):
    dev = enroll(api, store)
    weird = {
        "item_id": str(uuid.uuid4()),
        "kind": "person",
        "entity_id": "p",
        "entity_version": 1,
        "payload": [1, 2],
    }
    ok = person_item()
    assert [r["status"] for r in push(api, dev, [weird, ok])] == ["rejected", "accepted"]


def test_same_personal_id_from_two_devices_is_merged_once_and_announced(api, store):
    """Two laptops of one station register the same person offline."""
    a, b = enroll(api, store, "TYT-A"), enroll(api, store, "TYT-A")
    pa = person_item(personal_id="031090001234", name="Trần Thị Bình", phone="0912345678")
    pb = person_item(personal_id="031090001234", name="Trần Thị Bình", hamlet="Thôn 3", flags=["poor"])
    assert push(api, a, [pa])[0]["status"] == "accepted"
    res = push(api, b, [pb])[0]
    assert res["status"] == "accepted" and res["merged_into"] == pa["entity_id"]
    kept = store.person(pb["entity_id"])
    assert kept["id"] == pa["entity_id"] and kept["phone"] == "0912345678" and kept["hamlet"] == "Thôn 3"
    assert kept["flags"] == ["poor"]
    stats = store.stats()
    assert stats["persons"] == 1 and stats["merges"] == 1
    # Replays change nothing: the same items again are duplicates, a later edit of the merged id lands on the kept.
    assert [r["status"] for r in push(api, b, [pb])] == ["duplicate"]
    edit = person_item(
        pb["entity_id"], personal_id="031090001234", name="Trần Thị Bình", version=2, phone="0987654321"
    )
    assert push(api, b, [edit])[0]["merged_into"] == pa["entity_id"]
    assert store.stats()["persons"] == 1 and store.person(pa["entity_id"])["phone"] == "0987654321"
    # The station's own merge of the same pair is a no-op now.
    m = {
        "item_id": str(uuid.uuid4()),
        "kind": "person_merge",
        "entity_id": pb["entity_id"],
        "entity_version": 1,
        "payload": {"merged_id": pb["entity_id"], "kept_id": pa["entity_id"]},
    }
    assert push(api, b, [m])[0]["status"] == "accepted"
    assert store.stats()["merges"] == 1
    # Both devices hear of the merge; A also gets the filled-in record that B's push produced.
    feed_a = api.get("/api/v1/changes", params={"cursor": 0}, headers=auth(a)).json()
    merges = [c for c in feed_a["changes"] if c["type"] == "merge"]
    assert [(c["data"]["merged_id"], c["data"]["kept_id"]) for c in merges] == [
        (pb["entity_id"], pa["entity_id"])
    ]
    assert any(c["type"] == "roster" and c["entity_id"] == pa["entity_id"] for c in feed_a["changes"])
    feed_b = api.get("/api/v1/changes", params={"cursor": 0}, headers=auth(b)).json()
    assert [c["type"] for c in feed_b["changes"] if c["type"] == "merge"] == ["merge"]
    # Another station hears nothing of it: neither the people nor the merge.
    far = enroll(api, store, "TYT-X", "11680")
    assert api.get("/api/v1/changes", params={"cursor": 0}, headers=auth(far)).json()["changes"] == []


def test_station_merge_before_either_record_arrives(api, store):
    dev = enroll(api, store)
    keep, drop = str(uuid.uuid4()), str(uuid.uuid4())
    m = {
        "item_id": str(uuid.uuid4()),
        "kind": "person_merge",
        "entity_id": drop,
        "entity_version": 1,
        "payload": {"merged_id": drop, "kept_id": keep},
    }
    assert push(api, dev, [m])[0]["status"] == "accepted"
    assert push(api, dev, [person_item(drop, name="Lê Văn Cường")])[0]["merged_into"] == keep
    assert store.person(drop)["id"] == keep and store.stats()["persons"] == 1


def test_merge_refused_for_two_different_personal_ids(api, store):
    dev = enroll(api, store)
    p1, p2 = person_item(personal_id="031090000001"), person_item(personal_id="031090000002")
    push(api, dev, [p1, p2])
    m = {
        "item_id": str(uuid.uuid4()),
        "kind": "person_merge",
        "entity_id": p2["entity_id"],
        "entity_version": 1,
        "payload": {"merged_id": p2["entity_id"], "kept_id": p1["entity_id"]},
    }
    res = push(api, dev, [m])[0]
    assert res["status"] == "rejected" and res["code"] == "merge_conflict"


def head(seq: int, hash_: str) -> dict:
    return {
        "item_id": str(uuid.uuid4()),
        "kind": "audit_head",
        "entity_id": "dev",
        "entity_version": seq,
        "payload": {"seq": seq, "hash": hash_},
    }


def test_audit_heads_reveal_history_rewritten_or_cut(api, store):
    dev = enroll(api, store)
    h = [f"{i:064x}" for i in range(10)]
    assert "warning" not in push(api, dev, [head(5, h[5])])[0]
    assert "warning" not in push(api, dev, [head(9, h[9])])[0]
    assert store.stats()["audit_alerts"] == []
    changed = push(api, dev, [head(9, h[1])])[0]  # same seq, other hash: history rewritten
    assert changed["status"] == "accepted" and "khác" in changed["warning"]
    back = push(api, dev, [head(6, h[6])])[0]  # behind the newest seen: the tail was cut
    assert "lùi" in back["warning"]
    kinds = [a["kind"] for a in store.stats()["audit_alerts"]]
    assert kinds == ["changed_at_seq", "went_backwards"]
    bad = push(api, dev, [head(3, "not-a-hash")])[0]
    assert bad["status"] == "rejected" and bad["code"] == "bad_audit_head"


def test_pull_feed_filters_by_commune_skips_own_changes_and_pages(api, store):
    a = enroll(api, store, "TYT-A", "10507")
    a2 = enroll(api, store, "TYT-A", "10507")
    other = enroll(api, store, "TYT-X", "11680")
    items = [person_item(name=f"Người Số {i}") for i in range(7)]
    push(api, a, items)
    own = api.get("/api/v1/changes", params={"cursor": 0}, headers=auth(a)).json()
    assert own["changes"] == [] and own["next_cursor"] == 7 and own["more"] is False
    assert api.get("/api/v1/changes", params={"cursor": 0}, headers=auth(other)).json()["changes"] == []
    seen, cursor = [], 0
    for _ in range(10):
        page = api.get("/api/v1/changes", params={"cursor": cursor, "limit": 3}, headers=auth(a2)).json()
        seen += [c["entity_id"] for c in page["changes"]]
        assert len(page["changes"]) <= 3
        cursor = page["next_cursor"]
        if not page["more"]:
            break
    assert seen == [i["entity_id"] for i in items]
    assert api.get("/api/v1/changes", params={"cursor": cursor}, headers=auth(a2)).json()["changes"] == []
    # Personal data never in URLs: the feed takes only a cursor and a limit.
    assert set(openapi.spec()["paths"]["/api/v1/changes"]["get"]["parameters"][0].keys()) >= {"name", "in"}
    assert [p["name"] for p in openapi.spec()["paths"]["/api/v1/changes"]["get"]["parameters"]] == [
        "cursor",
        "limit",
    ]


def test_stats_per_kind_and_station(api, store):
    a, b = enroll(api, store, "TYT-A"), enroll(api, store, "TYT-B", "11680")
    push(api, a, [person_item(), head(1, "a" * 64)])
    push(api, b, [person_item(commune_code="11680"), person_item(commune_code="11680")])
    stats = store.stats()
    assert stats["items_per_kind"] == {"person": 3, "audit_head": 1}
    assert stats["items_per_station"] == {"TYT-A": {"person": 1, "audit_head": 1}, "TYT-B": {"person": 2}}
    assert stats["persons"] == 3 and stats["merges"] == 0 and stats["devices"] == 2 and stats["stations"] == 2


def test_committed_openapi_document_matches_the_app():
    committed = json.loads(openapi.SPEC_PATH.read_text(encoding="utf-8"))
    current = openapi.spec()
    # What the API is (paths, bodies, security); the OpenAPI dialect string follows the FastAPI release.
    for part in ("info", "paths", "components"):
        assert committed[part] == current[part], f"{part} differs: run python -m sync.hub.openapi"
    assert {"/api/v1/health", "/api/v1/enroll", "/api/v1/push", "/api/v1/changes"} <= set(committed["paths"])
    assert "HTTPBearer" in committed["components"]["securitySchemes"]


def test_concurrent_pushes_of_the_same_people_from_four_devices(store):
    """Writers are serialised: four devices pushing overlapping personal IDs at once end with one person per ID,
    every other id linked to it, every item accepted exactly once."""
    api = TestClient(create_app(store))
    devices = [enroll(api, store, "TYT-A") for _ in range(4)]  # four laptops of one station
    pids = [f"0311900{n:05d}" for n in range(40)]
    sent: list[str] = []
    errors: list[BaseException] = []

    def work(dev: dict, seed: int) -> None:
        try:
            client = TestClient(create_app(store))
            order = pids[seed:] + pids[:seed]
            for i in range(0, len(order), 2):
                items = [person_item(personal_id=p, name=f"Người {p}") for p in order[i : i + 2]]
                sent.extend(it["item_id"] for it in items)
                results = client.post("/api/v1/push", json={"items": items}, headers=auth(dev)).json()[
                    "results"
                ]
                assert [r["status"] for r in results] == ["accepted"] * len(items)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=work, args=(dev, 0)) for dev in devices
    ]  # same order: maximum contention
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert not errors, errors
    stats = store.stats()
    assert stats["persons"] == 40 and stats["merges"] == 120 and stats["items_per_kind"] == {"person": 160}
    assert sorted(r[0] for r in store.item_ids()) == sorted(sent)
    feed = api.get("/api/v1/changes", params={"cursor": 0, "limit": 1000}, headers=auth(devices[0])).json()
    assert [c["seq"] for c in feed["changes"]] == sorted(c["seq"] for c in feed["changes"])
    assert len([c for c in feed["changes"] if c["type"] == "merge"]) == 120


def test_fields_beyond_the_hubs_columns_are_refused_alike_on_every_backend(api, store):
    """PostgreSQL refuses what SQLite stores (a string longer than its column, a number beyond it, a NUL): the
    hub checks first, so both backends answer the same specific reason, never "hub error"."""
    dev = enroll(api, store)
    exam_id = str(uuid.uuid4())
    exam = {
        "item_id": str(uuid.uuid4()),
        "kind": "exam",
        "entity_id": exam_id,
        "entity_version": 1,
        "payload": {
            "id": exam_id,
            "version": 1,
            "person_id": "x" * 40,
            "status": "signed",
            "form": "adult",
            "exam_date": "2026-03-02",
        },
    }

    def consent(consent_id: str, person_id: str) -> dict:
        payload = {"person_id": person_id, "kind": "ehr_share"}
        return {
            "item_id": str(uuid.uuid4()),
            "kind": "consent",
            "entity_id": consent_id,
            "entity_version": 1,
            "payload": payload,
        }

    merge = {
        "item_id": str(uuid.uuid4()),
        "kind": "person_merge",
        "entity_id": str(uuid.uuid4()),
        "entity_version": 1,
        "payload": {"merged_id": "m" * 37, "kept_id": str(uuid.uuid4())},
    }
    head = {
        "item_id": str(uuid.uuid4()),
        "kind": "audit_head",
        "entity_id": str(uuid.uuid4()),
        "entity_version": 1,
        "payload": {"seq": 2**63, "hash": "a" * 64},
    }
    expected = [
        (person_item("p" * 37), "bad_entity_id"),
        (person_item(commune_code="105071"), "bad_person"),
        (person_item(version=2**31), "bad_version"),
        (person_item() | {"entity_id": "p\x00q"}, "bad_entity_id"),
        (consent(str(uuid.uuid4()), "x" * 37), "bad_consent"),
        (consent("c" * 37, str(uuid.uuid4())), "bad_entity_id"),
        (exam, "bad_exam"),
        (merge, "bad_merge"),
        (head, "bad_audit_head"),
    ]
    sound = person_item(commune_code="10507")
    results = push(api, dev, [item for item, _code in expected] + [sound])
    assert [(r["status"], r.get("code")) for r in results] == [
        ("rejected", code) for _i, code in expected
    ] + [("accepted", None)]
    assert store.stats()["items"] == 1 and store.stats()["persons"] == 1
    # Enrolment: a control character in the station's fields is a refusal, not a server error.
    register_station(store, "TYT-Z", "11680")
    code = store.new_enroll_code("TYT-Z")
    body = {"code": code, "station_code": "TYT-Z", "station_id": "abc\x00", "commune_code": "11680"}
    answer = api.post("/api/v1/enroll", json=body)
    assert answer.status_code == 400 and "không hợp lệ" in answer.json()["detail"]
    assert api.post("/api/v1/enroll", json=body | {"station_id": str(uuid.uuid4())}).status_code == 200


def test_hubs_opening_an_empty_database_together_create_it_once(hub_url):
    """``ksk hub serve`` and a ``ksk hub`` command started together both create the schema: they take turns."""
    errors: list[BaseException] = []
    stores: list[HubStore] = []

    def open_store() -> None:
        try:
            stores.append(HubStore(hub_url))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    try:
        assert not errors, errors
        assert len(stores) == 4
        register_station(stores[0], "TYT-A", "10507")
        codes = {s.new_enroll_code("TYT-A") for s in stores}  # each one works on the same tables
        assert len(codes) == 4
    finally:
        for s in stores:
            s.close()
