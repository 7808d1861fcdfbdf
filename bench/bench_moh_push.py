"""QĐ 1551: build + sign one envelope (doctor's XML-DSig, facility's XML-DSig, envelope signature; software
keys), p50/p95 in ms (target ≤ 50 ms); then the hub's forwarder pushing N exams (default 10,000) to the
reference Ministry endpoint on loopback (target ≤ 120 s), and the same envelopes as raw POSTs with the same
concurrency against a fresh endpoint, printing the ratio (the hub's bookkeeping: queue, consent check, kept
exchanges).

    .venv/bin/python bench/bench_moh_push.py [--sign N] [--push N] [--workers W]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from multiprocessing import Pool
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # testkit, moh1551_support

import requests  # noqa: E402
from moh1551_support import khamsuckhoe  # noqa: E402
from testkit.mohref import ACCOUNT, ACCOUNT_PASSWORD, MohRefProcess, pem, set_up_ministry  # noqa: E402
from testkit.testca import TestCA  # noqa: E402

from bench.common import machine, pct  # noqa: E402
from ksk_desktop.moh1551 import certs, envelope, xmldsig  # noqa: E402

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
SENDER = "8930000123456"
_signers: tuple | None = None


def _init(doctor_p12: bytes, facility_p12: bytes) -> None:
    global _signers
    _signers = (certs.open_pkcs12(doctor_p12, "d"), certs.open_pkcs12(facility_p12, "f"))


def make_envelope(i: int) -> dict:
    assert _signers is not None
    doctor, facility = _signers
    ma_lk = f"LK{i:010d}"
    xml = khamsuckhoe(ma_lk=ma_lk, hoso_id=f"HS{i}", so_cccd=f"0312{i:08d}")
    xml = xmldsig.sign(xml, doctor, into="CKS_NGUOI_KET_LUAN", reference_id=f"HS{i}")
    xml = xmldsig.sign(xml, facility, into="CKS_BENH_VIEN")
    return envelope.build(xml, sender_id=SENDER, signer=facility, now=NOW)


def bench_sign(n: int, p12s: tuple[bytes, bytes]) -> None:
    _init(*p12s)
    times = []
    for i in range(n):
        t = time.perf_counter()
        make_envelope(i)
        times.append((time.perf_counter() - t) * 1000)
    print(f"build+sign one envelope (software keys), {n} runs: p50 {pct(times, 50):.1f} ms, "
          f"p95 {pct(times, 95):.1f} ms (target ≤ 50 ms)")  # fmt: skip


def fill_hub(db_url: str, envelopes: list[dict]) -> None:
    """The hub as a station's sync leaves it: items, their queued pushes, the people's consents."""
    from sync.hub import mohqueue
    from sync.hub.models import Device, HubConsent, Item, MohPush
    from sync.hub.store import HubStore

    store = HubStore(db_url)
    now = store.clock()
    with store.session(write=True) as s:
        s.add(Device(id="dev-1", token_hash="0" * 64, station_code="TYT-B", station_id="st", enrolled_at=now))
        s.flush()
        for i, env in enumerate(envelopes):
            person, exam = f"person-{i}", f"exam-{i}"
            payload = {"exam_id": exam, "envelope": env}
            item = Item(item_id=f"item-{i}", device_id="dev-1", station_code="TYT-B", kind="moh_push",
                        entity_id=exam, entity_version=1, payload=json.dumps(payload), received_at=now)  # fmt: skip
            s.add(item)
            s.add(
                HubConsent(
                    id=f"c-{i}", person_id=person, kind="ehr_share", active=True, version=1, updated_at=now
                )
            )
            s.flush()
            s.add(MohPush(item_seq=item.seq, station_code="TYT-B", exam_id=exam, exam_version=1,
                          msg_id=env["header"]["msg_id"], ma_lk=f"LK{i}", person_id=person, state="pending",
                          exam_ended_at=now, deadline=now + timedelta(hours=24), attempts=0,
                          next_attempt_at=now, created_at=now))  # fmt: skip
        assert mohqueue.status(s, now)["counts"]["pending"] == len(envelopes)
    store.close()


def bench_push(envelopes: list[dict], workers: int, facility_pem: bytes, tmp: Path) -> None:
    from sync.hub.store import HubStore
    from sync.moh.client import MohClient
    from sync.moh.forward import MohConfig, MohForwarder

    n = len(envelopes)
    db_url = f"sqlite:///{tmp / 'hub.db'}"
    fill_hub(db_url, envelopes)
    set_up_ministry(tmp / "moh-hub", facility_pem, SENDER)
    with MohRefProcess(tmp / "moh-hub") as moh:
        store = HubStore(db_url)
        client = MohClient(moh.url, ACCOUNT, ACCOUNT_PASSWORD)
        fwd = MohForwarder(store, client, config=MohConfig(workers=workers, batch=200))
        t = time.perf_counter()
        report = fwd.run_once()
        hub_s = time.perf_counter() - t
        stats = moh.stats()
        client.close()
        store.close()
    assert report.accepted == n and stats["accepted_records"] == n, (report, stats)
    print(f"hub → reference endpoint: {n} exams in {hub_s:.1f} s ({n / hub_s:.0f}/s, {workers} in flight; "
          f"target ≤ 120 s for 10,000)")  # fmt: skip

    set_up_ministry(tmp / "moh-raw", facility_pem, SENDER)
    with MohRefProcess(tmp / "moh-raw") as moh:
        http = requests.Session()
        token = http.post(
            f"{moh.url}/api/auth/login", json={"username": ACCOUNT, "password": ACCOUNT_PASSWORD}
        )
        headers = {"Authorization": f"Bearer {token.json()['token']}", "service-type": "100",
                   "Content-Type": "application/json"}  # fmt: skip
        bodies = [json.dumps(e, separators=(",", ":")).encode() for e in envelopes]

        def post(body: bytes) -> int:
            return http.post(f"{moh.url}/api/platform/data-sync/push", data=body, headers=headers).status_code

        t = time.perf_counter()
        with ThreadPoolExecutor(workers) as pool:
            codes = list(pool.map(post, bodies))
        raw_s = time.perf_counter() - t
        http.close()
    assert codes.count(200) == n
    print(f"raw POSTs of the same envelopes: {raw_s:.1f} s; hub / raw = {hub_s / raw_s:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sign", type=int, default=300)
    ap.add_argument("--push", type=int, default=10_000)
    ap.add_argument("--workers", type=int, default=4)
    args = ap.parse_args()
    print(machine())
    ca = TestCA()
    doctor, facility = ca.doctor(), ca.facility()
    p12s = (doctor.p12("d"), facility.p12("f"))
    bench_sign(args.sign, p12s)
    t = time.perf_counter()
    with Pool(2, initializer=_init, initargs=p12s) as pool:
        envelopes = pool.map(make_envelope, range(args.push), chunksize=200)
    print(f"({args.push} envelopes signed for the push in {time.perf_counter() - t:.0f} s, not counted)")
    with tempfile.TemporaryDirectory(prefix="ksk-bench-moh-") as tmp:
        bench_push(envelopes, args.workers, pem(facility.certificate), Path(tmp))


if __name__ == "__main__":
    main()
