"""Throughput of ``classify()``: 100,000 generated measurement sets, timed one call at a time.

The sets mix working adults, the elderly and children (0–18 years, so both WHO references), with blood
pressure, pulse, vision, hearing and teeth on part of them and a few implausible values. Prints the first call
(which loads the tables), the throughput, the per-call percentiles, and what came out (classes, flags, warnings).

Run: .venv/bin/python bench/bench_classify.py [--count 100000] [--seed 2026]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import machine, pct  # noqa: E402
from ksk_desktop.clinical import InvalidMeasurement, classify  # noqa: E402

EXAM_DAY = date(2026, 6, 1)


def adult(rng: random.Random, elderly: bool) -> dict:
    age = rng.randint(60, 95) if elderly else rng.randint(15, 59)
    female = rng.random() < 0.55
    height = rng.gauss(153 if female else 164, 6)
    m = {
        "age": age,
        "sex": "nữ" if female else "nam",
        "height_cm": round(height, 1),
        "weight_kg": round(rng.gauss(52 if female else 60, 9), 1),
    }
    if rng.random() < 0.9:
        sys_ = rng.gauss(118 + (age - 30) * 0.5, 15)
        m["systolic"], m["diastolic"] = (
            round(sys_),
            round(min(sys_ - 25, rng.gauss(76 + (age - 30) * 0.2, 9))),
        )
    if rng.random() < 0.9:
        m["pulse"] = round(rng.gauss(76, 10))
    if rng.random() < 0.6:
        m["KHONG_KINH_MAT_PHAI"] = f"{rng.choice([10, 10, 10, 9, 8, 7, 6, 4])}/10"
        m["KHONG_KINH_MAT_TRAI"] = f"{rng.choice([10, 10, 9, 8, 7, 5, 3])}/10"
        m["dominant_hand"] = rng.choice(["phải", "phải", "trái"])
    if rng.random() < 0.4:
        m["whisper_right_m"], m["whisper_left_m"] = rng.choice([5, 5, 4, 3]), rng.choice([5, 4, 2, 1, 0.5])
    if rng.random() < 0.3:
        m["chest_cm"] = round(height / 2 + rng.gauss(2, 3))
    if rng.random() < 0.2:
        m["caries_teeth"] = rng.randint(0, 8)
    if elderly and rng.random() < 0.7:
        m["glucose_fasting_mmol_l"] = round(max(2.5, rng.gauss(6.0, 1.5)), 1)
    if rng.random() < 0.01:
        m["height_cm"] = 17  # a slip of the keyboard: a warning to confirm
    if rng.random() < 0.2:
        # The doctor's classes for indices no measurement feeds (a better class than measured would need a reason).
        m["index_classes"] = {
            code: rng.randint(1, 4) for code in rng.sample(["TT_TK", "HH", "HVD", "ND_DL", "U"], 2)
        }
    return m


def child(rng: random.Random) -> dict:
    days = rng.randint(0, 18 * 365)
    birth = EXAM_DAY - timedelta(days=days)
    years = days / 365.25
    # Rough growth curve, spread wide enough to hit stunting, thinness and obesity.
    height = (50 + 25 * min(years, 1) + 12 * min(max(years - 1, 0), 1) + 6.5 * max(years - 2, 0)) * rng.gauss(
        1, 0.05
    )
    height = min(height, 185)
    bmi = rng.gauss(16 + max(years - 6, 0) * 0.45, 2.2)
    weight = max(bmi * (height / 100) ** 2, 1.8)
    return {
        "sex": rng.choice(["nam", "nữ"]),
        "birth_date": birth.isoformat(),
        "exam_date": EXAM_DAY.isoformat(),
        "height_cm": round(height, 1),
        "weight_kg": round(weight, 2),
    }


def generate(count: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        r = rng.random()
        out.append(child(rng) if r < 0.25 else adult(rng, elderly=r > 0.7))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()

    print(f"machine: {machine()}")
    sets = generate(args.count, args.seed)
    t0 = time.perf_counter()
    classify({"age": 40, "sex": "nam", "height_cm": 165, "weight_kg": 60})
    classify({"sex": "nữ", "age_months": 30, "height_cm": 90, "weight_kg": 13})
    classify({"sex": "nữ", "age_months": 130, "height_cm": 140, "weight_kg": 33})
    print(
        f"first calls (load the QĐ 1613, screening and WHO tables): {(time.perf_counter() - t0) * 1000:.1f} ms"
    )

    times: list[float] = []
    classes: Counter = Counter()
    flag_counts: Counter = Counter()
    errors = warned = children = 0
    clock = time.perf_counter
    start = clock()
    for m in sets:
        t = clock()
        try:
            r = classify(m)
        except InvalidMeasurement:
            errors += 1
            times.append(clock() - t)
            continue
        times.append(clock() - t)
        q = r["qd1613"]
        classes[(q["suggested"]["roman"] or "chưa đủ số đo") if q["applicable"] else "dưới 15 tuổi"] += 1
        flag_counts.update(f["code"] for f in r["flags"])
        warned += bool(r["warnings"])
        children += r["growth"] is not None
    wall = clock() - start

    ms = [x * 1000 for x in times]
    print(f"classified {len(sets):,} sets in {wall:.2f} s: {len(sets) / wall:,.0f} per second")
    print(
        f"per call: mean {sum(ms) / len(ms):.3f} ms, p50 {pct(ms, 50):.3f} ms, p95 {pct(ms, 95):.3f} ms, "
        f"p99 {pct(ms, 99):.3f} ms, max {max(ms):.2f} ms"
    )
    print(
        f"children with z-scores: {children:,}; sets with warnings: {warned:,}; InvalidMeasurement: {errors}"
    )
    print(
        "suggested class: "
        + ", ".join(f"{k} {v:,}" for k, v in sorted(classes.items(), key=lambda kv: str(kv[0])))
    )
    print("flags: " + ", ".join(f"{k} {v:,}" for k, v in flag_counts.most_common()))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
