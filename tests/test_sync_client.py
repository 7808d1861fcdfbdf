"""The station's sync worker against the real hub in a child process on loopback: delivery, resume, strict
answers, edits during upload, poison items, cancel, and what must never leak (credential, personal data)."""

from __future__ import annotations

import json
import logging
import socket
import threading
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import text
from testkit.hubproc import HubProcess
from testkit.setcheck import check_set
from testkit.stations import add_people, enroll, hub_rows, outbox_rows
from testkit.waiting import wait_until

from ksk_desktop import outbox
from ksk_desktop.clock import SYSTEM_CLOCK
from ksk_desktop.errors import KskError
from ksk_desktop.outbox import sync_state
from ksk_desktop.people import consent, persons
from sync.client.transport import (
    HubAnswerInvalid,
    HubTransport,
    check_changes_answer,
    check_hub_url,
    check_push_answer,
)
from sync.client.worker import SyncWorker, WorkerConfig, backoff_delay

FAST = WorkerConfig(batch_size=50, backoff_base_s=0.01, max_failures=3, timeout_s=(2.0, 5.0))


@pytest.fixture
def hub(tmp_path):
    db = tmp_path / "hub.db"
    proc = HubProcess(db, log=tmp_path / "hub.log", extra=["--access-log"]).start()
    proc.db_url = f"sqlite:///{db}"
    yield proc
    proc.stop()


def sent_ids(ctx) -> list[str]:
    return [r[0] for r in outbox_rows(ctx)]


def assert_exactly_once(ctx, hub) -> None:
    check = check_set(sent_ids(ctx), [r[0] for r in hub_rows(hub.db_url)])
    assert check.valid, check
    assert {r[4] for r in outbox_rows(ctx)} <= {"sent"}


def test_delivers_everything_once_and_reports_status(admin_session, hub):
    ctx = admin_session
    add_people(ctx, 120)
    pid = persons.search(ctx, "a", limit=1, record=False)[0]["id"]
    consent.record(ctx, pid, "exam")
    enroll(ctx, hub.db_url, hub.url)
    worker = SyncWorker(ctx, config=FAST)
    report = worker.run_once()
    assert report.complete and report.accepted == 121 and report.rejected == 0 and report.error is None
    assert_exactly_once(ctx, hub)
    status = sync_state.status(ctx)
    assert status.pending == 0 and status.parked == 0 and status.sent == 121
    assert status.last_success_at and status.last_error is None
    again = worker.run_once()  # nothing new: only the audit head goes up, and it is a duplicate
    assert again.complete and again.accepted == 0 and again.duplicate == 0
    heads = [r for r in hub_rows(hub.db_url, with_heads=True) if r[1] == "audit_head"]
    assert len(heads) == 1
    worker.close()


def test_resumes_after_a_crash_with_items_in_flight(admin_session, hub):
    ctx = admin_session
    add_people(ctx, 30)
    device = enroll(ctx, hub.db_url, hub.url)
    # A worker marked 20 items in flight and sent them; the hub committed; the laptop died before the answer.
    batch = sync_state.take_batch(ctx, 20)
    link = sync_state.hub_link(ctx)
    t = HubTransport(link.hub_url, link.credential)
    assert [r["status"] for r in t.push([i.wire() for i in batch])] == ["accepted"] * 20
    t.close()
    assert sync_state.status(ctx).in_flight == 20
    report = SyncWorker(ctx, config=FAST).run_once()
    assert report.resumed == 20 and report.duplicate == 20 and report.accepted == 10
    assert_exactly_once(ctx, hub)
    assert device


class _Canned(BaseHTTPRequestHandler):
    answers: list = []

    def do_GET(self) -> None:  # noqa: N802
        self._reply(200, "application/json", b'{"status":"ok","api":"1","time":"x"}')

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        make = self.answers.pop(0) if self.answers else (lambda items: (503, "application/json", b"{}"))
        self._reply(*make(body["items"]))

    def _reply(self, status: int, ctype: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args) -> None:  # noqa: ANN002
        pass


def _ok(items, *, drop_last=False, other_ids=False, bad_status=False, reorder=False):
    results = [
        {
            "item_id": str(uuid.uuid4()) if other_ids else i["item_id"],
            "status": "sent!" if bad_status else "accepted",
        }
        for i in items
    ]
    if drop_last:
        results = results[:-1]
    if reorder:
        results = results[::-1]
    return 200, "application/json", json.dumps({"results": results, "count": len(items)}).encode()


