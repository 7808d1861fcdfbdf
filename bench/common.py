"""Shared bits for the benchmark scripts: machine description, percentiles, a cached 100k station."""

from __future__ import annotations

import os
import platform
import resource
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH_DIR = Path(os.environ.get("KSK_BENCH_DIR", Path(__file__).resolve().parent / "out"))


def machine() -> str:
    try:
        model = next(
            line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")
        )
    except (OSError, StopIteration):
        model = platform.processor() or "?"
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({model}), {mem:.0f} GiB, Python {platform.python_version()}"


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[int(p) - 1]


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def process_until(app: Any, done: Callable[[], object], timeout: float = 60.0) -> None:
    """Run the Qt event loop of *app* until ``done()`` holds (work handed to ``ui.ops`` comes back through it)."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise SystemExit("timed out")
        app.processEvents()
        time.sleep(0.001)


def demo_station(people: int = 100_000) -> Path:
    """A demo station with *people* synthetic people, created once and reused (bench/out/)."""
    from ksk_desktop.demo.seed import create_demo
    from ksk_desktop.station.paths import StationPaths

    root = BENCH_DIR / f"station-{people}"
    if not (root / "keys.json").exists():
        root.parent.mkdir(parents=True, exist_ok=True)
        t = time.perf_counter()
        create_demo(StationPaths(root), people)
        print(f"(created a {people:,}-person demo station in {time.perf_counter() - t:.1f} s at {root})")
    return root


def demo_copy(people: int, name: str) -> Path:
    """A private copy of the shared demo station (bench/out/station-{people}-{name}), for a benchmark that writes:
    every run starts from the same data and the shared station is untouched."""
    import shutil

    dest = BENCH_DIR / f"station-{people}-{name}"
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(demo_station(people), dest)
    return dest


def sign_exams(
    doctor: Any, signer: Any, person_ids: list[str], day_of: Callable[[int], Any], wanted: int | None = None
) -> int:
    """Real signed exams (synthetic values, the doctor's Ed25519 *signer*) for *person_ids*, 2,000 per
    transaction, the n-th on ``day_of(n)``, until *wanted* are signed; a synthetic record the classification
    cannot place is skipped. Returns how many were signed."""
    import random

    from ksk_desktop.db.models import Person
    from ksk_desktop.exams import demo
    from ksk_desktop.exams.errors import SigningBlocked

    rng, signed = random.Random(14), 0
    for start in range(0, len(person_ids), 2000):
        if wanted is not None and signed >= wanted:
            break
        with doctor.write() as s:
            for pid in person_ids[start : start + 2000]:
                if wanted is not None and signed >= wanted:
                    break
                nested = s.begin_nested()
                try:
                    demo._sign_new(doctor, signer, s, rng, s.get_one(Person, pid), None, day_of(signed))
                    nested.commit()
                    signed += 1
                except SigningBlocked:
                    nested.rollback()
    return signed
