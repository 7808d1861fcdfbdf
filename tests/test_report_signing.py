"""Reports signed by the station head, checked at the hub against the head's own key.

With a real hub process on loopback and real SQLCipher stations on frozen clocks: the head's first submission
makes their key (wrapped with their password, registered as head); the hub refuses the report while the key waits
for approval — the station shows why on its Đồng bộ list — and accepts it, verified, once the hub administrator
approved it and the head sent it again; a password reset retires the key and the next submission registers a new
one, which the hub again wants approved. In-process on a frozen hub clock, every forgery is refused and nothing of
it stored: no signature, tampered figures, another user's key, a key of another station, a key not approved, a
doctor's key; a report received before reports were signed is shown as not signed, a report changed in the hub's
database as not verified."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import date, datetime

import pytest
from reports_support import DOCTOR, HEAD, PASSWORD, sign_on, wall
from sqlalchemy import func, select, text
from test_reports_hub import (  # noqa: F401 - the fixtures too
    FAST,
    A,
    B,
    HubClock,
    _device,
    _item,
    frozen_payload,
    head_key,
    resign,
    station_a,
)
from testkit.hubdb import empty_hub_db
from testkit.hubproc import HubProcess
from testkit.signing_keys import StationKey, key_item, register_key
from testkit.stations import enroll

from conftest import ADMIN, ADMIN_PASSWORD, run_ksk
from ksk_desktop.errors import AuthenticationFailed, KskError
from ksk_desktop.exams import keys
from ksk_desktop.outbox import sync_review, sync_state
from ksk_desktop.reports import submissions
from ksk_desktop.station import users
from ksk_desktop.station.lifecycle import login
from sync.client.worker import SyncWorker
from sync.hub import city_report, doctor_keys, report_web
from sync.hub.items import ItemRejected
from sync.hub.reports import HubReport, HubReportSignature
from sync.hub.store import HubStore

NEW_PASSWORD = "Truong-tram-moi-2026"


def _hub_ksk(tmp_path, url: str, *args: str) -> dict | list:
    out = run_ksk("hub", *args, "--db", url, "--json", data_dir=tmp_path)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def _outbox(ctx, kind: str) -> list[dict]:
    with ctx.read() as s:
        rows = s.execute(
            text("SELECT item_id, entity_id, state, payload FROM outbox WHERE kind = :k ORDER BY seq"),
            {"k": kind},
        ).all()
    return [{"item_id": i, "entity_id": e, "state": st, "payload": json.loads(p)} for i, e, st, p in rows]


def _keys_of(ctx, username: str) -> list[dict]:
    return [k for k in keys.public_keys(ctx) if k["username"] == username]


def _send_until_accepted(ctx, tmp_path, url: str, key_id: str) -> None:
    """The report waits for its key's approval: refused and parked, with the reason on the Đồng bộ list; the
    administrator approves the key, the head sends the report again, the hub accepts it."""
    run = SyncWorker(ctx, config=FAST).run_once()
    assert run.rejected == 1 and run.complete, run.to_json()
    (parked,) = sync_review.review_parked(ctx)
    assert parked["kind"] == "report" and parked["kind_label"] == "Báo cáo đã nộp"
    assert "chưa được quản trị máy chủ xác nhận" in parked["reason_text"] and key_id in parked["reason_text"]
    pending = _hub_ksk(tmp_path, url, "doctor-key", "list", "--pending")  # the doctor's key waits too
    assert [
        (k["key_id"], k["username"], k["role"], k["licence_no"]) for k in pending if k["role"] == "head"
    ] == [(key_id, HEAD, "head", None)]
    _hub_ksk(tmp_path, url, "doctor-key", "approve", key_id)
    sync_state.retry(ctx, parked["item_id"])
    run = SyncWorker(ctx, config=FAST).run_once()
    assert run.rejected == 0 and run.accepted == 1 and run.complete, run.to_json()


def test_signed_report_verified_at_a_real_hub_and_a_reset_makes_a_new_key(station_a, tmp_path) -> None:  # noqa: F811
    paths, clock, ids = station_a
    db = tmp_path / "hub.db"
    url = f"sqlite:///{db}"
    with HubProcess(db, log=tmp_path / "hub.log") as hub:
        head = login(paths, HEAD, PASSWORD, clock=clock)
        enroll(head, url, hub.url)
        with pytest.raises(AuthenticationFailed):  # a wrong password opens no key and makes none
            submissions.submit(head, "monthly", "2026-11", "sai-mat-khau")
        assert _keys_of(head, HEAD) == [] and head.keystore.failures(HEAD) == 1
        first = submissions.submit(head, "monthly", "2026-11", PASSWORD)
        k1 = first["signer_key_id"]
        (reg,) = [r for r in _outbox(head, "doctor_key") if r["payload"]["username"] == HEAD]
        assert (
            reg["entity_id"] == k1 and reg["payload"]["role"] == "head" and reg["payload"]["username"] == HEAD
        )
        (item,) = _outbox(head, "report")
        assert (item["payload"]["signer_key_id"], item["payload"]["signed_by"]) == (k1, HEAD)
        _send_until_accepted(head, tmp_path, url, k1)
        head.close()
        listed = run_ksk(
            "--user", HEAD, "report", "submissions", "--json", data_dir=paths.root, password=PASSWORD
        )
        assert listed.returncode == 0, listed.stderr
        assert [(r["version"], r["signed_by"], r["signer_key_id"]) for r in json.loads(listed.stdout)] == [
            (1, HEAD, k1)
        ]
        city = _hub_ksk(tmp_path, url, "report", "monthly", "--month", "2026-11")
        a = next(st for st in city["stations"] if st["station_code"] == A[0])
        assert (a["version"], a["signed_by"], a["signer_key_id"], a["signature_verified"]) == (
            1,
            HEAD,
            k1,
            True,
        )
        assert a["signer_name"] == "Trần Văn Trưởng"

        # The head forgot their password: the administrator resets it. The key cannot be opened any more.
        admin = login(paths, ADMIN, ADMIN_PASSWORD, clock=clock)
        users.change_password(admin, HEAD, NEW_PASSWORD)
        (retired,) = _keys_of(admin, HEAD)
        assert (retired["key_id"], retired["active"], retired["retired_reason"]) == (
            k1,
            False,
            "password_reset",
        )
        admin.close()
        sign_on(paths, clock, date(2026, 11, 28), [ids[6]])  # an exam signed late: the figures change
        clock.set_vietnam(wall(2026, 12, 5, 9))
        head = login(paths, HEAD, NEW_PASSWORD, clock=clock)
        second = submissions.submit(head, "monthly", "2026-11", NEW_PASSWORD, reason="Bổ sung phiếu ký muộn")
        k2 = second["signer_key_id"]
        assert k2 != k1 and second["version"] == 2
        regs = [r for r in _outbox(head, "doctor_key") if r["payload"]["username"] == HEAD]
        assert [r["entity_id"] for r in regs] == [k1, k2] and regs[1]["payload"]["role"] == "head"
        # The hub knows an approved key of this head: the new one still waits for the administrator.
        _send_until_accepted(head, tmp_path, url, k2)
        head.close()
        city = _hub_ksk(tmp_path, url, "report", "monthly", "--month", "2026-11")
    a = next(st for st in city["stations"] if st["station_code"] == A[0])
    assert (a["version"], a["signer_key_id"], a["signature_verified"]) == (2, k2, True)
    store = HubStore(url)
    try:
        with store.session() as s:
            kept = {r.version: r for r in s.scalars(select(HubReport))}
            signed = {r.report_id: r.signer_key_id for r in s.scalars(select(HubReportSignature))}
    finally:
        store.close()
    assert {v: signed[r.id] for v, r in kept.items()} == {1: k1, 2: k2}  # the first stays signed by k1


def _refused(store: HubStore, device, payload: dict, code: str) -> str:  # noqa: ANN001
    (res,) = store.push(device, [_item(payload)])
    assert res["status"] == "rejected" and res["code"] == code, res
    return res["reason"]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_hub_refuses_every_report_it_cannot_verify(
    station_a,  # noqa: F811 - the fixtures imported above
    frozen_payload,  # noqa: F811
    head_key,  # noqa: F811
    tmp_path,
    backend,
) -> None:
    paths, clock, _ids = station_a
    registration, _signer = head_key
    doctor = login(paths, DOCTOR, PASSWORD, clock=clock)
    try:
        doctor_signer = keys.unlock(doctor, PASSWORD)  # a real doctor's key of this station
        (doctor_reg,) = [
            r["payload"] for r in _outbox(doctor, "doctor_key") if r["entity_id"] == doctor_signer.key_id
        ]
    finally:
        doctor.close()
    hub_clock = HubClock(datetime(2026, 12, 10, 3, 0))  # noqa: DTZ001 - the hub's naive UTC
    store = HubStore(empty_hub_db(backend, tmp_path), clock=hub_clock)
    try:
        dev_a, dev_b = _device(store, *A), _device(store, *B)
        unsigned = {
            **frozen_payload,
            "signature": None,
            "signer_key_id": None,
        }  # as before reports were signed
        assert "nộp lại bản điều chỉnh" in _refused(store, dev_a, unsigned, "unsigned_report")
        _refused(store, dev_a, frozen_payload, "unknown_signer_key")  # its key not registered yet
        register_key(store, dev_a, registration, approve=False)
        reason = _refused(store, dev_a, frozen_payload, "signer_key_pending")  # registered, not approved
        assert "chưa được quản trị máy chủ xác nhận" in reason
        with store.session(write=True) as s:
            doctor_keys.approve(s, registration["key_id"], None, hub_clock())
        # figures changed after signing, the digest made again to match them: only the signature tells
        tampered = copy.deepcopy(frozen_payload)
        for row in (tampered["figures"]["groups"][0], tampered["figures"]["total"]):
            for key in ("managed", "examined_ytd", "examined_month"):
                row[key] += 1
        tampered["digest"] = submissions.digest(tampered["figures"])
        assert "bị sửa sau khi ký" in _refused(store, dev_a, tampered, "bad_signature")
        # another user's key (approved, as head) signing in the head's name
        other = StationKey(A[0], username="truongtram2")
        register_key(store, dev_a, other.registration)
        _refused(store, dev_a, other.sign(frozen_payload, signed_by=HEAD), "signer_mismatch")
        # the head's name on a key another station registered (and had approved)
        foreign = StationKey(B[0])
        register_key(store, dev_b, foreign.registration)
        _refused(store, dev_a, foreign.sign(frozen_payload), "foreign_signer_key")
        # a key made and registered here but never approved
        fresh = StationKey(A[0])
        register_key(store, dev_a, fresh.registration, approve=False)
        _refused(store, dev_a, fresh.sign(frozen_payload), "signer_key_pending")
        # a doctor (no report-submit permission) signing with their own real, approved key
        register_key(store, dev_a, doctor_reg)
        as_doctor = copy.deepcopy(frozen_payload)
        as_doctor.update(signer_key_id=doctor_signer.key_id, signed_by=DOCTOR)
        assert "không phải trưởng trạm" in _refused(
            store, dev_a, resign(as_doctor, doctor_signer), "signer_not_head"
        )
        # a registration claiming a role that signs nothing is refused; a head's key signs no exam
        bogus = StationKey(A[0], username="quantri", role="admin")
        (res,) = store.push(dev_a, [key_item(bogus.registration)])
        assert res["status"] == "rejected" and res["code"] == "bad_doctor_key", res
        with store.session() as s, pytest.raises(ItemRejected) as err:
            doctor_keys.check_exam(
                s, A[0], {"signer_key_id": registration["key_id"], "signature": "AAAA", "signed_by": HEAD}
            )
        assert err.value.code == "signer_role"
        with store.session() as s:
            assert s.scalar(select(func.count()).select_from(HubReport)) == 0  # nothing refused was stored
        (res,) = store.push(dev_a, [_item(frozen_payload)])
        assert res["status"] == "accepted", res
        # A report received before reports were signed (B's, put there as an old hub stored it) is shown unsigned.
        legacy = copy.deepcopy(frozen_payload["figures"])
        legacy["station_code"], legacy["commune_code"] = B
        with store.session(write=True) as s:
            s.add(
                HubReport(
                    id=str(uuid.uuid4()),
                    station_code=B[0],
                    commune_code=B[1],
                    kind="monthly",
                    period="2026-11",
                    version=1,
                    digest=submissions.digest(legacy),
                    figures=json.dumps(legacy, ensure_ascii=False),
                    reason=None,
                    signed_by=HEAD,
                    signer_name="Trần Văn Trưởng",
                    signed_at="2026-12-02T09:00:00",
                    received_at=hub_clock(),
                )
            )
        with store.session() as s:
            city = city_report.monthly(s, "2026-11", hub_clock())
        by_code = {st["station_code"]: st for st in city["stations"]}
        assert (by_code[A[0]]["signature_verified"], by_code[A[0]]["signer_key_id"]) == (
            True,
            registration["key_id"],
        )
        assert (by_code[B[0]]["signature_verified"], by_code[B[0]]["signer_key_id"]) == (False, None)
        page = report_web.render(city, "Phòng Nghiệp vụ Y")
        assert "chữ ký đã xác minh" in page and "chưa ký (báo cáo nộp trước khi có chữ ký số)" in page
        # the hub's own copy changed afterwards: no longer shown as verified
        with store.session(write=True) as s:
            row = s.scalar(select(HubReport).where(HubReport.station_code == A[0]))
            assert row is not None
            figures = json.loads(row.figures)
            figures["groups"][1]["managed"] += 5
            row.figures = json.dumps(figures)
        with store.session() as s:
            city = city_report.monthly(s, "2026-11", hub_clock())
        a = next(st for st in city["stations"] if st["station_code"] == A[0])
        assert a["signature_verified"] is False
        assert "chữ ký KHÔNG xác minh được" in report_web.render(city, "Phòng Nghiệp vụ Y")
    finally:
        store.close()


def test_a_role_change_makes_a_new_key_for_the_new_role(station_a) -> None:  # noqa: F811
    """No screen changes a user's role today; should one (or a database edit) do it, a key registered for the old
    role is not used for the new one: it is retired and a key for the new role is registered."""
    paths, clock, _ids = station_a
    doctor = login(paths, DOCTOR, PASSWORD, clock=clock)
    (old,) = [k for k in keys.public_keys(doctor) if k["username"] == DOCTOR and k["active"]]
    assert old["role"] == "doctor"
    with doctor.write() as s:
        s.execute(text("UPDATE app_user SET role = 'head' WHERE username = :u"), {"u": DOCTOR})
    doctor.close()
    promoted = login(paths, DOCTOR, PASSWORD, clock=clock)
    try:
        done = submissions.submit(promoted, "monthly", "2026-11", PASSWORD)
        mine = {k["key_id"]: k for k in keys.public_keys(promoted) if k["username"] == DOCTOR}
        regs = {r["entity_id"]: r["payload"] for r in _outbox(promoted, "doctor_key")}
    finally:
        promoted.close()
    assert done["signer_key_id"] != old["key_id"] and mine[done["signer_key_id"]]["role"] == "head"
    assert (mine[old["key_id"]]["active"], mine[old["key_id"]]["retired_reason"]) == (False, "role_change")
    assert regs[done["signer_key_id"]]["role"] == "head" and "role" not in regs[old["key_id"]]
    head = login(paths, HEAD, PASSWORD, clock=clock)
    try:
        with pytest.raises(Exception, match="không có quyền"):
            keys.unlock(head, PASSWORD)  # a head opens no key to sign exams
    finally:
        head.close()


def test_an_unsigned_version_from_before_may_be_signed_as_the_next(station_a) -> None:  # noqa: F811
    """A version submitted before reports were signed (no key, no signature; the hub refuses it): the head signs
    the same figures as the next version, with a reason; a signed version is never submitted twice."""
    paths, clock, _ids = station_a
    head = login(paths, HEAD, PASSWORD, clock=clock)
    try:
        figures = submissions.frozen(submissions.monthly.build(head, "2026-11"))
        with head.write() as s:  # the row as the station wrote it before the upgrade
            s.execute(
                text(
                    "INSERT INTO report_submission (id, kind, period, version, figures, data_version, digest, "
                    "reason, signed_by, signer_name, signed_at, created_at) VALUES (:id, 'monthly', '2026-11', 1, "
                    ":f, :dv, :d, NULL, :u, 'Trần Văn Trưởng', '2026-12-03T09:00:00+07:00', '2026-12-03 02:00:00')"
                ),
                {
                    "id": str(uuid.uuid4()),
                    "f": json.dumps(figures),
                    "dv": json.dumps(figures["data_version"]),
                    "d": submissions.digest(figures),
                    "u": HEAD,
                },
            )
        listed = submissions.list_submissions(head)
        assert [(r["version"], r["signer_key_id"]) for r in listed] == [(1, None)]
        signed = submissions.submit(head, "monthly", "2026-11", PASSWORD, reason="Ký số báo cáo đã nộp")
        assert signed["version"] == 2 and signed["digest"] == listed[0]["digest"] and signed["signer_key_id"]
        with pytest.raises(KskError, match="không thay đổi"):
            submissions.submit(head, "monthly", "2026-11", PASSWORD, reason="Lần nữa")
    finally:
        head.close()
