"""The hub trusts no station (issue 12 §1): each attack of the audit, replayed against the real hub in its own
process on loopback (SQLite, and PostgreSQL where ``KSK_TEST_PG_URL`` is set), with the station's real
transport or raw sockets.

- A device enrolled with another station's code, claiming this commune, pulls nothing of this commune.
- No device overwrites another station's person by id ("Kẻ Giả Mạo" moved to another commune).
- Pushing a stranger with a CCCD another station holds is answered "known elsewhere" and reveals nothing.
- Consents, exams, appointments and referrals about another station's person are refused.
- A person who moves is handed over by the hub administrator (``ksk hub handover``), end to end.
- The hub refuses before it reads: authentication before the body, 413 unread, 429, 4xx for absurd input,
  error answers without the request's personal data, per-item payload limits, a private SQLite file.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import stat
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests
from testkit import fhir_examples as ex
from testkit.hubdb import BACKENDS, empty_hub_db
from testkit.hubitems import consent_item, item, person_item
from testkit.hubproc import HubProcess
from testkit.stations import PASSWORD, add_people, enroll, new_station, register_station
from testkit.waiting import wait_until

from conftest import run_ksk
from ksk_desktop.outbox import sync_state
from ksk_desktop.people import consent, duplicates, persons
from ksk_desktop.station.lifecycle import login
from sync.client.transport import BatchRefused, HubRefused, HubTransport
from sync.client.worker import SyncWorker, WorkerConfig
from sync.hub.errors import NotFound
from sync.hub.store import HubStore

A, B = ("TYT-A", "10507"), ("TYT-B", "11680")  # two stations, two communes of Hải Phòng
FAST = WorkerConfig(backoff_base_s=0.01, max_failures=3, timeout_s=(2.0, 10.0))


@pytest.fixture(params=BACKENDS)
def hub(request, tmp_path):
    url = empty_hub_db(request.param, tmp_path)
    proc = HubProcess(url, log=tmp_path / "hub.log").start()
    proc.db_url = url
    yield proc
    proc.stop()


@pytest.fixture
def sqlite_hub(tmp_path):
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    proc = HubProcess(tmp_path / "hub.db", log=tmp_path / "hub.log").start()
    proc.db_url = url
    yield proc
    proc.stop()


class Hub:
    """The hub administrator's side (the store the ``ksk hub`` commands use), closed after each use."""

    def __init__(self, proc: HubProcess) -> None:
        self.proc = proc

    def __getattr__(self, name: str):
        def call(*args, **kwargs):
            store = HubStore(self.proc.db_url)
            try:
                return getattr(store, name)(*args, **kwargs)
            finally:
                store.close()

        return call


def device(proc: HubProcess, station: tuple[str, str], *, claim: str | None = None) -> HubTransport:
    """A device of *station* enrolled through the API (the station registered first, as the administrator does)."""
    store = HubStore(proc.db_url)
    try:
        register_station(store, *station)
        code = store.new_enroll_code(station[0])
    finally:
        store.close()
    answer = HubTransport(proc.url).enroll(code, station[0], str(uuid.uuid4()), claim)
    return HubTransport(proc.url, answer["token"])


def outcomes(results: list[dict]) -> list[tuple[str, str | None]]:
    return [(r["status"], r.get("code")) for r in results]


# -- who may read and write what ----------------------------------------------------------------------
def test_a_device_enrolled_with_another_stations_code_reads_nothing_of_this_commune(sqlite_hub):
    """The audit's first attack: B's enrolment code, an enrol request claiming A's commune, then a pull."""
    admin = Hub(sqlite_hub)
    a = device(sqlite_hub, A)
    roster = [
        person_item(name=f"Người Xã A Số {i}", personal_id=f"03119000{i:04d}", phone=f"091200{i:04d}")
        for i in range(5)
    ]
    assert outcomes(a.push(roster)) == [("accepted", None)] * 5
    admin.add_station(*[B[0], [B[1]]])
    code = admin.new_enroll_code(B[0])
    attacker = HubTransport(sqlite_hub.url)
    with pytest.raises(HubRefused, match="không khớp"):  # the claimed commune is not B's: refused
        attacker.enroll(code, B[0], str(uuid.uuid4()), A[1])
    answer = attacker.enroll(code, B[0], str(uuid.uuid4()), None)  # the code was not spent by the refusal
    assert answer["station_code"] == B[0] and answer["commune_codes"] == [B[1]]
    spy = HubTransport(sqlite_hub.url, answer["token"])
    feed = spy.changes(0, 1000)
    assert feed["changes"] == []
    assert "Người Xã A" not in json.dumps(feed, ensure_ascii=False)
    # A station the administrator never registered gets no code at all.
    with pytest.raises(NotFound):
        admin.new_enroll_code("TYT-LA")


