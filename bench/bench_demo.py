"""`ksk demo --people 100000` end to end (target ≤ 60 s), with the child's peak memory.

Run: .venv/bin/python bench/bench_demo.py [--people 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import machine  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=100_000)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="ksk-bench-demo-"))
    env = dict(os.environ, KSK_DATA_DIR=str(tmp / "station"))
    try:
        t = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-m", "ksk_desktop.cli.main", "demo", "--people", str(args.people), "--json"],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        wall = time.perf_counter() - t
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        result = json.loads(out.stdout)
        size = (tmp / "station" / "station.db").stat().st_size / 2**20
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"machine: {machine()}")
    print(
        f"ksk demo --people {args.people:,}: {wall:.1f} s wall ({result['seconds']} s inside), "
        f"{result['total_people']:,} people, database {size:.0f} MiB, peak RSS {rss:.0f} MiB"
        f"   target ≤ 60 s: {'OK' if wall <= 60 else 'OVER'}"
    )


if __name__ == "__main__":
    main()
