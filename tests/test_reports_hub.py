"""Submitting reports and the city's view of them, on frozen clocks: the head freezes and signs a month (a wrong
password, a month not over, a correction without a reason or with the same figures are refused; a submitted row
cannot be changed), the station sends it through the outbox to a real hub process, ``ksk hub report monthly``
adds the stations up; in-process with the hub's clock frozen: the 15th's deadline, and the authorisation — a
device submits only its own station's reports, never with figures that do not match their digest."""

from __future__ import annotations

import base64
import copy
import json
import uuid
from datetime import date, datetime

import pytest
from reports_support import HEAD, PASSWORD, add_staff, person, sign_on, wall
from sqlalchemy import text
from testkit.hubdb import empty_hub_db
from testkit.hubproc import HubProcess
from testkit.signing_keys import register_key
from testkit.stations import enroll, register_station

from conftest import ADMIN, ADMIN_PASSWORD, run_ksk
from ksk_desktop.clock import FixedClock
from ksk_desktop.errors import AuthenticationFailed, InvalidInput, KskError
from ksk_desktop.exams import keys
from ksk_desktop.reports import monthly, signature, submissions
from ksk_desktop.security.signer import Signer
from ksk_desktop.station.lifecycle import init_station, login
from ksk_desktop.station.paths import StationPaths
from sync.client.worker import SyncWorker, WorkerConfig
from sync.hub import city_report
from sync.hub.store import HubStore

A, B = ("TYT-A", "10507"), ("TYT-B", "10525")
FAST = WorkerConfig(batch_size=50, backoff_base_s=0.01, max_failures=3, timeout_s=(2.0, 5.0))


def _station(root, code: str, commune: str, clock: FixedClock) -> StationPaths:
    paths = StationPaths(root)
    init_station(
        paths,
        clock=clock,
        station_code=code,
        commune_code=commune,
        admin_username=ADMIN,
        admin_password=ADMIN_PASSWORD,
    )
    admin = login(paths, ADMIN, ADMIN_PASSWORD, clock=clock)
    add_staff(admin)
    admin.close()
    return paths


@pytest.fixture
def station_a(tmp_path):
    clock = FixedClock.vietnam(wall(2026, 11, 2, 8))
    paths = _station(tmp_path / "a", *A, clock)
    admin = login(paths, ADMIN, ADMIN_PASSWORD, clock=clock)
    ids = [person(admin, f"Nguyễn Văn {i}", date(1950 + 5 * i, 6, 1), None) for i in range(8)]
    admin.close()
    sign_on(paths, clock, date(2026, 11, 20), ids[:3])
    clock.set_vietnam(wall(2026, 12, 3, 9))
    return paths, clock, ids


def test_submit_freeze_and_correct(station_a, monkeypatch) -> None:
    paths, clock, ids = station_a
    head = login(paths, HEAD, PASSWORD, clock=clock)
    with pytest.raises(AuthenticationFailed):
        submissions.submit(head, "monthly", "2026-11", "sai-mat-khau")
    with pytest.raises(InvalidInput, match="chưa kết thúc"):
        submissions.submit(head, "monthly", "2026-12", PASSWORD)
    first = submissions.submit(head, "monthly", "2026-11", PASSWORD)
    assert first["version"] == 1 and first["signed_by"] == HEAD
    frozen = submissions.frozen_figures(head, "monthly", "2026-11")["figures"]
    assert frozen["total"]["examined_month"] == 3
    assert frozen == submissions.frozen(monthly.build(head, "2026-11"))  # the same data, the same figures
    with pytest.raises(InvalidInput, match="lý do"):
        submissions.submit(head, "monthly", "2026-11", PASSWORD)
    with pytest.raises(KskError, match="không thay đổi"):
        submissions.submit(head, "monthly", "2026-11", PASSWORD, reason="Nộp lại")
    head.close()
    # an exam of 28 November signed late: the figures change, the submitted version does not
    sign_on(paths, clock, date(2026, 11, 28), [ids[5]])
    clock.set_vietnam(wall(2026, 12, 4, 9))
    head = login(paths, HEAD, PASSWORD, clock=clock)
    assert submissions.frozen_figures(head, "monthly", "2026-11")["figures"]["total"]["examined_month"] == 3
    second = submissions.submit(
        head, "monthly", "2026-11", PASSWORD, reason="Bổ sung phiếu khám ngày 28/11 ký muộn"
    )
    assert second["version"] == 2 and second["digest"] != first["digest"]
    assert submissions.frozen_figures(head, "monthly", "2026-11")["figures"]["total"]["examined_month"] == 4
    assert (
        submissions.frozen_figures(head, "monthly", "2026-11", 1)["figures"]["total"]["examined_month"] == 3
    )
    assert [r["version"] for r in submissions.list_submissions(head)] == [1, 2]
    with head.write() as s, pytest.raises(Exception, match="frozen"):
        s.execute(text("UPDATE report_submission SET figures = '{}'"))
    with head.write() as s, pytest.raises(Exception, match="cannot be deleted"):
        s.execute(text("DELETE FROM report_submission"))
    with head.read() as s:
        kinds = s.execute(
            text("SELECT kind, entity_version FROM outbox WHERE kind = 'report' ORDER BY seq")
        ).all()
        audited = s.scalar(text("SELECT count(*) FROM audit_event WHERE action = 'report.submit'"))
    assert [tuple(k) for k in kinds] == [("report", 1), ("report", 2)] and audited == 2
    head.close()
    doctor = login(paths, "bacsi", PASSWORD, clock=clock)
    with pytest.raises(Exception, match="không có quyền"):
        submissions.submit(doctor, "monthly", "2026-11", PASSWORD)
    doctor.close()