def test_a_device_cannot_overwrite_another_stations_person(hub):
    """ "Kẻ Giả Mạo" moved to another commune: refused with a reason, the record untouched everywhere."""
    admin = Hub(hub)
    a, b = device(hub, A), device(hub, B)
    victim = person_item(name="Trần Văn Thật", personal_id="031190001111", phone="0912111111")
    assert outcomes(a.push([victim])) == [("accepted", None)]
    pid = victim["entity_id"]
    forged = [
        person_item(pid, version=2, commune=B[1], name="Kẻ Giả Mạo", personal_id="031190001111"),
        person_item(pid, version=3, commune=A[1], name="Kẻ Giả Mạo", personal_id="031190001111"),
    ]
    results = b.push(forged)
    assert outcomes(results) == [("rejected", "not_your_station")] * 2
    assert all("trạm khác" in r["reason"] for r in results)
    assert "Trần Văn Thật" not in json.dumps(results, ensure_ascii=False)
    held = admin.person(pid)
    assert (held["name"], held["commune_code"], held["revision"]) == ("Trần Văn Thật", A[1], 1)
    # A's other laptop pulls the person as A sent it, and nothing forged.
    feed = device(hub, A).changes(0, 1000)["changes"]
    assert [(c["entity_id"], c["data"]["name"]) for c in feed] == [(pid, "Trần Văn Thật")]
    # Moving someone out of the station's communes is a handover, not an edit: A cannot either.
    moved = person_item(pid, version=2, commune=B[1], name="Trần Văn Thật", personal_id="031190001111")
    assert outcomes(a.push([moved])) == [("rejected", "commune_not_served")]
    # Nor can B create a person in A's commune.
    planted = person_item(name="Người Cài Vào", commune=A[1])
    assert outcomes(b.push([planted])) == [("rejected", "commune_not_served")]


def test_a_cccd_held_by_another_station_is_known_elsewhere_and_reveals_nothing(hub):
    """The existence oracle: pushing a stranger with someone's CCCD no longer returns their record."""
    admin = Hub(hub)
    a, b = device(hub, A), device(hub, B)
    private = {
        "name": "Phạm Thị Riêng",
        "phone": "0912777777",
        "insurance_no": "HC4313190007777",
        "hamlet": "Thôn Bắc",
    }
    held = person_item(personal_id="031190007777", **private)
    assert outcomes(a.push([held])) == [("accepted", None)]
    stranger = person_item(commune=B[1], name="Người Lạ", personal_id="031190007777", guardian_name="Ai Đó")
    (answer,) = b.push([stranger])
    assert answer["status"] == "known_elsewhere" and "merged_into" not in answer and answer["reason"]
    said = json.dumps(answer, ensure_ascii=False)
    for secret in (held["entity_id"], *private.values()):
        assert secret not in said
    pulled = b.changes(0, 1000)
    assert pulled["changes"] == []
    # The other station's record is unchanged: nothing of B's filled it in.
    at_hub = admin.person(held["entity_id"])
    assert {k: at_hub[k] for k in private} == private and at_hub.get("guardian_name") is None
    assert at_hub["revision"] == 1
    # Linked, with a handover request waiting for the administrator (ids and station codes only).
    (request,) = admin.handovers()
    assert (request["person_id"], request["linked_id"]) == (held["entity_id"], stranger["entity_id"])
    assert (request["from_station"], request["to_station"], request["state"]) == (A[0], B[0], "pending")
    # The same item again, and a later edit of B's record, get the same answer and change nothing.
    assert b.push([stranger])[0]["status"] == "known_elsewhere"
    edit = person_item(
        stranger["entity_id"], version=2, commune=B[1], name="Người Lạ", personal_id="031190007777"
    )
    assert b.push([edit])[0]["status"] == "known_elsewhere"
    assert admin.person(held["entity_id"])["revision"] == 1 and len(admin.handovers()) == 1
    assert b.changes(0, 1000)["changes"] == []
    # And A hears nothing of B's record either.
    assert "Người Lạ" not in json.dumps(device(hub, A).changes(0, 1000), ensure_ascii=False)


