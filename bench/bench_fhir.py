"""FHIR health-record endpoint: build bundles for 10,000 signed exams, then forward 60 exams through the hub's
queue to Medplum's FHIR engine on loopback (our Node shim): per-exam latency p50/p95 and exams per second, once
fresh and once replayed (every request then matches what exists).

The peer's in-memory repository answers each conditional search by scanning every stored resource of the type
(FHIRPath per resource), so its latency grows with what it holds (first vs last 10 exams are printed); the
Medplum server answers the same searches from PostgreSQL indexes. The figures bound the hub's side from above.

    .venv/bin/python bench/bench_fhir.py [--build N] [--forward N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import select, update

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # testkit

from testkit import fhir_examples as ex  # noqa: E402
from testkit.fhirpeer import FhirPeer  # noqa: E402

from bench.common import machine, pct  # noqa: E402
from sync.fhir.bundle import exam_bundle  # noqa: E402
from sync.fhir.client import FhirClient  # noqa: E402
from sync.fhir.forward import ForwardConfig, Forwarder, ForwardReport  # noqa: E402
from sync.hub.models import FhirForward  # noqa: E402
from sync.hub.store import HubStore  # noqa: E402


def sample(i: int) -> tuple[dict, dict]:
    person = ex.person(personal_id=f"0310{i:08d}")
    exam = ex.exam_document(
        person["id"],
        form=("adult", "child", "elderly")[i % 3],
        diagnoses=ex.hypertension() if i % 2 else [],
        referrals=[ex.referral()] if i % 5 == 0 else [],
    )
    return person, exam


def bench_build(n: int) -> None:
    samples = [sample(i) for i in range(n)]
    times = []
    for person, exam in samples:
        t = time.perf_counter()
        exam_bundle(person, exam, ex.STATION)
        times.append((time.perf_counter() - t) * 1000)
    print(
        f"build {n:,} bundles: p50 {pct(times, 50):.3f} ms, p95 {pct(times, 95):.3f} ms, "
        f"total {sum(times) / 1000:.2f} s"
    )


def forward_round(store: HubStore, fhir: FhirClient, label: str, n: int) -> None:
    forwarder = Forwarder(store, fhir, config=ForwardConfig(retry_base_s=0.0))
    with store.session() as s:
        ids = list(s.scalars(select(FhirForward.id).order_by(FhirForward.id)))
    times = []
    t0 = time.perf_counter()
    for forward_id in ids:
        report = ForwardReport()
        t = time.perf_counter()
        forwarder.forward(forward_id, report)
        times.append((time.perf_counter() - t) * 1000)
        if report.sent != 1:
            raise SystemExit(f"exam {forward_id} not sent: {report.errors}")
    total = time.perf_counter() - t0
    print(
        f"forward {n} exams ({label}): p50 {pct(times, 50):.1f} ms, p95 {pct(times, 95):.1f} ms, "
        f"{n / total:.1f} exams/s; first 10 p50 {pct(times[:10], 50):.1f} ms, last 10 p50 "
        f"{pct(times[-10:], 50):.1f} ms"
    )


def bench_forward(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, FhirPeer() as peer:
        store = HubStore(f"sqlite:///{Path(tmp) / 'hub.db'}")
        store.add_station(ex.STATION_CODE, ["11680"])  # the hub administrator registers the station first
        code = store.new_enroll_code(ex.STATION_CODE)
        _dev, token = store.enroll(code, ex.STATION_CODE, str(uuid.uuid4()), "11680")
        device = store.authenticate(token)
        ex.approve_doctor_key(store)  # the synthetic doctor's key, approved by the hub's administrator
        items = [ex.doctor_key_item()]
        for i in range(n):
            person, exam = sample(i)
            consent_id = str(uuid.uuid4())  # consent to the health record: without it the hub holds the exam
            items += [
                {
                    "item_id": str(uuid.uuid4()),
                    "kind": "person",
                    "entity_id": person["id"],
                    "entity_version": 1,
                    "payload": person,
                },
                {
                    "item_id": str(uuid.uuid4()),
                    "kind": "consent",
                    "entity_id": consent_id,
                    "entity_version": 1,
                    "payload": {
                        "id": consent_id,
                        "person_id": person["id"],
                        "kind": "ehr_share",
                        "active": True,
                    },
                },
                {
                    "item_id": str(uuid.uuid4()),
                    "kind": "exam",
                    "entity_id": exam["id"],
                    "entity_version": 1,
                    "payload": exam,
                },
            ]
        for i in range(0, len(items), 500):
            store.push(device, items[i : i + 500])
        fhir = FhirClient(peer.url)
        forward_round(store, fhir, "fresh", n)
        with store.session(write=True) as s:
            s.execute(update(FhirForward).values(state="pending"))
        forward_round(store, fhir, "replayed: nothing created", n)
        fhir.close()
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", type=int, default=10_000)
    parser.add_argument("--forward", type=int, default=60)
    args = parser.parse_args()
    print(machine())
    bench_build(args.build)
    bench_forward(args.forward)


if __name__ == "__main__":
    main()
