"""QĐ 1551 end to end with real processes on loopback: station → ``ksk sync run`` → hub (``ksk hub serve
--moh-url``) → the reference Ministry endpoint (``ksk moh-ref serve``). Each of the Ministry's answers reaches
the station (``ksk sync moh-status``), the 24-hour deadline is flagged at both ends, and every envelope counts
exactly once at the Ministry under the network's faults and a hub killed in the middle of forwarding."""

from __future__ import annotations

import json
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from moh1551_support import khamsuckhoe
from sqlalchemy import func, select
from testkit.faultproxy import FaultProxy
from testkit.hubdb import BACKENDS, empty_hub_db
from testkit.hubproc import HubProcess
from testkit.mohref import MohRefProcess, hub_moh_args, pem, set_up_ministry, signed_envelope
from testkit.stations import add_people, enroll
from testkit.testca import TestCA
from testkit.waiting import wait_until

from conftest import ADMIN, ADMIN_PASSWORD, run_ksk
from ksk_desktop.db.models import Person
from ksk_desktop.ids import new_id
from ksk_desktop.moh1551 import certs, envelope
from ksk_desktop.people import consent
from ksk_desktop.station.lifecycle import login
from sync.hub import mohqueue
from sync.hub.models import MohExchange
from sync.hub.store import HubStore

STATION = "TYT-TEST"


@pytest.fixture(scope="module")
def ca() -> TestCA:
    return TestCA()


@pytest.fixture(scope="module")
def signers(ca):
    doctor = certs.open_pkcs12(ca.doctor().p12("d"), "d")
    facility = certs.open_pkcs12(ca.facility().p12("f"), "f")
    return doctor, facility


def people_of(ctx, n: int, consented: int) -> list[str]:
    add_people(ctx, n, seed=11)
    with ctx.read() as s:
        ids = list(s.scalars(select(Person.id).order_by(Person.id)).all())
    for pid in ids[:consented]:
        consent.record(ctx, pid, "ehr_share")
    return ids


def queue(ctx, signers, person_id: str, cccd: str, *, ended_hours_ago: float = 1.0, **fields) -> str:
    """A signed file for *person_id* queued for the Ministry; returns the exam id."""
    doctor, facility = signers
    exam_id, ma_lk = new_id(), f"LK{new_id()[-12:]}"
    now = ctx.clock.now()
    xml = khamsuckhoe(ma_lk=ma_lk, hoso_id=f"HS-{ma_lk}", so_cccd=cccd, **fields)
    env = signed_envelope(xml, doctor, facility, f"HS-{ma_lk}", now)
    with ctx.write() as s:
        envelope.queue_push(
            s, exam_id=exam_id, ma_lk=ma_lk, person_id=person_id, envelope=env,
            exam_ended_at=now - timedelta(hours=ended_hours_ago),
        )  # fmt: skip
    return exam_id


def sync_once(paths) -> dict:
    out = run_ksk(
        "sync", "run", "--once", "--user", ADMIN, "--json", data_dir=paths.root, password=ADMIN_PASSWORD
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)["report"]


