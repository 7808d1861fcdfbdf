"""A sync that cannot reach its hub, seen from the GUI thread (Qt offscreen): the longest pause of the event loop
while the sync retries with backoff (target: no gap over 250 ms), how long ``SyncWorker.start()`` takes to
return, and how long a running sync takes to stop when cancelled during its backoff (the worker alone, and the
Đồng bộ page's controller as locking the window does it; target under 4 s).

The tests check that these things happen (the event loop runs during a sync, a cancelled sync stops); this
script says how fast.

Run: .venv/bin/python bench/bench_ui_sync.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # testkit

from PySide6.QtCore import QElapsedTimer, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from bench.common import machine, pct, process_until  # noqa: E402


def dead_port() -> int:
    with socket.socket() as s:  # bound then closed: nothing listens there
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()

    from testkit.childsite import install as fast_key_slots
    from testkit.stations import PASSWORD, add_people, new_station

    from ksk_desktop.outbox import sync_state
    from ksk_desktop.station.lifecycle import login
    from sync.client.worker import SyncWorker, WorkerConfig
    from ui.sync.sync_controller import SyncController

    fast_key_slots()  # key-slot cost is not what this measures
    app = QApplication.instance() or QApplication([])
    gaps, start_ms, cancel_ms, stop_ms = [], [], [], []
    with tempfile.TemporaryDirectory(prefix="ksk-bench-ui-sync-") as tmp:
        ctx = login(new_station(Path(tmp) / "station"), "admin", PASSWORD)
        add_people(ctx, 3)
        for _ in range(args.runs):
            sync_state.save_enrolment(
                ctx, f"http://127.0.0.1:{dead_port()}", "dev", "secret", pin_sha256=None, ca_file=None
            )
            # 1. The event loop while a sync fails three times with backoff (0.4 s, 0.8 s).
            controller = SyncController(
                config_factory=lambda: WorkerConfig(backoff_base_s=0.4, max_failures=3, timeout_s=(1.0, 1.0))
            )
            controller.set_session(ctx)
            clock, longest = QElapsedTimer(), [0]
            timer = QTimer()
            timer.setInterval(20)
            timer.timeout.connect(lambda: longest.__setitem__(0, max(longest[0], clock.restart())))  # noqa: B023
            finished = []
            controller.run_finished.connect(finished.append)
            clock.start()
            timer.start()
            controller.run_now()
            process_until(app, lambda: finished)  # noqa: B023
            timer.stop()
            gaps.append(longest[0])

            # 2. A bare worker: start() returns at once; cancel during its 30 s backoff, then join.
            worker = SyncWorker(
                ctx, config=WorkerConfig(backoff_base_s=30, max_failures=None, timeout_s=(1, 1))
            )
            t = time.perf_counter()
            worker.start()
            start_ms.append((time.perf_counter() - t) * 1000)
            before = sync_state.status(ctx).consecutive_failures
            while sync_state.status(ctx).consecutive_failures <= before:
                time.sleep(0.01)
            t = time.perf_counter()
            worker.cancel()
            worker.join(30)
            cancel_ms.append((time.perf_counter() - t) * 1000)
            worker.close()

            # 3. The controller stopped as locking the window stops it, during the backoff.
            controller.config_factory = lambda: WorkerConfig(
                backoff_base_s=30, max_failures=None, timeout_s=(1, 1)
            )
            before = sync_state.status(ctx).consecutive_failures
            controller.run_now()
            process_until(app, lambda: sync_state.status(ctx).consecutive_failures > before)  # noqa: B023
            t = time.perf_counter()
            controller.stop()
            stop_ms.append((time.perf_counter() - t) * 1000)
            process_until(app, lambda: not controller.running)  # noqa: B023
            controller.set_session(None)
            controller.deleteLater()
        ctx.close()

    print(f"machine: {machine()}")
    print(f"{args.runs} runs against a hub that is down")
    print(
        f"longest GUI pause during a failing sync: p50 {pct(gaps, 50):.0f} ms, max {max(gaps)} ms "
        "(target ≤ 250 ms)"
    )
    print(f"SyncWorker.start() returns in: p50 {pct(start_ms, 50):.1f} ms, max {max(start_ms):.1f} ms")
    print(
        f"cancel → worker stopped (during a 30 s backoff): p50 {pct(cancel_ms, 50):.0f} ms, max {max(cancel_ms):.0f} ms"
    )
    print(
        f"controller.stop() (as the window's lock does it): p50 {pct(stop_ms, 50):.0f} ms, "
        f"max {max(stop_ms):.0f} ms (target < 4 s)"
    )


if __name__ == "__main__":
    main()
