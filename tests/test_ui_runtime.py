"""The installed Qt binding must not corrupt the interpreter.

PySide6-Essentials 6.12.0 on CPython 3.11 drops a reference to None on every void Qt call and to True on
every Python-side ``emit``, until the interpreter aborts ("none_dealloc"). pyproject.toml excludes it; this
test fails if a binding with that fault is ever installed again. The probe runs in a child process because
the fault can abort the interpreter running it.
"""

from __future__ import annotations

import os
import subprocess
import sys

PROBE = """
import sys
from PySide6.QtCore import QObject, Signal
class Probe(QObject):
    ping = Signal(bool)
p = Probe()
p.ping.connect(lambda _v: None)
n, t = sys.getrefcount(None), sys.getrefcount(True)
for _ in range(500):
    p.setObjectName("p")
    p.ping.emit(True)
print(n - sys.getrefcount(None), t - sys.getrefcount(True))
"""


def test_qt_calls_keep_none_and_true_alive():
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ, QT_QPA_PLATFORM="offscreen"),
    )
    assert out.returncode == 0, out.stderr[-500:]
    dropped_none, dropped_true = (int(x) for x in out.stdout.split())
    assert dropped_none < 50 and dropped_true < 50, (
        f"binding leaks references: None {dropped_none}, True {dropped_true}"
    )