def test_items_about_another_stations_person_are_refused(hub):
    """An `ehr_share` consent, an exam (queued for the national record), an appointment and a referral for A's
    person, sent by B: all refused, nothing queued; and no station reuses another's record id."""
    admin = Hub(hub)
    a, b = device(hub, A), device(hub, B)
    victim = person_item(name="Lê Văn Bị", personal_id="031190002222")
    own = person_item(commune=B[1], name="Người Của B")
    mine = consent_item(victim["entity_id"])
    assert outcomes(a.push([victim, mine])) == [("accepted", None)] * 2
    exam = ex.exam_document(victim["entity_id"])
    attacks = [
        consent_item(victim["entity_id"]),
        item("exam", exam["id"], exam),
        item("appointment", str(uuid.uuid4()), {"id": str(uuid.uuid4()), "person_id": victim["entity_id"]}),
        item("referral", str(uuid.uuid4()), ex.referral() | {"person_id": victim["entity_id"]}),
        consent_item(own["entity_id"], mine["entity_id"], active=False, version=2),  # A's consent id
    ]
    assert outcomes(b.push([own])) == [("accepted", None)]
    results = b.push(attacks)  # a batch without people: its checks are read in advance, in bulk
    assert outcomes(results) == [("rejected", "not_your_station")] * len(attacks)
    mixed = b.push([person_item(commune=B[1], name="Người Mới Của B"), consent_item(victim["entity_id"])])
    assert outcomes(mixed) == [("accepted", None), ("rejected", "not_your_station")]  # checked one by one
    stats = admin.stats()
    assert stats["fhir"]["pending"] == stats["fhir"]["waiting"] == 0
    assert stats["items_per_station"][B[0]] == {"person": 2}
    # An item about a person the hub never received waits for that person (nothing is taken on trust).
    ghost = consent_item(str(uuid.uuid4()))
    assert outcomes(b.push([ghost])) == [("rejected", "unknown_person")]
    # B's own person: its consent goes through.
    assert outcomes(b.push([consent_item(own["entity_id"])])) == [("accepted", None)]


# -- a person who moves: the handover ----------------------------------------------------------------
def hub_cli(proc: HubProcess, tmp_path: Path, *args: str):
    return run_ksk("hub", *args, "--db", proc.db_url, "--json", data_dir=tmp_path / "admin")


