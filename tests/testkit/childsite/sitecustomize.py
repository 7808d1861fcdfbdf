"""What every Python process of the test suite loads at start-up: fast key slots, and a day that does not end.

``tests/conftest.py`` puts this folder on ``PYTHONPATH``, so each child Python (the ``ksk`` command line, the
hub, the test helpers' processes) imports this module at start-up; the pytest process itself calls the same
functions. Production code has no switch for either:

- **Fast Argon2id.** New key slots use the fast profile below (the real one is
  ``ksk_desktop.security.kdf.KdfParams()``). Each slot stores its own parameters, so a station made here opens
  anywhere.
- **The run's day does not end.** Tests that run the real ``ksk`` in a child process cannot freeze its clock,
  so they work on the real date in Vietnam — and a run that crosses midnight there (17:00 UTC) saw the test
  add an exam day "today" that the child, started a minute later, called yesterday. When ``KSK_TEST_DAY_ENDS_AT``
  (an instant, ISO 8601) is set, the system clock runs as usual until a minute before it, then creeps on at one
  second per real hour: time still moves forward, but the day the run began on (real or faked by libfaketime)
  stays the day of every process in it.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

FAST = {"time_cost": 1, "memory_kib": 8 * 1024, "parallelism": 1}
DAY_ENDS_ENV = "KSK_TEST_DAY_ENDS_AT"
SLACK = timedelta(minutes=1)  # the creeping starts this long before the day's end
CREEP = 3600  # after that, one second of the clock per CREEP seconds of real time


def install() -> None:
    """New key slots in this process use the fast profile (unsafe for real passwords: tests only)."""
    from ksk_desktop.security import kdf

    fast = kdf.KdfParams(**FAST)
    kdf.default_params = lambda: fast


def hold_the_day(ends_at: datetime) -> None:
    """From a minute before *ends_at* (aware), the system clock of this process creeps instead of running."""
    from ksk_desktop.clock import SYSTEM_CLOCK, Clock

    creep_from = ends_at - SLACK

    def now() -> datetime:
        real = Clock.now(SYSTEM_CLOCK)
        return real if real < creep_from else creep_from + (real - creep_from) / CREEP

    SYSTEM_CLOCK.now = now  # type: ignore[method-assign]


def day_end(now: datetime) -> datetime:
    """The end of the day in Vietnam that contains *now* (aware), as an aware instant."""
    from ksk_desktop.clock import VIETNAM

    local = now.astimezone(VIETNAM)
    return (local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)).astimezone(
        now.tzinfo
    )


try:
    install()
    if os.environ.get(DAY_ENDS_ENV):
        hold_the_day(datetime.fromisoformat(os.environ[DAY_ENDS_ENV]))
except ImportError:  # a Python without KSK Desktop installed (a tool a test starts): nothing to do
    pass