def station_moh(paths) -> dict:
    out = run_ksk(
        "sync", "moh-status", "--json", "--user", ADMIN, data_dir=paths.root, password=ADMIN_PASSWORD
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def hub_moh(db: str) -> dict:
    out = run_ksk("hub", "moh-status", "--db", db, "--json", data_dir=Path(tempfile.gettempdir()))
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def register_at_hub(db_url: str, cert) -> None:  # noqa: ANN001
    store = HubStore(db_url)
    try:
        with store.session(write=True) as s:
            mohqueue.register_cert(s, STATION, pem(cert), store.clock())
    finally:
        store.close()


def by_exam(status: dict) -> dict[str, dict]:
    return {i["exam_id"]: i for i in status["items"]}


@pytest.mark.parametrize("backend", BACKENDS)
def test_each_answer_reaches_the_station_and_the_deadline_is_flagged(
    admin_session, signers, tmp_path, backend
):
    ctx = admin_session
    doctor, facility = signers
    ids = people_of(ctx, 5, consented=4)
    good = queue(ctx, signers, ids[0], "031190000001")
    bad = queue(ctx, signers, ids[1], "031190000002", ho_ten="")
    twice = queue(ctx, signers, ids[2], "031190000001")  # the same personal ID within 6 months
    late = queue(ctx, signers, ids[3], "031190000003", ended_hours_ago=30)
    waiting = queue(ctx, signers, ids[4], "031190000004")  # no consent to sharing yet
    set_up_ministry(tmp_path / "moh", pem(facility.certificate))
    db = db_url = empty_hub_db(backend, tmp_path)
    with MohRefProcess(tmp_path / "moh") as moh:
        args, env = hub_moh_args(moh.url, workers=1)
        with HubProcess(db, extra=args, env=env) as hub:
            enroll(ctx, db_url, hub.url)
            register_at_hub(db_url, facility.certificate)
            ctx.close()
            report = sync_once(ctx.paths)
            assert report["rejected"] == 0
            wait_until(
                lambda: hub_moh(db_url), lambda st: st["counts"]["pending"] == 0, timeout=60, what="answers"
            )
            sync_once(ctx.paths)
            st = by_exam(station_moh(ctx.paths))
            assert st[good]["state"] == "accepted" and not st[good]["overdue"] and not st[good]["to_fix"]
            assert st[bad]["state"] == "parked" and st[bad]["to_fix"]
            assert st[bad]["res_code"] == "CM_INVALID_REQUEST" and "HO_TEN" in st[bad]["message"]
            assert (
                st[twice]["state"] == "duplicate" and st[twice]["res_code"] == "PS_CCCD_DUPLICATE_IN_6_MONTHS"
            )
            assert st[late]["state"] == "accepted" and st[late]["overdue"]
            assert st[waiting]["state"] == "waiting" and "đồng ý" in st[waiting]["label"]
            hub_status = hub_moh(db_url)
            assert hub_status["counts"] == {
                "pending": 0, "waiting": 1, "accepted": 2, "duplicate": 1, "parked": 1, "stopped": 0,
            }  # fmt: skip
            assert {i["exam_id"] for i in hub_status["items"] if i["overdue"]} == {late}
            # The consent arrives: the waiting exam goes.
            ctx2 = login(ctx.paths, ADMIN, ADMIN_PASSWORD)
            consent.record(ctx2, ids[4], "ehr_share")
            ctx2.close()
            sync_once(ctx.paths)
            wait_until(lambda: hub_moh(db_url), lambda st: st["counts"]["accepted"] == 3, timeout=60)
            sync_once(ctx.paths)
            assert by_exam(station_moh(ctx.paths))[waiting]["state"] == "accepted"
            ministry = moh.stats()
    assert ministry["messages"] == 5 and ministry["accepted_records"] == 3
    store = HubStore(db_url)
    try:
        with store.session() as s:
            kept = s.scalars(select(MohExchange)).all()
    finally:
        store.close()
    assert len(kept) == 5 and all(e.receiver_signature and e.answer for e in kept)


def test_a_signature_the_ministry_refuses_stops_the_station(admin_session, signers, ca, tmp_path):
    ctx = admin_session
    doctor, facility = signers
    ids = people_of(ctx, 3, consented=3)
    first = queue(ctx, signers, ids[0], "031190000011")
    second = queue(ctx, signers, ids[1], "031190000012")
    # The Ministry holds another certificate for this facility (renewed at the CA, not re-registered there).
    set_up_ministry(tmp_path / "moh", pem(ca.facility("Chứng thư khác").certificate))
    db = tmp_path / "hub.db"
    db_url = f"sqlite:///{db}"
    with MohRefProcess(tmp_path / "moh") as moh:
        args, env = hub_moh_args(moh.url, workers=1)
        with HubProcess(db, extra=args, env=env) as hub:
            enroll(ctx, db_url, hub.url)
            register_at_hub(db_url, facility.certificate)
            # An envelope signed by a key other than the registered one never leaves the hub.
            other = certs.open_pkcs12(ca.facility("Khóa lạ").p12("x"), "x")
            rogue = queue(ctx, (doctor, other), ids[2], "031190000013")
            ctx.close()
            report = sync_once(ctx.paths)
            assert report["rejected"] == 1
            hub_status = wait_until(
                lambda: hub_moh(db_url), lambda st: st["stopped_stations"], timeout=60, what="the stop"
            )
            assert hub_status["counts"]["stopped"] == 1 and hub_status["counts"]["pending"] == 1
            assert moh.stats()["messages"] == 1  # nothing more after PS_SIGNATURE_INVALID: no blind retry
            sync_once(ctx.paths)
            st = by_exam(station_moh(ctx.paths))
            assert st[first]["state"] == "stopped" and st[first]["res_code"] == "PS_SIGNATURE_INVALID"
            assert st[second]["state"] == "pending"
            assert st[rogue]["state"] == "hub_refused" and "chứng thư" in st[rogue]["message"]
            # The administrator registers the right certificate at the Ministry, then resumes the station.
            set_up_ministry(tmp_path / "moh", pem(facility.certificate))
            out = run_ksk("hub", "moh-resume", STATION, "--db", db_url, data_dir=tmp_path)
            assert out.returncode == 0, out.stderr
            wait_until(lambda: hub_moh(db_url), lambda st: st["counts"]["accepted"] == 1, timeout=60)
            assert hub_moh(db_url)["stopped_stations"] == []
            assert moh.stats()["messages"] == 2


@pytest.mark.parametrize("backend", BACKENDS)
def test_exactly_once_at_the_ministry_under_faults_and_a_killed_hub(
    admin_session, signers, tmp_path, backend
):
    ctx = admin_session
    doctor, facility = signers
    n = 30
    ids = people_of(ctx, n, consented=n)
    for i, pid in enumerate(ids):
        queue(ctx, signers, pid, f"0311900{i:05d}")
    set_up_ministry(tmp_path / "moh", pem(facility.certificate))
    db = db_url = empty_hub_db(backend, tmp_path)
    with MohRefProcess(tmp_path / "moh", token_seconds=2) as moh:
        faults = ("drop", "error_500", "error_503", "html_200", "commit_then_503", "reset_after_commit",
                  "reset_mid_response", "truncate_body", "garble_body")  # fmt: skip
        with FaultProxy(("127.0.0.1", moh.port), fail_rate=0.4, faults=faults, seed=3) as proxy:
            args, env = hub_moh_args(proxy.url, retry_s=0.05, workers=2)
            hub = HubProcess(db, extra=args, env=env).start()
            try:
                enroll(ctx, db_url, hub.url)
                register_at_hub(db_url, facility.certificate)
                ctx.close()
                sync_once(ctx.paths)
                wait_until(lambda: moh.stats()["accepted_records"], lambda k: k >= 5, timeout=60)
                hub.kill()  # in the middle of forwarding
            finally:
                hub.stop()
            with HubProcess(db, extra=args, env=env):
                final = wait_until(
                    lambda: hub_moh(db_url),
                    lambda st: st["counts"]["accepted"] == n,
                    timeout=120,
                    what="all",
                )
            assert sum(proxy.stats[f] for f in faults) > 0
        ministry = moh.stats()
    assert ministry["accepted_records"] == n and ministry["messages"] == n
    assert ministry["by_res_code"] == {"CM_SUCCESS": n}
    assert final["counts"]["pending"] == 0 and final["overdue"] == 0
    store = HubStore(db_url)
    try:
        with store.session() as s:
            exchanges = s.scalar(select(func.count()).select_from(MohExchange))
    finally:
        store.close()
    assert exchanges > n  # the faults made the hub try again, and every try was kept
