"""The Người dân page on 100,000 people: open it and jump to the end (target ≤ 1 s), scroll across the whole
list, and the memory it takes (target: RSS growth ≤ 150 MB).

Run: .venv/bin/python bench/bench_people_list.py
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import demo_station, machine, pct, process_until  # noqa: E402


def rss_mib() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=100_000)
    ap.add_argument("--jumps", type=int, default=100)
    args = ap.parse_args()

    from PySide6.QtWidgets import QApplication

    from ksk_desktop.demo.seed import DEMO_SECRET
    from ksk_desktop.station.lifecycle import login
    from ksk_desktop.station.paths import StationPaths
    from ui.people.page import PeoplePage

    root = demo_station(args.people)
    app = QApplication.instance() or QApplication([])
    session = login(StationPaths(root), "truongtram", DEMO_SECRET)
    before = rss_mib()

    def rows_shown() -> bool:
        """The count is in and every row on screen has its data (the pages come from the worker)."""
        model, view = page.model, page.table
        if model.counting or model.rowCount() == 0:
            return not model.counting
        top, bottom = view.rowAt(0), view.rowAt(view.viewport().height() - 1)
        bottom = bottom if bottom >= 0 else model.rowCount() - 1
        return top >= 0 and all(model.row_data(r) is not None for r in range(top, bottom + 1))

    t0 = time.perf_counter()
    page = PeoplePage(session)
    page.resize(1280, 760)
    page.show()
    process_until(app, rows_shown)
    t1 = time.perf_counter()
    total = page.model.rowCount()
    page.table.scrollToBottom()
    app.processEvents()
    process_until(app, rows_shown)
    t2 = time.perf_counter()
    last = page.model.row_data(total - 1)

    jumps = []
    for i in range(args.jumps):
        row = (i * 7919) % total
        t = time.perf_counter()
        page.table.scrollTo(page.model.index(row, 0))
        app.processEvents()
        process_until(app, rows_shown)
        jumps.append((time.perf_counter() - t) * 1000)
    after = rss_mib()
    session.close()

    print(f"machine: {machine()}")
    print(
        f"{total:,} people; model pages cached at the end: {len(page.model.cached_pages())} "
        f"({page.model.cached_row_count()} rows); last row: {last['name'] if last else '?'}"
    )
    print(
        f"open the page and draw the first rows: {(t1 - t0) * 1000:.0f} ms; jump to the end: {(t2 - t1) * 1000:.0f} ms;"
        f" open + jump {(t2 - t0) * 1000:.0f} ms   target ≤ 1000 ms: {'OK' if t2 - t0 <= 1 else 'OVER'}"
    )
    print(f"{args.jumps} jumps across the list: p50 {pct(jumps, 50):.0f} ms  p95 {pct(jumps, 95):.0f} ms")
    print(
        f"RSS {before:.0f} → {after:.0f} MiB (growth {after - before:.0f} MiB)   target ≤ 150 MiB: "
        f"{'OK' if after - before <= 150 else 'OVER'}"
    )


if __name__ == "__main__":
    main()
