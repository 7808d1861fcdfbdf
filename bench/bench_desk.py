"""The exam-day desk ("Hôm nay" page, Qt offscreen) on 100,000 people with a full day of 350 appointments:
the board's read (what the 5-second refresh runs on the worker thread), showing it (GUI thread: what a wedge scan
arriving meanwhile has to wait for), and check-in by CCCD scan from the scan to the queue number on screen and
to the row updated on the board, with the longest pause of the GUI thread meanwhile.

The shared demo station is copied first (bench/out/station-100000-desk), so the shared copy is untouched.

Run: .venv/bin/python bench/bench_desk.py [--scans 100] [--reads 30]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtCore import QElapsedTimer, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from sqlalchemy import text  # noqa: E402

from bench.common import demo_copy, machine, pct  # noqa: E402
from ksk_desktop.demo.seed import DEMO_SECRET  # noqa: E402
from ksk_desktop.scheduling import campaigns, days, planner, sites  # noqa: E402
from ksk_desktop.station.lifecycle import login  # noqa: E402
from ksk_desktop.station.paths import StationPaths  # noqa: E402
from ui import ops  # noqa: E402
from ui.desk.desk_data import load_desk  # noqa: E402
from ui.desk.page import TodayPage  # noqa: E402


def payload(r) -> str:  # noqa: ANN001 - a row
    y, m, d = r.birth_date.split("-")
    sex = "Nam" if r.sex == "M" else "Nữ"
    issued = "10052021" if r.birth_date < "2021-05-10" else f"{d}{m}{int(y) + 1}"
    return f"{r.personal_id}|{r.old_id or ''}|{r.full_name}|{d}{m}{y}|{sex}|Thôn Thử, Hải Phòng|{issued}"


def wait(app: QApplication, done, timeout: float = 60.0) -> None:  # noqa: ANN001 - a predicate
    t = time.perf_counter()
    while not done():
        app.processEvents()
        time.sleep(0.0005)
        if time.perf_counter() - t > timeout:
            raise TimeoutError


class Watch:
    """Longest gap between two 5 ms ticks of the GUI event loop."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setInterval(5)
        self.clock = QElapsedTimer()
        self.longest = 0
        self.timer.timeout.connect(lambda: setattr(self, "longest", max(self.longest, self.clock.restart())))

    def start(self) -> None:
        self.longest = 0
        self.clock.start()
        self.timer.start()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--scans", type=int, default=100)
    parser.add_argument("--reads", type=int, default=30)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    print(machine())
    root = demo_copy(args.people, "desk")
    head = login(StationPaths(root), "truongtram", DEMO_SECRET)
    today = head.clock.today()
    found = campaigns.list_campaigns(head, today.year)
    camp = (
        found[0]
        if found
        else campaigns.create_campaign(head, name="Bench", year=today.year, groups="a,b,c,d,đ")
    )
    site = sites.add_site(head, name=f"Điểm khám (bench desk {time.time_ns()})", capacity_per_hour=50)
    day = days.add_day(head, site_id=site.id, day=today, hours="07:30-11:30,13:30-16:30")
    placed = planner.plan(head, camp.id, today, today, site_id=site.id).counts["placed"]
    head.close()
    print(f"Exam day today at one site: {day.capacity} places, {placed} booked by the planner")

    ctx = login(StationPaths(root), "letan", DEMO_SECRET)
    with ctx.read() as s:
        people = s.execute(
            text(
                "SELECT p.personal_id, p.old_id, p.full_name, p.birth_date, p.sex FROM appointment a JOIN person p "
                "ON p.id = a.person_id WHERE a.day_id = :d AND p.personal_id IS NOT NULL AND p.birth_date IS NOT NULL "
                "AND length(p.birth_date) = 10 ORDER BY a.id"
            ),
            {"d": day.id},
        ).all()

    reads = []
    for _ in range(args.reads):
        t = time.perf_counter()
        snapshot = load_desk(ctx, today, site.id)
        reads.append((time.perf_counter() - t) * 1000)
    print(
        f"Board read (worker thread, {len(snapshot.rows)} rows): p50 {pct(reads, 50):.1f} ms, "
        f"p95 {pct(reads, 95):.1f} ms"
    )

    page = TodayPage(None)
    page.clock = lambda: datetime.combine(today, datetime.min.time().replace(hour=7))
    page.site_id = site.id
    page.resize(1400, 850)
    page.show()
    page.set_session(ctx)
    page.timer.stop()  # measured one at a time below
    wait(
        app,
        lambda: page.snapshot is not None and page.snapshot.site_id == site.id and ops.pending_count() == 0,
    )
    shows = []
    for _ in range(args.reads):
        t = time.perf_counter()
        page._show_snapshot(snapshot)  # noqa: SLF001 - what each refresh does on the GUI thread
        page.repaint()
        shows.append((time.perf_counter() - t) * 1000)
    print(
        f"Board shown (GUI thread, model reset + repaint): p50 {pct(shows, 50):.1f} ms, "
        f"p95 {pct(shows, 95):.1f} ms"
    )

    to_number, to_board, freezes = [], [], []
    watch = Watch()
    for p in people[: args.scans]:
        wait(app, lambda: ops.pending_count() == 0)
        watch.start()
        t = time.perf_counter()
        page.handle_scan(payload(p))
        wait(
            app,
            lambda: (
                page.checkin_panel.result.state in ("checked_in", "error", "choice") and not page.flow.busy
            ),
        )
        to_number.append((time.perf_counter() - t) * 1000)
        if page.checkin_panel.result.state != "checked_in":
            raise SystemExit(f"scan not checked in: {page.checkin_panel.result.text_label.text()}")
        appointment_id = page.checkin_panel.result.checkin["appointment"]["id"]
        wait(app, lambda: page.board_panel.selected_id() == appointment_id and ops.pending_count() == 0)  # noqa: B023
        to_board.append((time.perf_counter() - t) * 1000)
        watch.timer.stop()
        freezes.append(watch.longest)
    print(
        f"Check-in by scan, {len(to_number)} scans: queue number on screen p50 {pct(to_number, 50):.0f} ms, "
        f"p95 {pct(to_number, 95):.0f} ms; row updated and selected on the board p50 {pct(to_board, 50):.0f} ms, "
        f"p95 {pct(to_board, 95):.0f} ms; longest GUI-thread pause p95 {pct(freezes, 95):.0f} ms, "
        f"max {max(freezes)} ms"
    )
    page.set_session(None)
    ctx.close()


if __name__ == "__main__":
    main()
