"""A device catching up on its station from an empty database (target: 100,000 people and 40,000 signed exams in
≤ 5 minutes, with progress shown).

Untimed, once (kept in bench/out/catchup-P-E/ for later runs; ``--fresh`` builds it again): the station's main
desk holds P people and E exams signed by its doctor (Ed25519, synthetic values), and delivers them to a hub the
ordinary way — the same sync worker over HTTP to a hub child process (``ksk hub serve``, SQLite, loopback) — so the
hub's state is exactly what a station's sync makes (people in its roster, the items in its station feed).

Timed: a new device of the same station (its own empty data folder), enrolled at that hub, runs one sync: the
roster (``/changes``) a page at a time, then the station feed (``/station-items``): the doctor's public key, the
signed exams (each verified before it is kept), their referrals. Progress is what the worker reports after each
page (the feed's ``remaining``). At the end the device holds every person and every exam.

Run: .venv/bin/python bench/bench_catchup.py [--people 100000] [--exams 40000] [--fresh]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # testkit

from bench.common import BENCH_DIR, machine, peak_rss_mib, sign_exams  # noqa: E402

STATION = ("TYT-DAO", "10507")


def build(root: Path, people: int, exams: int) -> None:
    """The main desk with *people* and *exams*, delivered to the hub at *root*/hub.db (untimed)."""
    from sqlalchemy import select
    from testkit.hubproc import HubProcess
    from testkit.stations import PASSWORD, add_people, enroll, new_station

    from ksk_desktop.db.models import Person
    from ksk_desktop.exams import keys
    from ksk_desktop.station import users
    from ksk_desktop.station.lifecycle import login
    from sync.client.worker import SyncWorker, WorkerConfig

    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    t = time.perf_counter()
    desk = login(new_station(root / "desk", code=STATION[0], commune=STATION[1]), "admin", PASSWORD)
    for start in range(0, people, 5000):
        add_people(desk, min(5000, people - start), offset=start, commune=STATION[1])
    users.add_user(desk, "bacsi", "doctor", PASSWORD, "BS. Đo Hiệu Năng", "000999/HP-CCHN")
    doctor = login(desk.paths, "bacsi", PASSWORD)
    signer = keys.unlock(doctor, PASSWORD)
    day = doctor.clock.today()
    with doctor.read() as s:
        ids = list(s.scalars(select(Person.id).where(Person.birth_date.is_not(None)).order_by(Person.id)))
    signed = sign_exams(doctor, signer, ids, lambda _n: day, exams)
    doctor.close()
    print(f"(desk filled in {time.perf_counter() - t:.0f} s: {people:,} people, {signed:,} signed exams)")
    t = time.perf_counter()
    hub = HubProcess(root / "hub.db").start()
    try:
        enroll(desk, f"sqlite:///{root / 'hub.db'}", hub.url)
        report = SyncWorker(desk, config=WorkerConfig(batch_size=1000, pull_limit=1000)).run_once()
        assert report.complete and report.rejected == 0, report
    finally:
        hub.stop()
    desk.close()
    print(f"(delivered to the hub in {time.perf_counter() - t:.0f} s: {report.accepted:,} items)")
    (root / "built").write_text(f"{people} {signed}\n")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--people", type=int, default=100_000)
    ap.add_argument("--exams", type=int, default=40_000)
    ap.add_argument(
        "--page", type=int, default=1000, help="items per page of the pulls (the hub allows 1000)"
    )
    ap.add_argument("--fresh", action="store_true", help="build the desk and the hub again")
    ap.add_argument("--profile", action="store_true", help="print where the catch-up spends its time")
    args = ap.parse_args()
    from sqlalchemy import func, select
    from testkit.childsite import install as fast_key_slots
    from testkit.hubproc import HubProcess
    from testkit.stations import PASSWORD, enroll, new_station

    from ksk_desktop.db.models import ExamVersion, Person, SyncReceivedItem
    from ksk_desktop.station.lifecycle import login
    from sync.client.worker import SyncWorker, WorkerConfig

    fast_key_slots()  # key-slot cost is not what this measures
    print(f"machine: {machine()}")
    root = BENCH_DIR / f"catchup-{args.people}-{args.exams}"
    if args.fresh or not (root / "built").exists():
        build(root, args.people, args.exams)
    people, exams = map(int, (root / "built").read_text().split())
    with tempfile.TemporaryDirectory(prefix="ksk-bench-catchup-") as tmp:
        hub = HubProcess(root / "hub.db").start()
        try:
            team = login(
                new_station(Path(tmp) / "team", code=STATION[0], commune=STATION[1]), "admin", PASSWORD
            )
            enroll(team, f"sqlite:///{root / 'hub.db'}", hub.url)
            progress: list[dict] = []
            worker = SyncWorker(
                team,
                config=WorkerConfig(batch_size=1000, pull_limit=args.page),
                on_progress=lambda p: progress.append(p | {"at": time.perf_counter()}),
            )
            t, cpu = time.perf_counter(), time.process_time()
            if args.profile:
                import cProfile
                import pstats

                prof = cProfile.Profile()
                report = prof.runcall(worker.run_once)
                total_s = time.perf_counter() - t
                pstats.Stats(prof).sort_stats("cumulative").print_stats(45)
            else:
                report = worker.run_once()
                total_s = time.perf_counter() - t
            cpu_s = time.process_time() - cpu
            worker.close()
        finally:
            hub.stop()
        assert report.complete and report.error is None, report
        with team.read() as s:
            here_people = s.scalar(select(func.count()).select_from(Person)) or 0
            here_exams = s.scalar(select(func.count()).select_from(ExamVersion)) or 0
            waiting = (
                s.scalar(
                    select(func.count())
                    .select_from(SyncReceivedItem)
                    .where(SyncReceivedItem.state != "applied")
                )
                or 0
            )
        team.close()
    assert here_people == people and here_exams == exams and waiting == 0, (here_people, here_exams, waiting)
    pulls = [p for p in progress if p["phase"] == "pull"]
    receives = [p for p in progress if p["phase"] == "receive"]
    remaining = [p["receive_remaining"] for p in receives]
    moved = report.pulled + report.received
    print(f"station: {people:,} people, {exams:,} signed exams (desk and hub built once, in {root})")
    print(
        f"catch-up from empty: {total_s:.1f} s (target ≤ 300 s → {'met' if total_s <= 300 else 'NOT met'}); "
        f"{report.pulled:,} roster changes + {report.received:,} station items = {moved / total_s:,.0f} items/s"
    )
    roster_s = pulls[-1]["at"] - t if pulls else 0.0
    print(
        f"of which the roster (people, /changes) {roster_s:.1f} s, the station feed (keys, exams, referrals) "
        f"{total_s - roster_s:.1f} s; this device's process used {cpu_s:.1f} s of CPU (the hub runs apart)"
    )
    print(
        f"progress reported: {len(pulls)} after the roster, {len(receives)} receive pages, remaining "
        f"{remaining[0] if remaining else '-'} → {remaining[-1] if remaining else '-'}"
    )
    print(
        f"device: {here_people:,} people, {here_exams:,} exams, none waiting; peak RSS {peak_rss_mib():.0f} MiB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
