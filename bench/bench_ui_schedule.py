"""The "Lịch khám" and "Báo cáo" pages on 100,000 people (Qt offscreen): page refresh, the planner dialog's
preview and commit of 40,000 places (with the longest pause of the GUI thread meanwhile), opening a full exam
day, the coverage table, the drill-down to everyone not examined, and the .xlsx export.

The shared demo station is copied first (bench/out/station-100000-ui-schedule), so the shared copy is untouched.

Run: .venv/bin/python bench/bench_ui_schedule.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from datetime import timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtCore import QElapsedTimer, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from bench.common import demo_copy, machine, pct  # noqa: E402
from ksk_desktop.demo.seed import DEMO_SECRET  # noqa: E402
from ksk_desktop.scheduling import campaigns, days, sites  # noqa: E402
from ksk_desktop.station.lifecycle import login  # noqa: E402
from ksk_desktop.station.paths import StationPaths  # noqa: E402
from ui.reports.page import ReportsPage  # noqa: E402
from ui.schedule.day_dialog import to_qdate  # noqa: E402
from ui.schedule.day_view import DayView  # noqa: E402
from ui.schedule.page import SchedulePage  # noqa: E402

STATION_DAYS = 143  # 280 places a day: 40,040 places


class Watch:
    """Longest gap between two 10 ms ticks of the GUI event loop: how long the window would freeze."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.clock = QElapsedTimer()
        self.longest = 0
        self.timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        self.longest = max(self.longest, self.clock.restart())

    def start(self) -> None:
        self.longest = 0
        self.clock.start()
        self.timer.start()

    def stop(self) -> int:
        self.timer.stop()
        return self.longest


def wait(app: QApplication, done, timeout: float = 120.0) -> float:  # noqa: ANN001 - a predicate
    t = time.perf_counter()
    while not done():
        app.processEvents()
        time.sleep(0.001)
        if time.perf_counter() - t > timeout:
            raise TimeoutError
    return time.perf_counter() - t


def timed(app: QApplication, n: int, start, done) -> list[float]:  # noqa: ANN001
    out = []
    for _ in range(n):
        t = time.perf_counter()
        start()
        wait(app, done)
        out.append((time.perf_counter() - t) * 1000)
    return out


def line(name: str, ms: list[float]) -> str:
    return f"  {name:<44} p50 {pct(ms, 50):8.1f} ms  p95 {pct(ms, 95):8.1f} ms  (n={len(ms)})"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    app = QApplication.instance() or QApplication([])
    root = demo_copy(args.people, "ui-schedule")
    ctx = login(StationPaths(root), "truongtram", DEMO_SECRET)
    today = ctx.clock.today()
    camp = campaigns.create_campaign(
        ctx, name=f"Bench UI {time.time_ns()}", year=today.year, groups="a,b,c,d,đ"
    )
    site = sites.add_site(ctx, name=f"Trạm (bench UI {time.time_ns()})", capacity_per_hour=40)
    first = today + timedelta(days=1)
    for i in range(STATION_DAYS):
        days.add_day(ctx, site_id=site.id, day=first + timedelta(days=i))
    watch = Watch()
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f}")
    print(f"{args.people:,} people; {STATION_DAYS} exam days of 280 places")

    # -- Lịch khám -------------------------------------------------------------------------------------------------
    refreshed: list[bool] = []
    t = time.perf_counter()
    page = SchedulePage(ctx)
    page.refreshed.connect(lambda: refreshed.append(True))
    page.resize(1300, 850)
    page.show()  # the lists are read on the worker when the page is first shown
    wait(app, lambda: refreshed)
    print(f"  {'schedule page: open (lists shown)':<44} {(time.perf_counter() - t) * 1000:8.1f} ms")

    def refresh_page() -> None:
        refreshed.clear()
        page.refresh()

    refresh = timed(app, args.repeat, refresh_page, lambda: refreshed)
    print(line("schedule page: refresh (lists, day counts)", refresh))

    dialog = page.open_plan(camp.id)
    dialog.to_edit.setDate(to_qdate(first + timedelta(days=STATION_DAYS)))
    dialog.site_combo.setCurrentIndex(dialog.site_combo.findData(site.id))
    watch.start()
    preview = timed(
        app, 1, dialog.preview_button.click, lambda: dialog.preview is not None and not dialog.busy
    )
    freeze_preview = watch.stop()
    c = dialog.preview["counts"]
    watch.start()
    commit = timed(app, 1, dialog.commit_button.click, lambda: dialog.result is not None and not dialog.busy)
    freeze_commit = watch.stop()
    print(
        f"  {'planner: preview (click → tree shown)':<44} {preview[0] / 1000:8.2f} s   placed {c['placed']:,}, "
        f"not placed {c['unplaced']:,}; longest GUI pause {freeze_preview} ms"
    )
    print(
        f"  {'planner: commit (click → result shown)':<44} {commit[0] / 1000:8.2f} s   "
        f"longest GUI pause {freeze_commit} ms"
    )
    dialog.reject()
    timed(app, 1, refresh_page, lambda: refreshed)

    day = next(d for d in page.days_model.rows if d.site_id == site.id)
    views: list[DayView] = []

    def open_day() -> None:
        views.append(DayView(ctx, day, page))

    opened = timed(app, args.repeat, open_day, lambda: views and views[-1].day_data is not None)
    print(line(f"day view: open a full day ({day.booked} people)", opened))
    for v in views:
        v.deleteLater()

    # -- Báo cáo ----------------------------------------------------------------------------------------------------
    reports = ReportsPage(None)
    reports.resize(1300, 850)
    reports.show()
    loads = []
    for _ in range(args.repeat):
        reports.set_session(None)
        t = time.perf_counter()
        reports.set_session(ctx)
        wait(app, lambda: reports.data is not None)
        loads.append((time.perf_counter() - t) * 1000)
    print(line(f"coverage table ({reports.model.rowCount()} rows)", loads))
    total_row = reports.model.row(reports.model.rowCount() - 1)
    drill, last, pauses = [], [], []
    for _ in range(args.repeat):
        watch.start()
        t = time.perf_counter()
        d = reports.drill_down(total_row)
        wait(app, lambda: d.model.ready)  # noqa: B023 - this iteration's dialog
        drill.append((time.perf_counter() - t) * 1000)
        end = d.model.rowCount() - 1
        t = time.perf_counter()
        d.table.scrollToBottom()
        d.model.row_data(end)
        wait(app, lambda: d.model.is_loaded(end))  # noqa: B023 - this iteration's dialog
        last.append((time.perf_counter() - t) * 1000)
        pauses.append(watch.stop())
        d.reject()
        d.deleteLater()
        app.processEvents()
    print(line(f"drill-down: everyone not examined ({d.model.rowCount():,})", drill))
    print(line("drill-down: jump to the last row (page arrives)", last))
    print(f"  {'drill-down: longest GUI pause meanwhile':<44} {max(pauses)} ms")
    dest = root / "bao-phu.xlsx"
    reports.choose_export_path = lambda _p, _s: dest
    watch.start()
    t = time.perf_counter()
    reports.start_export()
    wait(app, lambda: not reports.exporting, timeout=600)
    print(
        f"  {'export .xlsx (summary + everyone not examined)':<44} {time.perf_counter() - t:8.2f} s   "
        f"{dest.stat().st_size / 2**20:.1f} MB; longest GUI pause {watch.stop()} ms"
    )
    ctx.close()
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
