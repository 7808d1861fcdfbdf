"""Exams on the 100,000-person demo station: create a draft, save a section (the exam row, its audit event and the
anchor, in one transaction; target p95 ≤ 30 ms), and sign (Ed25519, outbox row, audit, appointment; p50/p95).

The shared demo station is copied first (bench/out/station-100000-exam), so the shared copy is untouched.

Run: .venv/bin/python bench/bench_exam.py [--exams 300]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402

from bench.common import demo_copy, machine, pct  # noqa: E402
from ksk_desktop.demo.seed import DEMO_SECRET  # noqa: E402
from ksk_desktop.exams import records, signing  # noqa: E402
from ksk_desktop.exams.errors import SigningBlocked  # noqa: E402
from ksk_desktop.station.lifecycle import login  # noqa: E402
from ksk_desktop.station.paths import StationPaths  # noqa: E402

SECTIONS = {
    "physique": {"height_cm": 162, "weight_kg": 58.5, "pulse": 74, "systolic": 128, "diastolic": 82},
    "eyes": {"vision_right_uncorrected": 9, "vision_left_uncorrected": 10, "eyes.class": 2},
    "ent": {"whisper_right_m": 5, "whisper_left_m": 5, "ent.class": 1},
    "internal": {
        f"internal.{k}_class": 2
        for k in (
            "circulation",
            "respiratory",
            "digestive",
            "kidney_urology",
            "endocrine",
            "musculoskeletal",
            "neurology",
            "psychiatry",
        )
    },
    "surgery": {"surgery.class": 1, "surgery.tumour_class": 1},
    "dermatology": {"dermatology.class": 1},
    "obgyn": {"obgyn.class": 1},
    "teeth": {"teeth.class": 2, "caries_teeth": 1},
    "conclusion": {"diagnoses": ["K02"], "conclusion": "Sâu răng", "advice": "Khám răng"},
}


def ms(values: list[float]) -> str:
    return f"p50 {pct(values, 50) * 1000:.1f} ms, p95 {pct(values, 95) * 1000:.1f} ms, max {max(values) * 1000:.1f} ms"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=100_000)
    ap.add_argument("--exams", type=int, default=300)
    args = ap.parse_args()
    root = demo_copy(args.people, "exam")
    ctx = login(StationPaths(root), "bacsi", DEMO_SECRET)
    try:
        with ctx.read() as s:
            ids = list(
                s.execute(text("SELECT id FROM person WHERE birth_year BETWEEN 1950 AND 2005")).scalars()
            )
        people = random.Random(1).sample(ids, args.exams)
        opened, saved, signed = [], [], []
        for pid in people:
            t = time.perf_counter()
            st = records.open_draft(ctx, pid)
            opened.append(time.perf_counter() - t)
            exam_id = st.document["id"]
            for section, values in SECTIONS.items():
                if section == "obgyn" and st.document["form"] == "child":
                    continue
                t = time.perf_counter()
                st = records.save_section(
                    ctx, exam_id, section, values, expected_version=st.section_versions.get(section, 0)
                )
                saved.append(time.perf_counter() - t)
            t = time.perf_counter()
            try:
                signing.sign(ctx, exam_id, DEMO_SECRET)
                signed.append(time.perf_counter() - t)
            except SigningBlocked as exc:  # not expected: every required field is saved above
                print("not signed:", exc)
        with ctx.read() as s:
            outbox = s.execute(text("SELECT count(*) FROM outbox WHERE kind = 'exam'")).scalar_one()
    finally:
        ctx.close()
    print(f"machine: {machine()}")
    print(f"station: {args.people:,} people ({root})")
    print(f"open/create draft ({len(opened)}): {ms(opened)}")
    print(f"save a section with its audit event ({len(saved)}): {ms(saved)}  [target p95 <= 30 ms]")
    print(
        f"sign (Argon2id opens the key) with Ed25519 + outbox + audit ({len(signed)}): {ms(signed)}; exam outbox rows: {outbox}"
    )


if __name__ == "__main__":
    main()
