"""ICD-10 search: 1,000 mixed queries (codes, code prefixes, folded words in any order) on the bundled list and
on a catalogue the size of the MoH list (35,735 codes: the bundled names recombined as a stand-in for an
imported ``dmicdme``). Prints load time, p50/p95 per query, and the machine.

Run: .venv/bin/python bench/bench_icd10.py [--queries 1000] [--seed 2026]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import machine, pct  # noqa: E402
from ksk_desktop.catalogs import icd10  # noqa: E402
from ksk_desktop.text import fold  # noqa: E402

MOH_SIZE = 35_735


def big_catalogue(rng: random.Random) -> icd10.Catalogue:
    base = list(icd10.catalogue().entries.values())
    entries: dict[str, icd10.Icd10Code] = {e.code: e for e in base}
    while len(entries) < MOH_SIZE:
        code = f"{rng.choice('ABCDEFGHIJKLMNOPQRSTVWXYZ')}{rng.randint(0, 99):02d}.{rng.randint(0, 99)}"
        a, b = rng.sample(base, 2)
        entries.setdefault(code, icd10.Icd10Code(code, f"{a.name} {b.name.lower()}"))
    return icd10.Catalogue(entries)


def queries(rng: random.Random, cat: icd10.Catalogue, n: int) -> list[str]:
    entries = list(cat.entries.values())
    out = []
    for _ in range(n):
        e = rng.choice(entries)
        words = fold(e.name).split()
        kind = rng.random()
        if kind < 0.3:
            out.append(e.code)
        elif kind < 0.45:
            out.append(e.code[: rng.randint(1, 3)])
        else:
            picked = rng.sample(words, min(len(words), rng.randint(1, 3)))
            out.append(" ".join(w[: rng.randint(2, len(w))] if len(w) > 2 else w for w in picked))
    return out


def run(cat: icd10.Catalogue, qs: list[str]) -> list[float]:
    times = []
    for q in qs:
        t = time.perf_counter()
        cat.search(q, 20)
        times.append((time.perf_counter() - t) * 1000)
    return times


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    print(machine())
    t = time.perf_counter()
    bundled = icd10.catalogue()
    print(f"bundled: {len(bundled)} codes, loaded and indexed in {(time.perf_counter() - t) * 1000:.1f} ms")
    times = run(bundled, queries(rng, bundled, args.queries))
    print(f"  search p50 {pct(times, 50):.3f} ms  p95 {pct(times, 95):.3f} ms  max {max(times):.3f} ms")
    t = time.perf_counter()
    big = big_catalogue(rng)
    print(f"MoH-sized: {len(big)} codes, indexed in {(time.perf_counter() - t) * 1000:.0f} ms")
    times = run(big, queries(rng, big, args.queries))
    print(f"  search p50 {pct(times, 50):.3f} ms  p95 {pct(times, 95):.3f} ms  max {max(times):.3f} ms")


if __name__ == "__main__":
    main()
