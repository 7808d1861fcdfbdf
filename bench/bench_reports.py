"""The city plan's monthly report on the 100,000-person demo station with 40,000 signed exams this year (target:
≤ 1 s), p50/p95 over repeated runs; the annual report and the .xlsx/.pdf files once each.

The shared demo station is copied first (bench/out/station-100000-reports) and topped up with real signed exams
(the demo doctor's Ed25519 key) spread over this year's months until 40,000 people have one.

Run: .venv/bin/python bench/bench_reports.py [--exams 40000] [--runs 15] [--fresh]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402

from bench.common import BENCH_DIR, demo_copy, machine, pct, peak_rss_mib, sign_exams  # noqa: E402
from ksk_desktop.clock import SYSTEM_CLOCK  # noqa: E402
from ksk_desktop.demo.seed import DEMO_SECRET  # noqa: E402
from ksk_desktop.exams import keys  # noqa: E402
from ksk_desktop.reports import annual, files, monthly  # noqa: E402
from ksk_desktop.station.lifecycle import login  # noqa: E402
from ksk_desktop.station.paths import StationPaths  # noqa: E402


def top_up(paths: StationPaths, wanted: int) -> int:
    """Sign exams for people not examined this year until about *wanted* people have one (the few synthetic
    records the classification cannot place are skipped); returns how many were signed."""
    today = SYSTEM_CLOCK.today()
    doctor = login(paths, "bacsi", DEMO_SECRET)
    try:
        with doctor.read() as s:
            have = s.scalar(
                text(
                    "SELECT count(DISTINCT person_id) FROM exam_version WHERE status = 'signed' "
                    "AND exam_date >= :y"
                ),
                {"y": f"{today.year}-01-01"},
            )
            missing = wanted - have
            ids = (
                s.scalars(
                    text(
                        "SELECT id FROM person WHERE id NOT IN (SELECT person_id FROM exam_version "
                        "WHERE exam_date >= :y) AND birth_date IS NOT NULL AND birth_year BETWEEN :old AND :young "
                        "ORDER BY id LIMIT :n"
                    ),
                    {
                        "y": f"{today.year}-01-01",
                        "n": max(missing, 0),
                        "old": today.year - 75,
                        "young": today.year - 19,
                    },
                ).all()
                if missing > 0
                else []
            )
        days = [
            date(today.year, m, min(today.day, 20) if m == today.month else 20)
            for m in range(1, today.month + 1)
        ]
        signer = keys.unlock(doctor, DEMO_SECRET)
        signed = sign_exams(doctor, signer, list(ids), lambda n: days[n % len(days)])
        return signed
    finally:
        doctor.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--exams", type=int, default=40_000)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument(
        "--fresh", action="store_true", help="copy the demo station again and sign the exams again"
    )
    args = ap.parse_args()
    cached = BENCH_DIR / "station-100000-reports"
    # the copy with its 40,000 exams is kept between runs (signing them takes minutes); --fresh starts again
    paths = StationPaths(cached if cached.exists() and not args.fresh else demo_copy(100_000, "reports"))
    t = time.perf_counter()
    added = top_up(paths, args.exams)
    print(f"(signed {added:,} more exams in {time.perf_counter() - t:.1f} s)")
    today = SYSTEM_CLOCK.today()
    month = f"{today.year:04d}-{today.month:02d}"
    head = login(paths, "truongtram", DEMO_SECRET)
    try:
        with head.read() as s:
            people = s.scalar(text("SELECT count(*) FROM person"))
            examined = s.scalar(
                text(
                    "SELECT count(DISTINCT person_id) FROM exam_version WHERE status = 'signed' AND exam_date >= :y"
                ),
                {"y": f"{today.year}-01-01"},
            )
        print(machine())
        print(f"station: {people:,} people, {examined:,} examined this year (signed exams)")
        times = []
        for _ in range(args.runs):
            t = time.perf_counter()
            report = monthly.build(head, month)
            times.append(time.perf_counter() - t)
        print(
            f"monthly report {month}: p50 {pct(times, 50) * 1000:.0f} ms, p95 {pct(times, 95) * 1000:.0f} ms "
            f"(target ≤ 1000 ms); managed {report['total']['managed']:,}, examined this year "
            f"{report['total']['examined_ytd']:,}"
        )
        t = time.perf_counter()
        annual.build(head, today.year)
        print(f"annual report {today.year}: {(time.perf_counter() - t) * 1000:.0f} ms")
        with tempfile.TemporaryDirectory() as tmp:
            for suffix in ("xlsx", "pdf"):
                t = time.perf_counter()
                files.write(head, report, Path(tmp) / f"report.{suffix}")
                print(f"write .{suffix}: {(time.perf_counter() - t) * 1000:.0f} ms")
        print(f"peak RSS {peak_rss_mib():.0f} MiB")
    finally:
        head.close()


if __name__ == "__main__":
    main()
