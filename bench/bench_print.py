"""Printing on the 100,000-person demo station: the day schedule PDF with 400 appointments (target ≤ 2 s), one
result slip (target ≤ 200 ms) and 400 result slips in one PDF (target ≤ 30 s).

The shared demo station is copied first (bench/out/station-100000-print) and a day of exactly 400 appointments is
planned today at a site of its own; the slips are those 400 people with synthetic exam documents in the exams
contract's shape (classified by the real classifier).

Run: .venv/bin/python bench/bench_print.py [--runs 7]
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import demo_copy, machine, pct  # noqa: E402
from ksk_desktop.clinical.assessment import classify  # noqa: E402
from ksk_desktop.demo.seed import DEMO_SECRET  # noqa: E402
from ksk_desktop.printing import day_schedule_pdf, result_slips_pdf  # noqa: E402
from ksk_desktop.printing.jobs import print_day_schedule  # noqa: E402
from ksk_desktop.scheduling import campaigns, day_schedule, days, planner, sites  # noqa: E402
from ksk_desktop.station.lifecycle import login, station_info  # noqa: E402
from ksk_desktop.station.paths import StationPaths  # noqa: E402

ROWS = 400


def exam_of(row: dict, rng: random.Random, today: str) -> dict:
    """A synthetic signed exam document (exams contract shape) for one appointment row."""
    values = {
        "height_cm": rng.randint(145, 180),
        "weight_kg": round(rng.uniform(42, 85), 1),
        "systolic": rng.randint(110, 170),
        "diastolic": rng.randint(60, 100),
        "pulse": rng.randint(60, 100),
        "vision_right_uncorrected": rng.randint(5, 10),
        "vision_left_uncorrected": rng.randint(5, 10),
    }
    assessment = classify(
        {
            "sex": row["sex"] or "F",
            "birth_date": row["dob"] or f"{row['birth_year']}-07-01",
            "exam_date": today,
            **values,
        }
    )
    values["tuan_hoan.nhip_tim"] = "Nhịp tim đều"
    return {
        "id": row["appointment_id"],
        "version": 1,
        "person_id": row["person_id"],
        "appointment_id": row["appointment_id"],
        "form": "adult",
        "form_version": 1,
        "exam_date": today,
        "values": values,
        "confirmed": [],
        "assessment": assessment,
        "health_class": rng.randint(1, 3),
        "health_class_reason": None,
        "diagnoses": [{"code": "I10", "name": "Bệnh lý tăng huyết áp vô căn (nguyên phát)", "primary": True}],
        "conclusion": "Sức khỏe bình thường, theo dõi huyết áp.",
        "advice": "Ăn nhạt, tập thể dục đều đặn.",
        "referrals": [],
        "followups": [],
        "status": "signed",
        "amends_version": None,
        "amendment_reason": None,
        "signed_by": "bacsi",
        "signer_name": "BS. Nguyễn Văn Minh",
        "signed_at": f"{today}T03:00:00Z",
        "signer_key_id": "ab",
        "signature": "c2ln",
    }


def timed(fn) -> float:  # noqa: ANN001
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    root = demo_copy(args.people, "print")
    ctx = login(StationPaths(root), "truongtram", DEMO_SECRET)
    today = ctx.clock.today()
    camp = campaigns.create_campaign(
        ctx, name=f"Bench in {time.time_ns()}", year=today.year, groups="a,c,d,đ"
    )
    site = sites.add_site(
        ctx, name=f"Điểm khám bench in {time.time_ns()}", kind="village_hall", capacity_per_hour=50
    )
    days.add_day(
        ctx, site_id=site.id, day=today, hours="07:00-11:00,13:00-17:00", slot_minutes=30
    )  # 400 places
    planner.plan(ctx, camp.id, today, today, site_id=site.id)
    schedule = day_schedule.day_schedule(ctx, today, site.id, record=False)
    rows = [a for d in schedule.days for s in d.slots for a in s.appointments]
    station = station_info(ctx)
    print(f"Machine: {machine()}")
    print(f"Day schedule: {len(rows)} appointments at one site, {len(schedule.days[0].slots)} slots")

    out = Path(tempfile.mkdtemp(prefix="ksk-bench-print-"))
    try:
        pages = day_schedule_pdf(out / "warm.pdf", schedule, station)  # fonts registered, caches warm
        render = [
            timed(lambda: day_schedule_pdf(out / "lich.pdf", schedule, station)) for _ in range(args.runs)
        ]
        job = [
            timed(lambda: print_day_schedule(ctx, today, out / "lich-job.pdf", site_id=site.id))
            for _ in range(args.runs)
        ]
        print(
            f"  render only      ({args.runs} runs): p50 {pct(render, 50) * 1000:.0f} ms, p95 "
            f"{pct(render, 95) * 1000:.0f} ms; {pages} pages, {(out / 'lich.pdf').stat().st_size / 1024:.0f} KiB"
        )
        print(
            f"  ksk print job    ({args.runs} runs): p50 {pct(job, 50) * 1000:.0f} ms, p95 {pct(job, 95) * 1000:.0f} ms"
            " (read from the encrypted station + render + audit)  [target ≤ 2 s]"
        )

        rng = random.Random(1)
        day_iso = today.isoformat()
        slips = [
            {
                "person": {
                    "id": r["person_id"],
                    "name": r["name"],
                    "dob": r["dob"],
                    "birth_year": r["birth_year"],
                    "sex": r["sex"],
                    "hamlet": r["hamlet"],
                    "phone": r["phone"],
                },
                "exam": exam_of(r, rng, day_iso),
                "verify_qr": f"KSK1:{r['appointment_id']}:c2lnbmF0dXJl",
            }
            for r in rows
        ]
        one = [
            timed(lambda i=i: result_slips_pdf(out / "slip.pdf", [slips[i % len(slips)]], station))
            for i in range(max(20, args.runs))
        ]
        print(
            f"Result slip, one PDF ({len(one)} runs): p50 {pct(one, 50) * 1000:.0f} ms, p95 {pct(one, 95) * 1000:.0f} ms"
            "  [target ≤ 200 ms]"
        )
        many = [timed(lambda: result_slips_pdf(out / "slips.pdf", slips, station)) for _ in range(2)]
        print(
            f"{len(slips)} result slips in one PDF (2 runs): {min(many):.1f} s / {max(many):.1f} s, "
            f"{(out / 'slips.pdf').stat().st_size / 1024 / 1024:.1f} MiB  [target ≤ 30 s]"
        )
    finally:
        ctx.close()
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
