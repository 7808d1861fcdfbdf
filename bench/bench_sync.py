"""Sync N exams from a station to a local hub end to end (target: 10,000 in ≤ 60 s, client RSS growth ≤ 50 MB).

The station holds N people, already synced (untimed), and N exams signed by a doctor (Ed25519, synthetic values
by age, the referrals their results call for): the timed sync sends every signed exam and referral, each as the
document stored in its outbox row. ``--kind people`` times the people instead, each serialised from the
encrypted database when it goes out. Forwarding to the FHIR server is measured by bench_fhir.py. The hub runs in a child
process (``ksk hub serve``, SQLite, loopback); the worker runs here so its memory can be measured.

The baseline is raw HTTP: the same request bodies (same batches) POSTed with ``requests`` to a uvicorn app
that only reads them, from this machine; the ratio says what sync costs on top of moving the bytes.

Run: .venv/bin/python bench/bench_sync.py [--items 10000] [--batch 200]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # testkit

from bench.common import machine, peak_rss_mib  # noqa: E402

SINK = """
import json, socket, sys, uvicorn
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    more = True
    while more:
        msg = await receive()
        more = msg.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": b"{}"})
sock = socket.socket(); sock.bind(("127.0.0.1", 0)); sock.listen(128)
print(json.dumps({"port": sock.getsockname()[1]}), flush=True)
uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False)).run(sockets=[sock])
"""


def _bodies(path: Path, sizes: list[int]):  # noqa: ANN202 - a generator of bytes
    with open(path, "rb") as fh:
        for n in sizes:
            yield fh.read(n)


def rss_mib() -> float:
    """Current resident set size of this process."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import psutil  # Windows/macOS

    return psutil.Process().memory_info().rss / 2**20


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=10_000)
    ap.add_argument("--batch", type=int, default=200)
    ap.add_argument("--kind", choices=("exams", "people"), default="exams")
    args = ap.parse_args()
    import requests
    from sqlalchemy import func, select
    from testkit.fastkdf import install as fast_key_slots
    from testkit.hubproc import HubProcess
    from testkit.stations import PASSWORD, add_people, enroll, hub_rows, new_station

    from ksk_desktop import outbox
    from ksk_desktop.db.models import OutboxItem, Person
    from ksk_desktop.exams.demo import sign_synthetic_exams
    from ksk_desktop.people import persons
    from ksk_desktop.station import users
    from ksk_desktop.station.lifecycle import login
    from sync.client.worker import SyncWorker, WorkerConfig

    fast_key_slots()  # key-slot cost is not what this measures
    print(f"machine: {machine()}")
    print(f"items: {args.items:,} {args.kind}, batches of {args.batch}")
    with tempfile.TemporaryDirectory(prefix="ksk-bench-sync-") as tmp:
        tmp = Path(tmp)
        paths = new_station(tmp / "station")
        ctx = login(paths, "admin", PASSWORD)
        t = time.perf_counter()
        for start in range(0, args.items, 5000):
            add_people(ctx, min(5000, args.items - start), offset=start)
        print(f"(station filled in {time.perf_counter() - t:.1f} s)")
        hub = HubProcess(tmp / "hub.db").start()
        db_url = f"sqlite:///{tmp / 'hub.db'}"
        try:
            enroll(ctx, db_url, hub.url)
            if args.kind == "exams":
                first = SyncWorker(ctx, config=WorkerConfig(batch_size=args.batch, pull=True))
                first.run_once()  # the people reach the hub first, untimed
                first.close()
                users.add_user(ctx, "bacsi", "doctor", PASSWORD, "BS. Đo Hiệu Năng", "000999/HP-CCHN")
                doctor = login(paths, "bacsi", PASSWORD)
                t = time.perf_counter()
                with ctx.read() as s:
                    ids = list(s.scalars(select(Person.id).order_by(Person.id).limit(args.items)))
                sign_synthetic_exams(doctor, PASSWORD, ids, doctor.clock.today())
                doctor.close()
                print(f"({len(ids):,} exams signed in {time.perf_counter() - t:.1f} s)")
            before = len(hub_rows(db_url))
            with ctx.read() as s:
                pending = outbox.counts(s)["pending"]
                kinds = dict(
                    s.execute(
                        select(OutboxItem.kind, func.count())
                        .where(OutboxItem.state == "pending")
                        .group_by(OutboxItem.kind)
                    ).all()
                )
            worker = SyncWorker(ctx, config=WorkerConfig(batch_size=args.batch, pull=True))
            # The exact bodies, kept on disk for the baseline: held in memory they would count as the worker's RSS.
            recorded = tmp / "bodies.bin"
            sizes: list[int] = []
            push = worker.transport.push

            def recording_push(items: list[dict]) -> list[dict]:  # keep the exact bodies for the baseline
                body = json.dumps({"items": items}, ensure_ascii=False, separators=(",", ":")).encode()
                with open(recorded, "ab") as fh:
                    fh.write(body)
                sizes.append(len(body))
                return push(items)

            worker.transport.push = recording_push
            rss0 = rss_mib()
            samples = [rss0]
            done = threading.Event()

            def sample() -> None:  # the highest RSS seen while syncing, every 20 ms
                while not done.wait(0.02):
                    samples.append(rss_mib())

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            t = time.perf_counter()
            report = worker.run_once()
            sync_s = time.perf_counter() - t
            done.set()
            sampler.join()
            rss_after, rss_peak = rss_mib(), max(samples)
            worker.close()
            recorded_bytes = sum(sizes)
            delivered = len(hub_rows(db_url)) - before
        finally:
            hub.stop()
        assert report.complete and delivered == pending, (report, delivered, pending)
        growth = rss_peak - rss0
        count = persons.count_people(ctx)
        ctx.close()

        sink = subprocess.Popen([sys.executable, "-c", SINK], stdout=subprocess.PIPE, text=True)
        try:
            port = json.loads(sink.stdout.readline())["port"]
            session = requests.Session()
            session.trust_env = False
            url = f"http://127.0.0.1:{port}/api/v1/push"
            session.post(url, data=b"{}", headers={"Content-Type": "application/json"}, timeout=30)  # warm up
            t = time.perf_counter()
            for body in _bodies(recorded, sizes):
                r = session.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=60)
                r.raise_for_status()
            raw_s = time.perf_counter() - t
        finally:
            sink.terminate()
            sink.wait(10)

    by_kind = ", ".join(f"{n:,} {k}" for k, n in sorted(kinds.items()))
    print(
        f"station people: {count:,}; hub received {delivered:,} items ({by_kind}) in {report.batches} requests "
        f"({recorded_bytes / 2**20:.1f} MiB of JSON)"
    )
    print(
        f"sync end to end: {sync_s:.2f} s = {delivered / sync_s:,.0f} items/s "
        f"(target for 10,000 {args.kind}: ≤ 60 s → {'met' if sync_s * 10_000 / args.items <= 60 else 'NOT met'})"
    )
    print(
        f"raw HTTP POSTs of the same bodies: {raw_s:.2f} s = {delivered / raw_s:,.0f} items/s; "
        f"sync / raw = {sync_s / raw_s:.1f}×"
    )
    print(
        f"client RSS: {rss0:.0f} MiB before, {rss_peak:.0f} MiB at most during the sync, {rss_after:.0f} MiB after; "
        f"growth {growth:+.1f} MiB (target ≤ 50 MB → {'met' if growth * 2**20 <= 50e6 else 'NOT met'}); "
        f"process peak {peak_rss_mib():.0f} MiB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