@pytest.mark.parametrize(
    "answer",
    [
        lambda items: _ok(items, drop_last=True),
        lambda items: _ok(items, other_ids=True),
        lambda items: _ok(items, bad_status=True),
        lambda items: _ok(items, reorder=True),
        lambda items: (200, "text/html", b"<html>portal</html>"),
        lambda items: (200, "application/json", _ok(items)[2][:-20]),
        lambda items: (200, "application/json", b"[]"),
        lambda items: (500, "application/json", b"{}"),
    ],
    ids=[
        "missing-result",
        "other-ids",
        "unknown-status",
        "reordered",
        "html",
        "truncated",
        "wrong-type",
        "500",
    ],
)
def test_nothing_is_marked_sent_without_a_complete_well_formed_answer(admin_session, answer):
    ctx = admin_session
    add_people(ctx, 5)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Canned)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        _Canned.answers = [answer]
        transport = HubTransport(f"http://127.0.0.1:{server.server_address[1]}", "token")
        report = SyncWorker(
            ctx, transport=transport, config=WorkerConfig(max_failures=1, pull=False)
        ).run_once()
    finally:
        server.shutdown()
        server.server_close()
    assert not report.complete and report.failures == 1 and report.error
    states = [r[4] for r in outbox_rows(ctx)]
    assert states == ["pending"] * 5  # same ids will go again
    assert sync_state.status(ctx).last_error


def test_answer_checkers_refuse_anything_incomplete():
    items = [{"item_id": "a"}, {"item_id": "b"}]
    good = {
        "results": [
            {"item_id": "a", "status": "accepted"},
            {"item_id": "b", "status": "rejected", "reason": "x"},
        ],
        "count": 2,
    }
    assert check_push_answer(good, items) == good["results"]
    for bad in (
        {"results": good["results"][:1], "count": 2},
        {"results": good["results"], "count": 3},
        {"results": [good["results"][0], {"item_id": "b", "status": "rejected"}], "count": 2},
        {},
    ):
        with pytest.raises(HubAnswerInvalid):
            check_push_answer(bad, items)
    page = {
        "changes": [{"seq": 3, "type": "roster", "entity_id": "p", "data": {}}],
        "next_cursor": 3,
        "more": False,
    }
    assert check_changes_answer(page, 2) == page
    for bad in (
        {**page, "next_cursor": 1},
        {**page, "more": "no"},
        {**page, "changes": [{"seq": 2, "type": "roster", "entity_id": "p", "data": {}}]},
    ):
        with pytest.raises(HubAnswerInvalid):
            check_changes_answer(bad, 2)


class EditingTransport(HubTransport):
    """Runs *edit* once, while the first batch is on the wire (after it was serialised and marked in flight)."""

    def __init__(self, *args, edit, **kwargs) -> None:  # noqa: ANN001, ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.edit = edit

    def push(self, items):  # noqa: ANN001, ANN201
        if self.edit:
            self.edit()
            self.edit = None
        return super().push(items)


def test_record_edited_while_its_upload_is_in_flight_goes_back_to_pending(admin_session, hub):
    ctx = admin_session
    person = persons.create_person(
        ctx, persons.PersonInput(full_name="Đỗ Thị Hoa", personal_id="031190004321")
    )
    enroll(ctx, hub.db_url, hub.url)
    link = sync_state.hub_link(ctx)
    seen = []

    def on_progress(p: dict) -> None:
        if p["phase"] == "push" and not seen:  # right after the first answer was committed
            seen.append(sync_state.status(ctx).pending)

    edit = lambda: persons.update_person(ctx, person.id, {"phone": "0911222333"})  # noqa: E731
    worker = SyncWorker(
        ctx,
        transport=EditingTransport(link.hub_url, link.credential, edit=edit),
        config=FAST,
        on_progress=on_progress,
    )
    report = worker.run_once()
    assert seen == [1]  # the record was pending again, not "sent", after its first upload was acknowledged
    assert report.complete and report.accepted == 2
    assert hub_store_person(hub, person.id)["phone"] == "0911222333"
    assert sync_state.status(ctx).pending == 0
    assert_exactly_once(ctx, hub)


