"""Login to main window on a 100,000-person station (target ≤ 1.5 s), with Argon2id reported separately.

Run: .venv/bin/python bench/bench_login.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import demo_station, machine, pct  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--people", type=int, default=100_000)
    args = ap.parse_args()

    from PySide6.QtWidgets import QApplication

    from ksk_desktop.demo.seed import DEMO_SECRET
    from ksk_desktop.security.kdf import default_params
    from ksk_desktop.station.lifecycle import login
    from ksk_desktop.station.paths import StationPaths
    from ui.main_window import MainWindow

    root = demo_station(args.people)
    paths = StationPaths(root)
    app = QApplication.instance() or QApplication([])
    kdf, total, unlock = [], [], []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        default_params().derive(DEMO_SECRET.encode(), os.urandom(16))
        kdf.append(time.perf_counter() - t0)

        t0 = time.perf_counter()
        session = login(paths, "admin", DEMO_SECRET)
        t1 = time.perf_counter()
        window = MainWindow(session, paths)
        window.show()
        app.processEvents()
        t2 = time.perf_counter()
        unlock.append(t1 - t0)
        total.append(t2 - t0)
        window.close()
        window.deleteLater()
        app.processEvents()
        if not session.closed:
            session.close()

    print(f"machine: {machine()}")
    print(f"station: {args.people:,} people, runs: {args.runs}")
    print(f"argon2id key derivation ({default_params()}): p50 {pct(kdf, 50):.3f} s  p95 {pct(kdf, 95):.3f} s")
    print(
        f"login (unwrap + open + checks + audit):      p50 {pct(unlock, 50):.3f} s  p95 {pct(unlock, 95):.3f} s"
    )
    print(
        f"login to main window shown:                  p50 {pct(total, 50):.3f} s  p95 {pct(total, 95):.3f} s"
        f"   target ≤ 1.5 s: {'OK' if pct(total, 95) <= 1.5 else 'OVER'}"
    )


if __name__ == "__main__":
    main()