def test_sent_to_a_real_hub_and_added_up(station_a, tmp_path) -> None:
    paths, clock, _ids = station_a
    db = tmp_path / "hub.db"
    url = f"sqlite:///{db}"
    store = HubStore(url)
    register_station(store, *B)  # registered, never submits
    store.close()
    with HubProcess(db, log=tmp_path / "hub.log") as hub:
        head = login(paths, HEAD, PASSWORD, clock=clock)
        enroll(head, url, hub.url)
        submitted = submissions.submit(head, "monthly", "2026-11", PASSWORD)
        submissions.submit(head, "annual", "2026", PASSWORD)  # the annual report travels the same way
        # the head's signing key, made on the first submission, approved by the hub's administrator before it
        # arrives (the key id read out by the head); test_report_signing covers a key approved after
        approved = run_ksk(
            "hub", "doctor-key", "approve", submitted["signer_key_id"], "--station", A[0], "--db", url,
            data_dir=tmp_path,
        )  # fmt: skip
        assert approved.returncode == 0, approved.stderr
        report = SyncWorker(head, config=FAST).run_once()
        assert report.rejected == 0 and report.complete, report.to_json()
        with head.read() as s:
            states = s.execute(text("SELECT state FROM outbox WHERE kind = 'report'")).scalars().all()
        assert states == ["sent", "sent"]
        frozen = submissions.frozen_figures(head, "monthly", "2026-11")["figures"]
        head.close()
        out = run_ksk(
            "hub", "report", "monthly", "--month", "2026-11", "--db", url, "--json", data_dir=tmp_path
        )
        assert out.returncode == 0, out.stderr
        city = json.loads(out.stdout)
    hub_store = HubStore(url)
    with hub_store.session() as s:
        kept = s.execute(
            text("SELECT kind, period, version, station_code FROM hub_report ORDER BY kind")
        ).all()
    hub_store.close()
    assert [tuple(r) for r in kept] == [("annual", "2026", 1, A[0]), ("monthly", "2026-11", 1, A[0])]
    assert city["stations_registered"] == 2 and city["stations_submitted"] == 1
    a = next(st for st in city["stations"] if st["station_code"] == A[0])
    assert a["version"] == 1 and a["signer_name"] == "Trần Văn Trưởng"
    assert (a["signed_by"], a["signer_key_id"], a["signature_verified"]) == (
        HEAD,
        submitted["signer_key_id"],
        True,
    )
    assert [g["managed"] for g in a["groups"]] == [g["managed"] for g in frozen["groups"]]
    assert city["total"]["managed"] == frozen["total"]["managed"]
    assert city["total"]["examined_ytd"] == frozen["total"]["examined_ytd"]
    assert city["lowest"][0]["station_code"] == A[0]
    assert {g["group"]: g["plan_target"] for g in city["groups"]}["b"] == 1_048_653
    assert (
        submitted["digest"]
        and next(st for st in city["stations"] if st["station_code"] == B[0])["submitted"] is False
    )


# -- in-process hub on a frozen clock ------------------------------------------------------------------------
class HubClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def _device(store: HubStore, code: str, commune: str):  # noqa: ANN202
    register_station(store, code, commune)
    device_id, token = store.enroll(store.new_enroll_code(code), code, str(uuid.uuid4()), commune)
    return store.authenticate(token)


def _item(payload: dict) -> dict:
    return {
        "item_id": str(uuid.uuid4()),
        "kind": "report",
        "entity_id": payload["id"],
        "entity_version": payload["version"],
        "payload": payload,
    }


@pytest.fixture
def frozen_payload(station_a) -> dict:
    paths, clock, _ids = station_a
    head = login(paths, HEAD, PASSWORD, clock=clock)
    submissions.submit(head, "monthly", "2026-11", PASSWORD)
    with head.read() as s:
        payload = json.loads(s.scalar(text("SELECT payload FROM outbox WHERE kind = 'report'")))
    head.close()
    return payload