def test_an_edit_that_bypassed_the_outbox_during_upload_is_requeued(admin_session, hub):
    ctx = admin_session
    person = persons.create_person(
        ctx, persons.PersonInput(full_name="Đỗ Thị Hoa", personal_id="031190004321")
    )
    enroll(ctx, hub.db_url, hub.url)
    link = sync_state.hub_link(ctx)

    def edit() -> None:  # a writer that changed the record without queueing it
        with ctx.write() as s:
            s.execute(
                text("UPDATE person SET hamlet = 'Thôn Mới', version = version + 1 WHERE id = :i"),
                {"i": person.id},
            )

    report = SyncWorker(
        ctx, transport=EditingTransport(link.hub_url, link.credential, edit=edit), config=FAST
    ).run_once()
    assert report.complete and report.requeued == 1 and report.accepted == 2
    assert hub_store_person(hub, person.id)["hamlet"] == "Thôn Mới"
    assert_exactly_once(ctx, hub)


def hub_store_person(hub, person_id):
    from sync.hub.store import HubStore

    store = HubStore(hub.db_url)
    try:
        return store.person(person_id)
    finally:
        store.close()


def test_an_item_the_hub_cannot_even_parse_is_narrowed_down_and_parked(admin_session, hub):
    ctx = admin_session
    add_people(ctx, 12)
    with ctx.write() as s:  # an entity id longer than the API allows: the whole batch answers 422
        outbox.enqueue(s, "consent", "x" * 80, {"person_id": "p", "kind": "exam"})
    add_people(ctx, 12, offset=100)
    enroll(ctx, hub.db_url, hub.url)
    report = SyncWorker(
        ctx, config=WorkerConfig(batch_size=16, backoff_base_s=0.01, max_failures=3)
    ).run_once()
    assert report.complete and report.accepted == 24 and report.rejected == 1
    parked = sync_state.parked(ctx)
    assert len(parked) == 1 and parked[0]["entity_id"] == "x" * 80 and "422" in parked[0]["reason"]


def test_cancel_stops_a_waiting_worker_promptly_and_it_never_blocks_the_caller(admin_session, tmp_path):
    ctx = admin_session
    add_people(ctx, 3)
    with socket.socket() as s:  # a port where nothing listens
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with ctx.write() as s:
        pass
    sync_state.save_enrolment(ctx, f"http://127.0.0.1:{port}", "dev", "secret", pin_sha256=None, ca_file=None)
    worker = SyncWorker(ctx, config=WorkerConfig(backoff_base_s=30, max_failures=None, timeout_s=(1, 1)))
    thread = worker.start()  # returns while the worker runs: it never gives up by itself (max_failures=None)
    assert thread.is_alive()
    # The first attempt failed: the worker now waits out a 30 s backoff.
    wait_until(lambda: sync_state.status(ctx).consecutive_failures, timeout=20, what="a failed attempt")
    worker.cancel()
    assert worker.join(5), "worker did not stop"  # well before the backoff was over
    status = sync_state.status(ctx)
    assert status.pending == 3 and status.in_flight == 0 and status.consecutive_failures >= 1
    assert status.last_error and status.next_attempt_at
    worker.close()


def test_backoff_is_exponential_jittered_and_capped():
    import random

    rng = random.Random(1)
    delays = [backoff_delay(n, 2.0, 600.0, rng) for n in range(1, 15)]
    assert 1.0 <= delays[0] <= 2.0 and 2.0 <= delays[1] <= 4.0 and 4.0 <= delays[2] <= 8.0
    assert all(300.0 <= d <= 600.0 for d in delays[9:])
    assert len({round(d, 6) for d in delays}) == len(delays)  # jitter: no two the same


def test_a_next_attempt_set_by_a_wrong_clock_does_not_stall_sync(admin_session):
    ctx = admin_session
    skewed = lambda: SYSTEM_CLOCK.utcnow() + timedelta(days=2)  # noqa: E731
    sync_state.record_failure(ctx, "offline", 30, skewed)
    assert sync_state.next_attempt_due(ctx, 600) == 0.0  # two days ahead: a clock jump, ignored
    sync_state.record_failure(ctx, "offline", 30)
    assert 0 < sync_state.next_attempt_due(ctx, 600) <= 30


def test_only_https_or_loopback_hubs():
    assert check_hub_url("https://hub.haiphong.example/") == "https://hub.haiphong.example"
    assert check_hub_url("http://127.0.0.1:8765") == "http://127.0.0.1:8765"
    for bad in (
        "http://10.1.2.3:8765",
        "http://hub.example",
        "ftp://hub",
        "https://u:p@hub",
        "https://hub/?x=1",
    ):
        with pytest.raises(KskError):
            check_hub_url(bad)