def test_a_person_who_moves_is_handed_over_by_the_hub_administrator(sqlite_hub, tmp_path):
    """Lan is on A's roster and moves to B's commune. B registers her: known elsewhere, her consent parked
    "waiting for the handover". The administrator releases the request; B's next sync brings A's record in and
    merges B's own into it; B's parked consent goes through; A can no longer change her."""
    hub = sqlite_hub
    for station in (A, B):
        out = hub_cli(hub, tmp_path, "station", "add", "--station", station[0], "--commune", station[1])
        assert out.returncode == 0, out.stderr
    listed = json.loads(hub_cli(hub, tmp_path, "station", "list").stdout)
    assert [(s["station_code"], s["commune_codes"]) for s in listed] == [(A[0], [A[1]]), (B[0], [B[1]])]
    a = login(new_station(tmp_path / "a", code=A[0], commune=A[1]), "admin", PASSWORD)
    b = login(new_station(tmp_path / "b", code=B[0], commune=B[1]), "admin", PASSWORD)
    try:
        lan_a = persons.create_person(
            a, persons.PersonInput(full_name="Vũ Thị Lan", personal_id="031185001122", phone="0912000111")
        )
        add_people(a, 3, commune=A[1], offset=10)
        lan_b = persons.create_person(
            b, persons.PersonInput(full_name="Vũ Thị Lan", personal_id="031185001122", hamlet="Thôn Mới")
        )
        given = consent.record(b, lan_b.id, "ehr_share")
        for ctx in (a, b):
            enroll(ctx, hub.db_url, hub.url)
        assert SyncWorker(a, config=FAST).run_once().accepted == 4
        report = SyncWorker(b, config=FAST).run_once()
        assert report.complete and report.elsewhere == 1 and report.rejected == 1, report
        status = sync_state.status(b)
        assert status.elsewhere == 1 and status.parked == 1
        (parked,) = sync_state.parked(b)
        assert parked["kind"] == "consent" and "chờ chuyển giao" in parked["reason"]
        assert persons.count_people(b) == 1  # nothing of A's roster came down
        assert persons.get_person(b, lan_b.id).phone is None
        # The administrator sees the request and releases it.
        (request,) = json.loads(hub_cli(hub, tmp_path, "handover", "list").stdout)
        assert (request["from_station"], request["to_station"]) == (A[0], B[0])
        released = hub_cli(hub, tmp_path, "handover", "release", str(request["id"]))
        assert released.returncode == 0, released.stderr
        assert json.loads(released.stdout)["merged"] == [lan_b.id]
        assert json.loads(hub_cli(hub, tmp_path, "handover", "list").stdout) == []
        again = hub_cli(hub, tmp_path, "handover", "release", str(request["id"]))
        assert again.returncode != 0 and "đã được xử lý" in again.stderr
        # B's next sync: A's record comes in and B's own is merged into it (references re-pointed).
        assert SyncWorker(b, config=FAST).run_once().complete
        (hit,) = persons.search(b, "031185001122", record=False)
        lan = persons.get_person(b, hit["id"])
        assert lan.id == lan_a.id and lan.phone == "0912000111" and lan.hamlet == "Thôn Mới"
        assert lan.commune_code == B[1] and duplicates.resolve(b, lan_b.id) == lan_a.id
        assert consent.of_person(b, lan_a.id)[0].id == given.id
        sync_state.retry(b, parked["item_id"])  # a person sends the parked consent again: now it is B's
        report = SyncWorker(b, config=FAST).run_once()
        assert report.complete and report.rejected == 0 and sync_state.status(b).parked == 0
        admin = Hub(hub)
        assert admin.person(lan_a.id)["commune_code"] == B[1]
        # A's stale copy can no longer change her at the hub.
        persons.update_person(a, lan_a.id, {"phone": "0999999999"})
        report = SyncWorker(a, config=FAST).run_once()
        assert report.rejected == 1
        (refused,) = sync_state.parked(a)
        assert refused["entity_id"] == lan_a.id and "trạm khác" in refused["reason"]
        assert admin.person(lan_a.id)["phone"] == "0912000111"
        # The administrator can also move a person directly (the owning station asked for it), and back.
        moved = hub_cli(hub, tmp_path, "handover", "move", "--person", lan_a.id, "--to", A[0])
        assert moved.returncode == 0, moved.stderr
        assert admin.person(lan_a.id)["commune_code"] == A[1]
        same = hub_cli(hub, tmp_path, "handover", "move", "--person", lan_a.id, "--to", A[0])
        assert same.returncode != 0 and "đã thuộc trạm" in same.stderr
    finally:
        a.close()
        b.close()


def test_a_refused_handover_keeps_the_station_out(sqlite_hub, tmp_path):
    hub = sqlite_hub
    a, b = device(hub, A), device(hub, B)
    held = person_item(name="Đỗ Văn Ở", personal_id="031190003333")
    a.push([held])
    linked = person_item(commune=B[1], name="Đỗ Văn Ở", personal_id="031190003333")
    assert b.push([linked])[0]["status"] == "known_elsewhere"
    (request,) = json.loads(hub_cli(hub, tmp_path, "handover", "list").stdout)
    refused = hub_cli(hub, tmp_path, "handover", "refuse", str(request["id"]))
    assert refused.returncode == 0, refused.stderr
    # B's record stays linked but B may not act for the person; A still does.
    edit = person_item(
        linked["entity_id"], version=2, commune=B[1], name="Đỗ Văn Ở", personal_id="031190003333"
    )
    assert outcomes(b.push([edit])) == [("rejected", "not_your_station")]
    assert outcomes(b.push([consent_item(linked["entity_id"])])) == [("rejected", "not_your_station")]
    assert b.changes(0, 1000)["changes"] == []
    assert outcomes(a.push([consent_item(held["entity_id"])])) == [("accepted", None)]
    missing = hub_cli(hub, tmp_path, "handover", "release", "999")
    assert missing.returncode != 0 and "999" in missing.stderr


