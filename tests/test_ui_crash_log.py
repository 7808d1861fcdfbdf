"""The GUI's unhandled errors reach the data folder's log file (a Windows launch has no console): an exception
in a slot, one in a thread, Qt's warnings, and a hard crash's stacks — without the personal data an exception
message may quote. Run in a child process: it installs process-wide hooks and ends with a real crash."""

from __future__ import annotations

import subprocess
import sys
import textwrap

NAME, CCCD = "Lò Thị Dấu Vết", "031199001122"

CHILD = textwrap.dedent(
    f"""
    import sys, threading, faulthandler
    from pathlib import Path
    from PySide6.QtCore import QTimer, qWarning
    from PySide6.QtWidgets import QApplication
    from ksk_desktop.station.paths import StationPaths
    from ui import app as app_module, crash_log

    faulthandler.disable()  # as in a normal launch (the test suite's children inherit none, but be sure)
    paths = StationPaths(Path(sys.argv[1]))
    crash_log.install(paths)
    sys.excepthook = lambda *exc: crash_log.log_unhandled(*exc)  # app_module's hook, minus its message box
    app = QApplication([])

    def slot_fails():
        raise LookupError("{NAME} {CCCD}")

    def thread_fails():
        raise RuntimeError("{CCCD}")

    def then_crash():
        t = threading.Thread(target=thread_fails, name="worker-1")
        t.start()
        t.join()
        qWarning("a Qt warning for the log")
        sys.stdout.write("before the crash\\n")
        sys.stdout.flush()
        faulthandler._sigsegv()

    QTimer.singleShot(0, slot_fails)
    QTimer.singleShot(50, then_crash)
    app.exec()
    """
)


def test_gui_errors_and_a_hard_crash_reach_the_log_without_personal_data(tmp_path):
    data = tmp_path / "station"
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(data)], capture_output=True, text=True, timeout=120
    )
    assert "before the crash" in out.stdout, out.stderr
    assert out.returncode != 0  # it really crashed
    log = (data / "logs" / "ksk.log").read_text(encoding="utf-8")
    assert "CRITICAL ksk.ui" in log and "unhandled exception: LookupError at" in log and "slot_fails" in log
    assert "unhandled exception in thread worker-1: RuntimeError" in log and "thread_fails" in log
    assert "WARNING ksk.qt" in log and "a Qt warning for the log" in log
    fatal = (data / "logs" / "fatal.log").read_text(encoding="utf-8")
    assert "Fatal Python error" in fatal and "then_crash" in fatal
    for text in (log, fatal):
        assert NAME not in text and CCCD not in text