@pytest.fixture
def head_key(station_a, frozen_payload) -> tuple[dict, Signer]:
    """The registration of the head's key (queued by the submission) and the head's signer, opened with the
    head's password as a submission opens it."""
    paths, clock, _ids = station_a
    head = login(paths, HEAD, PASSWORD, clock=clock)
    try:
        with head.read() as s:
            registration = json.loads(
                s.scalar(
                    text("SELECT payload FROM outbox WHERE kind = 'doctor_key' AND entity_id = :k"),
                    {"k": frozen_payload["signer_key_id"]},
                )
            )
        signer = keys.unlock(head, PASSWORD, keys.REPORT)
    finally:
        head.close()
    assert registration["key_id"] == frozen_payload["signer_key_id"] == signer.key_id
    return registration, signer


def resign(payload: dict, signer: Signer) -> dict:
    """*payload* after a change, signed again by *signer* (what the station would have sent)."""
    payload["signature"] = base64.b64encode(signer.sign(signature.signed_bytes(payload))).decode()
    return payload


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_hub_authorises_and_flags_late(frozen_payload, head_key, tmp_path, backend) -> None:
    clock = HubClock(datetime(2026, 12, 10, 3, 0))  # noqa: DTZ001 - the hub's naive UTC
    store = HubStore(empty_hub_db(backend, tmp_path), clock=clock)
    registration, signer = head_key
    try:
        dev_a = _device(store, *A)
        dev_b = _device(store, *B)
        register_key(store, dev_a, registration)  # the head's key, approved
        # B's device cannot submit A's report, nor A's report relabelled as B's with A's commune
        (res,) = store.push(dev_b, [_item(frozen_payload)])
        assert res["status"] == "rejected" and res["code"] == "not_your_station"
        forged = copy.deepcopy(frozen_payload)
        forged["station_code"] = forged["figures"]["station_code"] = B[0]
        (res,) = store.push(dev_b, [_item(forged)])
        assert res["status"] == "rejected" and res["code"] in ("commune_not_served", "bad_digest")
        tampered = copy.deepcopy(frozen_payload)
        tampered["figures"]["groups"][0]["examined_ytd"] += 1  # still consistent: only the digest tells
        tampered["figures"]["groups"][0]["examined_month"] += 1
        tampered["figures"]["groups"][0]["managed"] += 1
        for key in ("examined_ytd", "examined_month", "managed"):
            tampered["figures"]["total"][key] += 1
        (res,) = store.push(dev_a, [_item(tampered)])
        assert res["status"] == "rejected" and res["code"] == "bad_digest"
        (res,) = store.push(dev_a, [_item(frozen_payload)])
        assert res["status"] == "accepted", res
        other = copy.deepcopy(frozen_payload)
        other["id"] = str(uuid.uuid4())
        (res,) = store.push(dev_a, [_item(other)])
        assert res["status"] == "rejected" and res["code"] == "report_version_exists"
        with store.session() as s:
            before = city_report.monthly(s, "2026-11", datetime(2026, 12, 10, 3, 0))  # noqa: DTZ001
            after = city_report.monthly(s, "2026-11", datetime(2026, 12, 15, 17, 0))  # noqa: DTZ001 - 16/12 00:00 VN
            edge = city_report.monthly(s, "2026-11", datetime(2026, 12, 15, 16, 59))  # noqa: DTZ001 - 15/12 23:59 VN
        assert before["not_submitted_by_deadline"] == [] and edge["not_submitted_by_deadline"] == []
        assert after["not_submitted_by_deadline"] == [B[0]]
        a = next(st for st in after["stations"] if st["station_code"] == A[0])
        assert a["on_time"] and not a["flagged"] and after["deadline"] == "2026-12-15"
        # a report first received after the 15th is marked late
        clock.at = datetime(2026, 12, 20, 2, 0)  # noqa: DTZ001
        late = copy.deepcopy(frozen_payload)
        late["period"] = late["figures"]["month"] = "2026-10"
        late["id"] = str(uuid.uuid4())
        late["digest"] = submissions.digest(late["figures"])
        resign(late, signer)
        (res,) = store.push(dev_a, [_item(late)])
        assert res["status"] == "accepted", res
        with store.session() as s:
            october = city_report.monthly(s, "2026-10", clock.at)
        a = next(st for st in october["stations"] if st["station_code"] == A[0])
        assert a["flagged"] and not a["on_time"]
        assert set(october["not_submitted_by_deadline"]) == {A[0], B[0]}
    finally:
        store.close()


def test_deadline_over_the_year_end() -> None:
    assert city_report.deadline_of(2026, 12) == date(2027, 1, 15)
    assert city_report.deadline_of(2028, 1) == date(2028, 2, 15)
    with pytest.raises(InvalidInput):
        city_report.parse_month("2026-00")