# -- refusing before reading --------------------------------------------------------------------------
def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def read_answer(sock: socket.socket, deadline: float) -> tuple[int | None, bytes]:
    """Status and body of an HTTP/1.1 answer read from a raw socket (None: no answer before *deadline*)."""
    data = b""
    while b"\r\n\r\n" not in data or len(data) < _answer_length(data):
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except (TimeoutError, OSError):
            break
        if not chunk:
            break
        data += chunk
    if not data.startswith(b"HTTP/1.1 "):
        return None, b""
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def _answer_length(data: bytes) -> int:
    head, _, _ = data.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(head) + 4 + int(line.split(b":")[1])
    return len(data) + 1


def flood(url: str, path: str, results: list, *, total: int = 100 * 1024 * 1024, headers: str = "") -> None:
    """Declare a 100 MiB JSON body and push it as fast as the hub takes it; record (status, bytes sent, s)."""
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)))
    started, sent = time.monotonic(), 0
    sock.sendall(
        (
            f"POST {path} HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\n{headers}"
            f"Content-Length: {total}\r\n\r\n"
        ).encode()
    )
    chunk = b"[" * (1024 * 1024)
    sock.settimeout(5)
    try:
        while sent < total:
            sock.sendall(chunk)
            sent += len(chunk)
    except OSError:
        pass  # the hub hung up: it will not read the rest
    status, _body = read_answer(sock, time.monotonic() + 30)
    results.append((status, sent, time.monotonic() - started))
    sock.close()


def test_an_unauthenticated_100_mib_post_is_refused_unread_and_health_stays_fast(sqlite_hub):
    """Three unauthenticated 100 MiB POSTs at once: each is answered 401 after a small part of the body, the
    hub's memory does not grow by their size, and /health keeps answering promptly meanwhile."""
    pid = sqlite_hub.proc.pid
    before = rss_kib(pid)
    results: list = []
    threads = [
        threading.Thread(target=flood, args=(sqlite_hub.url, "/api/v1/push", results)) for _ in range(3)
    ]
    health: list[float] = []
    peak = before
    for th in threads:
        th.start()
    while any(th.is_alive() for th in threads):
        t = time.monotonic()
        assert requests.get(f"{sqlite_hub.url}/api/v1/health", timeout=10).status_code == 200
        health.append(time.monotonic() - t)
        peak = max(peak, rss_kib(pid))
    for th in threads:
        th.join()
    assert [r[0] for r in results] == [401] * 3, results
    assert all(sent < 32 * 1024 * 1024 for _s, sent, _t in results), results  # the hub stopped reading
    assert all(took < 5 for _s, _n, took in results), results
    assert max(health) < 1.0, health
    assert peak - before < 64 * 1024, (before, peak)  # KiB: far below one body, let alone three


def test_a_body_above_8_mib_is_answered_413_without_being_read(sqlite_hub):
    dev = device(sqlite_hub, A)
    token = dev.session.headers["Authorization"]
    results: list = []
    flood(
        sqlite_hub.url, "/api/v1/push", results, total=9 * 1024 * 1024, headers=f"Authorization: {token}\r\n"
    )
    (status, _sent, took) = results[0]
    assert status == 413 and took < 5
    # Chunked (no length declared): cut off once past the limit.
    body = (b"[" * (1024 * 1024) for _ in range(9))
    r = requests.post(
        f"{sqlite_hub.url}/api/v1/push",
        data=body,
        headers={"Authorization": token, "Content-Type": "application/json"},
        timeout=30,
    )
    assert r.status_code == 413 and "8192 KiB" in r.json()["detail"]
    # The station's own transport reads that answer as "this batch is too big" (it halves the batch).
    people = [person_item(name="Nguyễn Văn Dài", hamlet="x" * 30_000) for _ in range(300)]
    with pytest.raises(BatchRefused):
        dev.push(people)
    assert [r["status"] for r in dev.push(people[:10])] == ["accepted"] * 10
    # Enrolment takes 4 KiB at most.
    big = requests.post(f"{sqlite_hub.url}/api/v1/enroll", data=b"{" + b" " * 8000 + b"}", timeout=10)
    assert big.status_code == 413


