"""Fast Argon2id key derivation in every Python process the test suite starts.

``tests/conftest.py`` puts this folder on ``PYTHONPATH``, so each child Python (the ``ksk`` command line, the
hub, the test helpers' processes) imports this module at start-up and makes new key slots with the fast
profile below; the pytest process itself calls :func:`install`. Production code has no switch for it: the
real profile is ``ksk_desktop.security.kdf.KdfParams()``. Each slot stores its own parameters, so a station
made here opens anywhere.
"""

from __future__ import annotations

FAST = {"time_cost": 1, "memory_kib": 8 * 1024, "parallelism": 1}


def install() -> None:
    """New key slots in this process use the fast profile (unsafe for real passwords: tests only)."""
    from ksk_desktop.security import kdf

    fast = kdf.KdfParams(**FAST)
    kdf.default_params = lambda: fast


try:
    install()
except ImportError:  # a Python without KSK Desktop installed (a tool a test starts): nothing to speed up
    pass