def test_credential_and_personal_data_never_leak_into_files_or_logs(admin_session, hub, caplog):
    ctx = admin_session
    marker_name, marker_id = "Phạm Đánh Dấu", "031099887766"
    persons.create_person(ctx, persons.PersonInput(full_name=marker_name, personal_id=marker_id))
    add_people(ctx, 10)
    enroll(ctx, hub.db_url, hub.url)
    token = sync_state.hub_link(ctx).credential
    assert token and "***" in repr(sync_state.hub_link(ctx))
    caplog.set_level(logging.DEBUG)
    report = SyncWorker(ctx, config=FAST).run_once()
    assert report.complete
    hub.stop()
    logs = caplog.text + (hub.log.read_text(encoding="utf-8", errors="replace") if hub.log.exists() else "")
    assert "/api/v1/push" in logs  # the logs were really captured (urllib3 and the hub's access log)
    for secret in (token, marker_name, marker_id):
        assert secret not in logs
    for path in ctx.paths.root.rglob(
        "*"
    ):  # the station folder: the database is encrypted, nothing else holds it
        if path.is_file():
            data = path.read_bytes()
            assert token.encode() not in data and marker_id.encode() not in data, path


def test_the_hub_notices_a_station_history_cut_after_sync(admin_session, hub):
    """L2: the newest audit events are deleted behind the app's back after a sync; the next sync reports it."""
    ctx = admin_session
    add_people(ctx, 3)
    enroll(ctx, hub.db_url, hub.url)
    assert SyncWorker(ctx, config=FAST).run_once().warnings == []
    with ctx.db.engine.begin() as conn:  # an attacker with the key trims the tail of the trail
        conn.exec_driver_sql("DELETE FROM audit_event WHERE seq > (SELECT max(seq) - 2 FROM audit_event)")
    report = SyncWorker(ctx, config=FAST).run_once()
    assert report.complete and report.warnings and "lùi" in report.warnings[0]
    from sync.hub.store import HubStore

    store = HubStore(hub.db_url)
    try:
        assert [a["kind"] for a in store.stats()["audit_alerts"]] == ["went_backwards"]
    finally:
        store.close()


def test_a_run_of_new_people_from_the_roster_is_inserted_in_bulk_with_the_outcome_of_one_by_one(
    admin_session, tmp_path, session_clock
):
    """A device catching up from empty inserts a roster page in bulk; the outcome is the one-by-one path's: a
    personal ID held here or earlier in the run is skipped, an invalid record skipped, flags kept."""
    from testkit.stations import PASSWORD, new_station

    from ksk_desktop.db.models import Person
    from ksk_desktop.station.lifecycle import login
    from sync.client import apply

    def card(name: str, personal_id: str | None, **more) -> dict:  # noqa: ANN003
        return {
            "id": str(uuid.uuid4()),
            "name": name,
            "personal_id": personal_id,
            "dob": "1950-03-04",
            "sex": "F",
            "commune_code": "10507",
            "revision": 7,  # the hub revision the device keeps (sent back as base_revision)
            **more,
        }

    held = "031150001234"
    run = [
        card("Lê Thị Một", held),  # already here under another id
        card("Lê Thị Hai", "031150005678", flags=["elderly", "poor"]),
        card("Lê Thị Ba", "031150005678"),  # the same ID as the one before it
        card("", None),  # no name: invalid
        card("Lê Thị Bốn", None),
    ]
    other = login(new_station(tmp_path / "other"), "admin", PASSWORD, clock=session_clock)
    outcomes = []
    for ctx, bulk in ((admin_session, True), (other, False)):
        persons.create_person(ctx, persons.PersonInput(full_name="Lê Thị Có Sẵn", personal_id=held))
        report = apply.PullReport()
        now = ctx.clock.utcnow()
        with ctx.write() as s:
            if bulk:
                changed = apply.apply_roster_run(s, run, report, now)
            else:
                changed = [pid for d in run if (pid := apply.apply_roster(s, d, report, now))]
        with ctx.read() as s:
            people = sorted(
                (
                    p.id,
                    p.full_name,
                    p.personal_id,
                    tuple(f.flag for f in p.flags),
                    p.name_fold,
                    p.hub_revision,
                )
                for p in s.query(Person).filter(Person.id.in_([d["id"] for d in run]))
            )
        outcomes.append((changed, report, people))
    other.close()
    assert outcomes[0] == outcomes[1]
    changed, report, people = outcomes[0]
    assert changed == [run[1]["id"], run[4]["id"]]
    assert report.inserted == 2 and report.skipped == {"personal_id_held": 2, "invalid": 1}
    assert people[[p[0] for p in people].index(run[1]["id"])][3] == ("elderly", "poor")
    assert {p[5] for p in people} == {7}