class SourcedConnection(http.client.HTTPConnection):
    """A plain HTTP connection from another loopback address (a second machine, for the per-address limits)."""


def call(
    url: str, method: str, path: str, *, source: str, body: dict | None = None, token: str | None = None
):
    host, port = url.removeprefix("http://").split(":")
    conn = SourcedConnection(host, int(port), timeout=10, source_address=(source, 0))
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    resp = conn.getresponse()
    answer = (resp.status, resp.getheader("Retry-After"), resp.read())
    conn.close()
    return answer


def test_enrolment_attempts_and_failed_authentications_are_rate_limited_per_address(sqlite_hub):
    url = sqlite_hub.url
    good = device(sqlite_hub, A)  # from 127.0.0.1
    token = good.session.headers["Authorization"].removeprefix("Bearer ")
    wrong = {"code": "AAAA-BBBB-CCCC-DDDD", "station_code": A[0], "station_id": str(uuid.uuid4())}
    statuses = [call(url, "POST", "/api/v1/enroll", source="127.0.0.2", body=wrong)[0] for _ in range(10)]
    assert statuses == [403] * 10
    status, retry_after, _ = call(url, "POST", "/api/v1/enroll", source="127.0.0.2", body=wrong)
    assert status == 429 and retry_after and int(retry_after) >= 1
    # Another address is not affected.
    code = Hub(sqlite_hub).new_enroll_code(A[0])
    assert call(url, "POST", "/api/v1/enroll", source="127.0.0.3", body=wrong | {"code": code})[0] == 200
    # Guessing credentials: after 20 failures the address is answered 429 before any lookup, even with a
    # good credential; the real device elsewhere keeps working.
    guesses = [
        call(url, "GET", "/api/v1/changes", source="127.0.0.4", token=f"guess-{i}")[0] for i in range(20)
    ]
    assert guesses == [401] * 20
    assert call(url, "GET", "/api/v1/changes", source="127.0.0.4", token=token)[0] == 429
    assert call(url, "GET", "/api/v1/changes", source="127.0.0.1", token=token)[0] == 200


def test_absurd_input_is_a_4xx_and_errors_never_echo_the_request(sqlite_hub):
    dev = device(sqlite_hub, A)
    auth = {"Authorization": dev.session.headers["Authorization"], "Content-Type": "application/json"}
    url = f"{sqlite_hub.url}/api/v1"
    too_far = requests.get(f"{url}/changes", params={"cursor": 2**63}, headers=auth, timeout=10)
    assert too_far.status_code == 422
    assert (
        requests.get(f"{url}/changes", params={"cursor": 2**63 - 1}, headers=auth, timeout=10).status_code
        == 200
    )
    lone = '{"items":[{"item_id":"\\ud800","kind":"person","entity_id":"x","entity_version":1,"payload":{}}]}'
    answer = requests.post(f"{url}/push", data=lone, headers=auth, timeout=10)
    assert answer.status_code == 422 and "\\ud800" not in answer.text
    in_payload = person_item(name="Lò Văn A")
    body = json.dumps({"items": [in_payload]}).replace("L\\u00f2", "L\\ud800")
    answer = requests.post(f"{url}/push", data=body, headers=auth, timeout=10)
    assert answer.status_code == 200 and outcomes(answer.json()["results"]) == [("rejected", "bad_text")]
    bad_code = '{"code":"\\ud800\\ud800\\ud800\\ud800","station_code":"TYT-A","station_id":"x"}'
    assert requests.post(f"{url}/enroll", data=bad_code, headers=auth, timeout=10).status_code == 422
    # A 422 says where, never what: no name, no personal ID, no phone from the request.
    echo = {
        "items": [
            {
                "item_id": "x",
                "kind": "person",
                "entity_id": "x",
                "entity_version": "Nguyễn Văn An 031090001234 0912345678",
                "payload": {},
            }
        ]
    }
    answer = requests.post(f"{url}/push", json=echo, headers=auth, timeout=10)
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "items", 0, "entity_version"]
    for secret in ("Nguyễn", "031090001234", "0912345678"):
        assert secret not in answer.text
    long_name = {"code": "031090001234", "station_code": "Nguyễn Văn An 0912345678", "station_id": "x"}
    answer = requests.post(f"{url}/enroll", json=long_name, timeout=10)
    assert answer.status_code == 422
    assert "031090001234" not in answer.text and "Nguyễn" not in answer.text
    weird_kind = item("031090001234", str(uuid.uuid4()), {})
    (result,) = dev.push([weird_kind])
    assert result["code"] == "unknown_kind" and "031090001234" not in result["reason"]


def test_each_items_payload_has_its_own_limits(sqlite_hub):
    dev = device(sqlite_hub, A)
    person = person_item(name="Hà Văn Thường")
    assert dev.push([person])[0]["status"] == "accepted"
    exam = ex.exam_document(person["entity_id"]) | {"advice": "x" * (300 * 1024)}
    deep: dict = {"name": "Hà Văn Sâu"}
    node = deep
    for _ in range(20):
        node["guardian"] = {}
        node = node["guardian"]
    nested = person_item(**deep)
    fat_person = person_item(name="Hà Văn Béo", hamlet="y" * (40 * 1024))
    results = dev.push([item("exam", exam["id"], exam), nested, fat_person])
    assert outcomes(results) == [
        ("rejected", "payload_too_large"),
        ("rejected", "payload_too_deep"),
        ("rejected", "payload_too_large"),
    ]


def test_the_hubs_sqlite_file_is_readable_by_its_owner_only(tmp_path):
    loose = tmp_path / "old-hub.db"
    loose.touch(mode=0o644)
    os.chmod(loose, 0o644)
    HubStore(f"sqlite:///{loose}").close()
    assert stat.S_IMODE(loose.stat().st_mode) == 0o600  # an existing file is tightened
    with HubProcess(tmp_path / "hub.db") as proc:
        proc.db_url = f"sqlite:///{tmp_path / 'hub.db'}"
        dev = device(proc, A)
        assert dev.push([person_item(name="Mai Thị Kín")])[0]["status"] == "accepted"
        files = [tmp_path / n for n in ("hub.db", "hub.db-wal", "hub.db-shm")]
        wait_until(lambda: all(f.exists() for f in files), what="the hub's database files")
        assert {f.name: stat.S_IMODE(f.stat().st_mode) for f in files} == dict.fromkeys(
            (f.name for f in files), 0o600
        )


def test_serving_warns_when_postgresql_elsewhere_is_reached_without_verified_tls():
    from sync.hub.server import database_tls_warning

    remote = "postgresql+psycopg://ksk_hub:x@db.example.vn/ksk_hub"
    assert "sslmode=verify-full" in database_tls_warning(remote)
    assert database_tls_warning(remote + "?sslmode=require")  # encrypted, but the server is not verified
    assert database_tls_warning(remote + "?sslmode=verify-full&sslrootcert=/etc/ksk/pg-ca.pem") is None
    assert database_tls_warning("postgresql+psycopg://ksk_hub:x@127.0.0.1:5432/ksk_hub") is None
    assert database_tls_warning("postgresql+psycopg://ksk_hub@/ksk_hub?host=/run/postgresql") is None
    assert database_tls_warning("sqlite:///hub.db") is None


def test_the_hub_administrator_sets_the_limits_when_starting_the_hub(tmp_path):
    extra = ["--enroll-per-minute", "2", "--auth-failures-per-minute", "0"]  # 0: that limit off
    with HubProcess(tmp_path / "hub.db", extra=extra) as proc:
        wrong = {"code": "AAAA-BBBB-CCCC-DDDD", "station_code": A[0], "station_id": str(uuid.uuid4())}
        tries = [
            call(proc.url, "POST", "/api/v1/enroll", source="127.0.0.5", body=wrong)[0] for _ in range(3)
        ]
        assert tries == [403, 403, 429]
        guesses = [
            call(proc.url, "GET", "/api/v1/changes", source="127.0.0.6", token="x")[0] for _ in range(25)
        ]
        assert guesses == [401] * 25
    bad = run_ksk(
        "hub", "serve", "--db", str(tmp_path / "x.db"), "--enroll-per-minute", "-1", data_dir=tmp_path
    )
    assert bad.returncode != 0 and "Giới hạn" in bad.stderr
